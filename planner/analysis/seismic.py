"""Seismic priority (policy 十三: 预制板房 and dangerous housing in high-intensity zones first).

The seismic fortification intensity (抗震设防烈度) of each building comes from an optional
``seismic`` layer of zones with an intensity field, else from ``seismic.intensity``, else from
``seismic.place`` looked up in the Inner Mongolia table ``layers/seismic_intensity.toml`` (taken
from an older GB 50011 appendix, not verified against GB 18306-2015: the table says so and so does
every run that uses it). Precast-slab (预制板) and C/D-grade buildings where the intensity is
``seismic.min_intensity`` (8°) or more are the seismic priority: the portfolio raises the need score
of the housing projects that hold them (``planner.portfolio.seismic``, ``scales.seismic_need_raise``
in layers/portfolio.toml).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from planner.analysis.common import anchor_points, points_in_polygons
from planner.analysis.registry import (
    Analysis,
    AnalysisInputs,
    AnalysisOutput,
    Parameter,
    Product,
    register,
)
from planner.errors import InputError
from planner.feedback import Feedback
from planner.paths import LAYERS_DIR

TABLE = LAYERS_DIR / "seismic_intensity.toml"
ROMAN = {"VI": 6.0, "VII": 7.0, "VIII": 8.0, "IX": 9.0, "X": 10.0, "六": 6.0, "七": 7.0, "八": 8.0, "九": 9.0}


@lru_cache(maxsize=1)
def intensity_table() -> dict[str, Any]:
    """The shipped table: {"places": [...], "caveat": ..., "caveat_en": ..., "source": ...}."""
    with TABLE.open("rb") as fh:
        return tomllib.load(fh)


def place_intensity(place: str) -> tuple[float, str]:
    """(intensity, the table's name of the place) for a place name of the table."""
    key = place.strip().casefold()
    for row in intensity_table().get("places", []):
        if key in {str(n).strip().casefold() for n in (row["name"], row.get("name_en", ""), *row.get("names", ()))}:
            return float(row["intensity"]), str(row["name"])
    known = "、".join(str(r["name"]) for r in intensity_table().get("places", []))
    raise InputError(f"parameter seismic.place = '{place}' is not in the seismic intensity table.",
                     file=str(TABLE), hint=f"give one of {known}, or the intensity itself (--set seismic.intensity=8).")


def parse_intensity(values: pd.Series) -> np.ndarray:
    """Intensities as numbers: 8, '8', '8度', 'VIII', '八度', '7度（0.15g）' -> 8, 8, 8, 8, 8, 7 (NaN where
    unreadable)."""
    text = values.astype("string").str.strip()
    number = pd.to_numeric(text.str.extract(r"^\s*(\d+(?:\.\d+)?)", expand=False), errors="coerce")
    word = text.str.extract(r"^\s*(IX|VIII|VII|VI|X|[六七八九])", flags=re.IGNORECASE, expand=False).str.upper()
    by_word = word.map(lambda w: ROMAN.get(w, np.nan) if isinstance(w, str) else np.nan)
    out: np.ndarray = number.fillna(by_word).to_numpy(dtype="float64", na_value=np.nan)
    return out


def run(inputs: AnalysisInputs, params: dict[str, Any], feedback: Feedback) -> AnalysisOutput:
    b = inputs.layers["buildings"]
    out = AnalysisOutput()
    n = len(b)
    base, where = float(params["intensity"]), "parameter seismic.intensity"
    if base <= 0 and str(params["place"]).strip():
        base, name = place_intensity(str(params["place"]))
        where = f"{name} in the Inner Mongolia table (layers/seismic_intensity.toml)"
        out.messages.append(f"seismic: {name} {base:g}° from layers/seismic_intensity.toml — "
                            f"{intensity_table().get('caveat_en', '')}")
    intensity = np.full(n, base if base > 0 else np.nan)
    zones = inputs.layers.get("seismic")
    if zones is not None and len(zones) and "intensity" in zones and n:
        z = parse_intensity(zones["intensity"])
        bad = int(np.isnan(z).sum())
        if bad:
            out.messages.append(f"seismic: {bad} zones have no readable intensity (e.g. '8', '8度', 'VIII'); ignored")
        which = points_in_polygons(anchor_points(b.geometry.values), zones.geometry.values)
        zone_value = np.where(which >= 0, z[np.maximum(which, 0)], np.nan)
        intensity = np.where(np.isfinite(zone_value), zone_value, intensity)
        where = "the seismic layer" + (f" (elsewhere {where})" if base > 0 else "")
    grade = b["safety_grade"].to_numpy(dtype=object) if "safety_grade" in b else np.full(n, None, dtype=object)
    structure = b["structure"].to_numpy(dtype=object) if "structure" in b else np.full(n, None, dtype=object)
    weak = (structure == "precast_slab") | np.isin(grade, ["C", "D"])
    priority = weak & (np.nan_to_num(intensity, nan=0.0) >= float(params["min_intensity"]))
    out.shared["seismic_intensity"] = intensity
    out.shared["seismic_priority"] = priority
    if not np.isfinite(intensity).any():
        out.messages.append("seismic: no intensity given (seismic.intensity, seismic.place or a seismic layer); "
                            "no seismic priority")
    else:
        out.messages.append(f"seismic: intensity from {where}; {int(priority.sum())} precast-slab or C/D buildings "
                            f"in zones of {float(params['min_intensity']):g}° or more get the seismic priority")
    return out


register(Analysis(
    id="seismic",
    title="抗震优先",
    title_en="Seismic priority",
    run=run,
    requires={"buildings": []},
    optional={"buildings": ["structure", "safety_grade"], "seismic": ["intensity"]},
    products=(Product("seismic_intensity", "per_building", "seismic fortification intensity (degrees; NaN unknown)"),
              Product("seismic_priority", "per_building", "precast-slab or C/D building in a zone of the minimum "
                      "intensity or more")),
    basis="政策十三（预制板房、危房抗震加固）；GB 50011 建筑抗震设计规范；GB 18306-2015 中国地震动参数区划图",
    order=24,
    parameters=[
        Parameter("intensity", 0.0, "度", "抗震设防烈度", "Seismic intensity",
                  "研究范围的抗震设防烈度（0为未给出；有抗震设防分区图层时以图层为准）",
                  "the study area's seismic fortification intensity (0: not given; a seismic layer prevails)", 0.0, 12.0),
        Parameter("place", "", "", "所在地（查内蒙古烈度表）", "Place (Inner Mongolia table)",
                  "按地名查内蒙古抗震设防烈度表（取自旧版GB 50011附录，未按GB 18306-2015核对）",
                  "look the intensity up in layers/seismic_intensity.toml (older GB 50011 appendix, not verified "
                  "against GB 18306-2015)"),
        Parameter("min_intensity", 8.0, "度", "抗震优先烈度不低于", "Seismic priority from intensity",
                  "该烈度及以上地区的预制板房和C、D级危房抗震优先", "precast-slab and C/D buildings in zones of this "
                  "intensity or more come first", 6.0, 10.0),
    ],
))
