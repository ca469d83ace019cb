"""Error logs with tracebacks in the user's log folder (platformdirs), never the working directory."""

from __future__ import annotations

import datetime as dt
import faulthandler
import signal
from pathlib import Path
from typing import TextIO

from planner.paths import user_log_dir

_CRASH_LOG: list[TextIO] = []  # the open crash log (faulthandler writes to its file descriptor)


def write_error_log(text: str) -> Path | None:
    """Append ``text`` (a traceback) to today's error log; returns its path, or None."""
    try:
        folder = user_log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"errors-{dt.date.today().isoformat()}.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
        return path
    except OSError:
        return None


def survive_file_size_limits() -> None:
    """A write past a file-size limit (RLIMIT_FSIZE) fails with EFBIG instead of killing the
    process with SIGXFSZ, so a save can report it and the app goes on."""
    if hasattr(signal, "SIGXFSZ"):
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except (ValueError, OSError):  # not the main thread
            pass


def record_crashes() -> Path | None:
    """A crash of the process itself (a segmentation fault in a library, an abort) writes the
    stack of every thread to ``crash-DATE.log`` in the user's log folder, so it can be reported
    and found again; the work itself is in the autosave. Returns the log's path, or None."""
    try:
        folder = user_log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{dt.date.today().isoformat()}.log"
        fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 (kept open for the process's life)
        fh.write(f"--- started {dt.datetime.now().isoformat(timespec='seconds')}\n")
        fh.flush()
    except OSError:
        return None
    _CRASH_LOG[:] = [fh]
    faulthandler.enable(file=fh, all_threads=True)
    return path
