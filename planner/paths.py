"""Where the project's data files live, in a source tree and in a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def _root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


ROOT = _root()
LAYERS_DIR = ROOT / "layers"
RESOURCES_DIR = ROOT / "resources"
SAMPLE_DIR = ROOT / "sample_data"


def user_data_dir() -> Path:
    """The user's data folder for the app (recovery files), after the platform's rules;
    ``RENEWAL_PLANNER_DATA`` overrides it (tests, portable installs)."""
    import os

    override = os.environ.get("RENEWAL_PLANNER_DATA")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("RenewalPlanner", appauthor=False))


def user_log_dir() -> Path:
    """The user's log folder (error logs with tracebacks); never the working directory."""
    import os

    override = os.environ.get("RENEWAL_PLANNER_DATA")
    if override:
        return Path(override) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("RenewalPlanner", appauthor=False))


def user_cache_dir() -> Path:
    """The user's cache folder (copies the app can always make again); never beside the inputs."""
    import os

    override = os.environ.get("RENEWAL_PLANNER_DATA")
    if override:
        return Path(override) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("RenewalPlanner", appauthor=False))
