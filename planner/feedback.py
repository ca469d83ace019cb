"""Progress, messages and cancellation for long jobs (after QGIS's QgsFeedback).

The engine reports through a :class:`Feedback`; the command line prints it to stderr and the
GUI forwards it to a progress dialog. ``cancel()`` may be called from another thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from planner.errors import Cancelled


class Feedback:
    """Collects progress and messages; can be cancelled from another thread."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.stage = ""
        self.progress = 0.0
        self.warnings: list[str] = []
        self.infos: list[str] = []
        self._listeners: list[Callable[[str, float], None]] = []

    # progress -----------------------------------------------------------
    def set_stage(self, stage: str) -> None:
        self.stage = stage
        self.set_progress(0.0)

    def set_progress(self, percent: float) -> None:
        self.progress = float(percent)
        for listener in self._listeners:
            listener(self.stage, self.progress)

    def on_progress(self, listener: Callable[[str, float], None]) -> None:
        self._listeners.append(listener)

    # messages -----------------------------------------------------------
    def warn(self, text: str) -> None:
        self.warnings.append(text)
        self._emit("warning", text)

    def info(self, text: str) -> None:
        self.infos.append(text)
        self._emit("info", text)

    def _emit(self, level: str, text: str) -> None:  # overridden by front ends
        pass

    # cancellation ---------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the job was cancelled."""
        if self._cancel.is_set():
            raise Cancelled(self.stage)


class ConsoleFeedback(Feedback):
    """Prints stage and percentage to stderr (hidden with ``quiet``)."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        super().__init__()
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self._last = 0.0

    def set_progress(self, percent: float) -> None:
        super().set_progress(percent)
        now = time.monotonic()
        if self.quiet or (now - self._last < 0.2 and 0 < percent < 100):
            return
        self._last = now
        print(f"[{percent:5.1f}%] {self.stage}", file=self.stream, flush=True)

    def _emit(self, level: str, text: str) -> None:
        if not self.quiet or level == "warning":
            print(f"{level}: {text}", file=self.stream, flush=True)
