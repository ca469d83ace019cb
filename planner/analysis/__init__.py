"""Analyses: each module registers one analysis in :mod:`planner.analysis.registry`."""
