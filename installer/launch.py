"""Entry point of the frozen application (PyInstaller)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from planner.cli import main

    sys.exit(main())
