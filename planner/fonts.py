"""The bundled CJK font (Noto Sans SC subset, SIL OFL 1.1), so Chinese never renders as boxes."""

from __future__ import annotations

from functools import lru_cache

from planner.paths import RESOURCES_DIR

FONT_FILE = RESOURCES_DIR / "fonts" / "NotoSansSC-Subset.ttf"
FONT_FAMILY = "Noto Sans SC Subset"


@lru_cache(maxsize=1)
def use_cjk_font_in_matplotlib() -> str:
    """Register the font with matplotlib and make it the default family; returns the family."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    font_manager.fontManager.addfont(str(FONT_FILE))
    rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    rcParams["pdf.fonttype"] = 42
    return FONT_FAMILY
