"""Importing this module registers every shipped analysis (one module each)."""

# Each import registers its analysis; the order here is not the run order (see Analysis.order).
