"""The explicit list of shipped analyses: importing this module registers each (one module
per analysis). The run order is ``Analysis.order``; an analysis added elsewhere (a plug-in, a
test) registers itself with :func:`planner.analysis.registry.register`."""

from planner.analysis import (
    buildings,
    coverage,
    heritage,
    idle_land,
    indicators,
    pocket_parks,
    roads,
    seismic,
    services,
    waterlogging,
)

ANALYSIS_MODULES = (idle_land, buildings, roads, services, coverage, pocket_parks, waterlogging, seismic, heritage, indicators)
