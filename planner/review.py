"""Review decisions on flags: confirm, dismiss (with a note) or re-classify.

Decisions are keyed by flag id, which is stable across runs on the same data (rule code and
source feature id), so a decision made once applies again after a re-run. They are saved in the
project file and exported as the ``review``, ``review_note`` and ``review_code`` columns."""

from __future__ import annotations

import pandas as pd

STATES = ("open", "confirmed", "dismissed", "reclassified")


def apply_decisions(flags: dict[str, pd.DataFrame], decisions: dict[str, dict[str, str]]) -> dict[str, pd.DataFrame]:
    """Flag frames with review columns filled from ``decisions``."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in flags.items():
        f = frame.copy()
        ids = f["flag_id"].astype(str) if "flag_id" in f else pd.Series("", index=f.index)
        for column, key, default in (("review", "state", "open"), ("review_note", "note", ""),
                                     ("review_code", "code", "")):
            f[column] = [decisions.get(i, {}).get(key, default) for i in ids] if len(f) else pd.Series(dtype=object)
        out[name] = f
    return out

