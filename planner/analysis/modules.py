"""Importing this module registers every shipped analysis (one module each)."""

# Each import registers its analysis; the run order is Analysis.order, not this list.
from planner.analysis import buildings, idle_land, indicators, roads, services  # noqa: F401
