"""One designed palette (layers/palette.toml) for every rule code and project type: distinct
colours, told apart under simulated colour-blindness within each flag family and among the
project types, and the one every deliverable and the map window read."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

colorspacious = pytest.importorskip("colorspacious")

CVD = (None, "deuteranomaly", "protanomaly", "tritanomaly")


def _ucs(hex_colour: str, cvd: str | None) -> np.ndarray:
    h = hex_colour.lstrip("#")
    rgb = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255
    if cvd:
        rgb = np.clip(colorspacious.cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100},
                                                   "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def _closest(colours: dict[str, str], cvds=CVD) -> tuple[float, str, str, str | None]:
    return min((float(np.linalg.norm(_ucs(a, c) - _ucs(b, c))), ka, kb, c)
               for (ka, a), (kb, b) in itertools.combinations(colours.items(), 2) for c in cvds)


def test_every_code_and_type_has_its_own_palette_colour():
    from planner.analysis.registry import rule_codes
    from planner.export.styles import CODE_COLOURS, TYPE_COLOURS, palette
    from planner.portfolio.settings import load_settings

    pal = palette()
    assert set(rule_codes()) <= set(pal["codes"]), "a declared rule code has no palette colour"
    assert set(load_settings().types) <= set(pal["types"]), "a project type has no palette colour"
    assert all(CODE_COLOURS[c] == pal["codes"][c] for c in rule_codes())
    everything = {**{f"code {k}": v for k, v in pal["codes"].items()}, **{f"type {k}": v for k, v in pal["types"].items()}}
    assert len({v.upper() for v in everything.values()}) == len(everything), "two classes share a colour"
    d, a, b, _ = _closest(everything, cvds=(None,))
    assert d >= 5, f"{a} and {b} are near twins ({d:.1f})"
    assert TYPE_COLOURS == pal["types"]


def test_colour_blind_safe_within_each_family_and_among_types():
    from planner.analysis.registry import flag_layers
    from planner.export.styles import CODE_COLOURS, TYPE_COLOURS

    # the codes one flag layer draws side by side, and the road codes drawn on one map
    families = {"projects": dict(TYPE_COLOURS),
                "roads": {c: CODE_COLOURS[c] for c in ("DEAD_END", "ROAD_GAP", "PLANNED_UNBUILT")}}
    layer_codes = {"flag_idle_land": ["IDLE_NOT_STARTED_2Y", "IDLE_NOT_STARTED_1Y", "IDLE_STALLED", "IDLE_SUSPECTED",
                                      "APPROVED_NOT_SUPPLIED", "UNDERUSED"],
                   "flag_old_housing": ["OLD_HOUSING", "UNSAFE_D", "UNSAFE_C", "ELEVATOR_RETROFIT", "PRECAST_SLAB"]}
    assert set(layer_codes) <= {f.name for f in flag_layers()}
    for layer, codes in layer_codes.items():
        families[layer] = {c: CODE_COLOURS[c] for c in codes}
    for name, colours in families.items():
        d, a, b, cvd = _closest(colours)
        assert d >= 10, f"{name}: {a} and {b} are {d:.1f} apart under {cvd or 'normal vision'}"
    # the pairs a reviewer found colliding in the old colours
    for a, b in (("elevator", "underused_land"), ("idle_land", "unsafe_housing"), ("old_compound", "service_facility")):
        assert _closest({a: TYPE_COLOURS[a], b: TYPE_COLOURS[b]})[0] >= 10


def test_map_window_styles_use_the_palette():
    from planner.export.styles import TYPE_COLOURS, flag_style, palette, project_style

    assert flag_style(["DEAD_END", "ROAD_GAP"])["categories"]["DEAD_END"]["colour"] == palette()["codes"]["DEAD_END"]
    assert flag_style(["DEAD_END", "ROAD_GAP"])["categories"]["DEAD_END"]["colour"] != \
        flag_style(["DEAD_END", "ROAD_GAP"])["categories"]["ROAD_GAP"]["colour"]
    assert project_style(["elevator"])["categories"]["elevator"]["colour"] == TYPE_COLOURS["elevator"]
