"""Renewal Planner (城市更新规划助手): engine and desktop application.

The engine (everything outside :mod:`planner.gui`) never imports Qt.
"""

__version__ = "0.1.0"
