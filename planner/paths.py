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
