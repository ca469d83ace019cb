"""Portfolio settings from layers/portfolio.toml: types, unit costs, weights, phases."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planner.paths import LAYERS_DIR

# The score's components, in the order they are shown (column score_<name>, weight <name>).
COMPONENTS = ("public", "need", "residents", "cost", "ease")

# The fewest households a proposed facility site must newly bring within its radius (a site
# bringing this many or fewer is not proposed), by facility type. Basis: GB 50180-2018 城市居住
# 区规划设计标准 sizes each living circle by the residents it serves (居住街坊 1,000-3,000 persons,
# about 300-1,000 households; 五分钟 5,000-12,000, about 1,500-4,000; 十分钟 15,000-25,000,
# about 5,000-8,000; 十五分钟 50,000-100,000, about 17,000-32,000) and lists each facility at
# its level; a new facility newly serving less than about a fifth of the smallest population of
# its level is not worth building there (the Beijing OSM extract got 493 community-facility
# sites for 2,600 buildings with no minimum, most of them bringing one to four homes). Our
# reading, not a number of the standard: replace it with the local planning's own.
# ``[sites.min_new_households_by_type]`` in layers/portfolio.toml replaces a type's value, and
# ``[sites] min_new_households`` is a floor for every type (0: the types' own).
MIN_NEW_HOUSEHOLDS: dict[str, float] = {
    # 居住街坊 (300 households and up): about a fifth
    "convenience_store": 60, "fitness": 60, "bus_stop": 60, "parking": 60,
    # 五分钟生活圈 (1,500 households and up)
    "kindergarten": 300, "nursery": 300, "clinic": 300, "community_service": 300, "elderly_care": 300,
    "park": 300, "charging": 300, "shelter": 300,
    # 十分钟生活圈 (5,000 households and up)
    "primary_school": 1000, "market": 1000,
    # 十五分钟生活圈 (17,000 households and up)
    "middle_school": 3000, "health_centre": 3000, "culture": 3000, "fire_station": 3000,
}
# Where households are unknown (no households field, e.g. OpenStreetMap) the sites are chosen by
# the homes (residential buildings) they reach: a household minimum is read as this many
# households per residential building (a six-storey walk-up of three stairwells with two flats
# a floor holds 36; an assumption, set [sites] households_per_building).
HOUSEHOLDS_PER_BUILDING = 30.0


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
    # [sites.min_new_households_by_type]: a facility type's own minimum (see min_new_households)
    min_new_by_type: dict[str, float] = field(default_factory=dict)

    def min_new_households(self, facility_type: str, *, households_known: bool = True) -> float:
        """The gain a facility site of ``facility_type`` must exceed to be proposed: households
        newly within its radius, or, where households are unknown, residential buildings
        (households / ``households_per_building``). The type's minimum
        (:data:`MIN_NEW_HOUSEHOLDS`, replaced by ``[sites.min_new_households_by_type]``), at least
        ``[sites] min_new_households``; 0 for a type without one."""
        own = self.min_new_by_type.get(facility_type, MIN_NEW_HOUSEHOLDS.get(facility_type, 0.0))
        least = max(float(own), float(self.sites.get("min_new_households", 0.0)), 0.0)
        if households_known:
            return least
        return least / max(float(self.sites.get("households_per_building", HOUSEHOLDS_PER_BUILDING)), 1e-9)

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
    sites = data.get("sites", {})
    by_type = sites.get("min_new_households_by_type", {})
    settings = PortfolioSettings(dict(defaults), dict(data.get("scales", {})), phases, types,
                                 {k: float(v) for k, v in data.get("links", {}).items()},
                                 {k: float(v) for k, v in sites.items() if not isinstance(v, dict)}, defaults,
                                 {str(k): float(v) for k, v in by_type.items()})
    for key, value in (overrides or {}).items():  # "weights.ease" = 0.4
        group, _, name = key.partition(".")
        if group == "weights":
            settings.weights[name] = float(value)
        elif group == "scales":
            settings.scales[name] = float(value)
        elif group == "sites" and name.startswith("min_new_households_by_type."):  # sites.min_new_households_by_type.park
            settings.min_new_by_type[name.partition(".")[2]] = float(value)
        elif group == "sites":
            settings.sites[name] = float(value)
    settings.weights = settings.normalised_weights()
    return settings
