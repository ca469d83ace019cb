"""Seismic priority in the portfolio (policy 十三): housing projects that hold precast-slab or
C/D buildings in zones of the minimum intensity or more (the ``seismic`` analysis's per-building
``seismic_priority``) get their need score raised by ``scales.seismic_need_raise`` (0..1, default
in layers/portfolio.toml), capped at 1, and show the intensity in ``seismic_intensity``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.portfolio.build import _Builder

# the project types that repair or rebuild the buildings themselves
SEISMIC_TYPES = ("unsafe_housing", "old_compound")


def raise_need(df: pd.DataFrame, need: np.ndarray, builder: _Builder) -> tuple[np.ndarray, np.ndarray | None]:
    """(need score, intensity per project or None when no building has the seismic priority)."""
    shared = getattr(builder.result, "shared", {}) or {}
    priority = shared.get("seismic_priority")
    intensity = shared.get("seismic_intensity")
    b = builder.buildings
    if priority is None or intensity is None or b is None or len(priority) != len(b) or not np.any(priority) \
            or "building_ids" not in df:
        return need, None
    sel = np.flatnonzero(df["type"].isin(SEISMIC_TYPES).to_numpy())
    if not len(sel):
        return need, None
    ids = df["building_ids"].iloc[sel].fillna("").astype(str).str.split(",").explode()
    ids = ids[ids != ""]
    rows = builder.building_rows(ids.to_numpy(dtype=object))
    ok = rows >= 0
    member = np.asarray(ids.index.to_numpy()[ok])  # df's positional index (reset in finish)
    rows = rows[ok]
    hit = np.asarray(priority, dtype=bool)[rows]
    level = np.where(hit, np.asarray(intensity, dtype=float)[rows], np.nan)
    per = pd.Series(level).groupby(member).max()
    out_int = np.full(len(df), np.nan)
    out_int[per.index.to_numpy()] = per.to_numpy()
    raised = np.isfinite(out_int)
    step = float(builder.settings.scales.get("seismic_need_raise", 1 / 3))
    return np.where(raised, np.clip(np.asarray(need, dtype=float) + step, 0, 1).round(3), need), out_int
