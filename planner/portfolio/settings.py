"""Portfolio settings from layers/portfolio.toml: types, unit costs, weights, phases."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planner.paths import LAYERS_DIR

# The score's components, in the order they are shown (column score_<name>, weight <name>).
COMPONENTS = ("public", "need", "residents", "cost", "ease")


@dataclass
class ProjectType:
    key: str
    title: str
    title_en: str
    ease: float
    unit: str
    costs: dict[str, tuple[float, str]]  # class -> (万元 per unit, source)
    public: float = 0.5                   # safety and public-interest level 0..1 (score_public)
    public_by_class: dict[str, float] = field(default_factory=dict)
    site_m2_by_class: dict[str, float] = field(default_factory=dict)  # land a facility needs (m²)

    def unit_cost(self, cls: str = "") -> float:
        return self.costs.get(cls, self.costs.get("", (0.0, "")))[0]

    def public_of(self, cls: str = "") -> float:
        """The public-interest level of a class of this type (the type's own where not given)."""
        return self.public_by_class.get(cls, self.public)


@dataclass
class PortfolioSettings:
    weights: dict[str, float]
    scales: dict[str, float]
    phases: list[tuple[str, float]]          # (name, min score), highest first
    types: dict[str, ProjectType] = field(default_factory=dict)
    # Road links: corridor half width, duplicate tolerance, same-corridor distance (m).
    links: dict[str, float] = field(default_factory=dict)
    # Facility sites: search and stopping settings (see planner.portfolio.sites).
    sites: dict[str, float] = field(default_factory=dict)
    default_weights: dict[str, float] = field(default_factory=dict)

    def phase_of(self, score: float) -> str:
        for name, minimum in self.phases:
            if score >= minimum:
                return name
        return self.phases[-1][0]

    def normalised_weights(self, weights: dict[str, float] | None = None) -> dict[str, float]:
        """Weights summing to 1 over the score's components (a component not given weighs 0;
        all zero or none given: the configured defaults)."""
        given = (self.weights if weights is None else weights) or self.default_weights
        w = {k: max(float(given.get(k, 0.0)), 0.0) for k in COMPONENTS}
        total = sum(w.values())
        if total <= 0:
            w = {k: max(float(self.default_weights.get(k, 1.0)), 0.0) for k in COMPONENTS}
            total = sum(w.values()) or 1.0
        return {k: round(v / total, 6) for k, v in w.items()}


def load_settings(path: Path | None = None, *, overrides: Mapping[str, float] | None = None) -> PortfolioSettings:
    """Read layers/portfolio.toml; ``overrides`` such as ``{"weights.ease": 0.4}`` replace values.

    Weights are normalised to sum to 1 (the score is their weighted mean)."""
    path = path or LAYERS_DIR / "portfolio.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    types = {}
    for t in data.get("types", []):
        costs = {str(c.get("class", "")): (float(c["per_unit"]), str(c.get("source", "assumption")))
                 for c in t.get("costs", [])}
        public_by_class = {str(c.get("class", "")): float(c["public"]) for c in t.get("costs", []) if "public" in c}
        site_m2 = {str(c.get("class", "")): float(c["site_m2"]) for c in t.get("costs", []) if "site_m2" in c}
        types[t["key"]] = ProjectType(t["key"], t["title"], t.get("title_en", t["key"]), float(t.get("ease", 0.5)),
                                      t.get("unit", ""), costs, float(t.get("public", 0.5)), public_by_class, site_m2)
    phases = sorted(((p["name"], float(p["min_score"])) for p in data.get("phases", [])), key=lambda p: -p[1])
    defaults = {k: float(v) for k, v in data.get("weights", {}).items()}
    settings = PortfolioSettings(dict(defaults), dict(data.get("scales", {})), phases, types,
                                 {k: float(v) for k, v in data.get("links", {}).items()},
                                 {k: float(v) for k, v in data.get("sites", {}).items()}, defaults)
    for key, value in (overrides or {}).items():  # "weights.ease" = 0.4
        group, _, name = key.partition(".")
        if group == "weights":
            settings.weights[name] = float(value)
        elif group == "scales":
            settings.scales[name] = float(value)
    settings.weights = settings.normalised_weights()
    return settings
