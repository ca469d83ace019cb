"""Portfolio settings from layers/portfolio.toml: types, unit costs, weights, phases."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from planner.paths import LAYERS_DIR


@dataclass
class ProjectType:
    key: str
    title: str
    title_en: str
    ease: float
    unit: str
    costs: dict[str, tuple[float, str]]  # class -> (万元 per unit, source)

    def unit_cost(self, cls: str = "") -> float:
        return self.costs.get(cls, self.costs.get("", (0.0, "")))[0]


@dataclass
class PortfolioSettings:
    weights: dict[str, float]
    scales: dict[str, float]
    phases: list[tuple[str, float]]          # (name, min score), highest first
    types: dict[str, ProjectType] = field(default_factory=dict)
    # Road links: corridor half width, duplicate tolerance, same-corridor distance (m).
    links: dict[str, float] = field(default_factory=dict)

    def phase_of(self, score: float) -> str:
        for name, minimum in self.phases:
            if score >= minimum:
                return name
        return self.phases[-1][0]


def load_settings(path: Path | None = None, *, overrides: dict | None = None) -> PortfolioSettings:
    path = path or LAYERS_DIR / "portfolio.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    types = {}
    for t in data.get("types", []):
        costs = {str(c.get("class", "")): (float(c["per_unit"]), str(c.get("source", "assumption")))
                 for c in t.get("costs", [])}
        types[t["key"]] = ProjectType(t["key"], t["title"], t.get("title_en", t["key"]), float(t.get("ease", 0.5)),
                                      t.get("unit", ""), costs)
    phases = sorted(((p["name"], float(p["min_score"])) for p in data.get("phases", [])), key=lambda p: -p[1])
    settings = PortfolioSettings(dict(data.get("weights", {})), dict(data.get("scales", {})), phases, types,
                                 {k: float(v) for k, v in data.get("links", {}).items()})
    for key, value in (overrides or {}).items():  # "weights.ease" = 0.4
        group, _, name = key.partition(".")
        if group == "weights":
            settings.weights[name] = check_param(key, value, settings)
        elif group == "scales":
            settings.scales[name] = check_param(key, value, settings)
    return settings


def check_param(key: str, value: object, settings: PortfolioSettings) -> float:
    """A priority weight or scale (``weights.need``, ``scales.cost_full``): a number ≥ 0 of a
    known name (layers/portfolio.toml)."""
    import math

    from planner.errors import InputError

    group, _, name = key.partition(".")
    known = settings.weights if group == "weights" else settings.scales
    if name not in known:
        raise InputError(f"there is no {group[:-1]} '{name}'.", field=key,
                         hint=f"{group}: {', '.join(sorted(known))} (layers/portfolio.toml).")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{key} = {value!r} is not a number.", field=key, hint="give a number ≥ 0.") from None
    if not math.isfinite(number) or number < 0 or (group == "scales" and number <= 0):
        raise InputError(f"{key} = {value!r} is not a finite number ≥ 0.", field=key, hint="give a number ≥ 0.")
    return number
