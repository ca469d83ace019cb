"""A native sampler of the thread that holds the interpreter (the GIL), for diagnosing pauses of the
window that a timer measures (``make bench files``): unlike a Python thread or faulthandler, it never
needs the interpreter, so it does not change what it measures.

Build (gcc and CPython's internal headers; Linux, CPython 3.11)::

    gcc -O2 -shared -fPIC -D_GNU_SOURCE -I$INC -I$INC/internal gil_holder.c -o /tmp/gil_holder.so

with ``INC=$(python -c "import sysconfig; print(sysconfig.get_paths()['include'])")``. Use::

    import gil_holder as gh
    gh.load("/tmp/gil_holder.so"); gh.start()
    ...  # the operation, with a 5 ms QTimer appending time.perf_counter() to ticks
    rec = gh.stop(); gh.note_threads()
    gc.unfreeze()  # code objects frozen by the jobs are otherwise not found by name
    gh.report(rec, ticks)  # each gap over 30 ms: who held the interpreter, with which stacks

Found with it (2026-12-02): the reopen pauses of 60-130 ms came every 2 s, the period of the
benchmark's memory sampler reading ``smaps_rollup`` (the sampler itself was then barely scheduled
inside the gaps: it waited for the address space's lock, as the worker did in ``mprotect``).
"""

from __future__ import annotations

import collections
import ctypes
import gc
import sys
import threading
import types
from typing import Any, TextIO

import numpy as np

DEPTH = 8
RECORD = np.dtype([("t", "f8"), ("holder", "u8"), ("locked", "i4"), ("sw", "u8"), ("code", "u8", (DEPTH,)),
                   ("ex", "u8"), ("dl", "u8")], align=True)
_lib: Any = None
names: dict[int, str] = {}


def load(path: str) -> None:
    """Load the compiled sampler."""
    global _lib
    _lib = ctypes.CDLL(path)
    _lib.gw_buf.restype = ctypes.c_void_p
    _lib.gw_stop.restype = ctypes.c_long
    if RECORD.itemsize != _lib.gw_recsize():
        raise RuntimeError("gil_holder.so was built from another version of gil_holder.c")


def start(capacity: int = 400_000, period_ns: int = 200_000) -> None:
    """Start sampling (at most ``capacity`` samples, one every ``period_ns``)."""
    _lib.gw_start(ctypes.c_long(capacity), ctypes.c_long(period_ns))


def note_threads() -> None:
    """Remember the names of the threads alive now (call it now and then: jobs' threads end)."""
    for t in threading.enumerate():
        if t.ident is not None:
            names[t.ident] = t.name


def stop() -> np.ndarray:
    """Stop sampling; the samples."""
    n = _lib.gw_stop()
    note_threads()
    raw = (ctypes.c_char * (n * RECORD.itemsize)).from_address(_lib.gw_buf())
    return np.frombuffer(bytes(raw), dtype=RECORD)


def _code_names() -> dict[int, str]:
    out: dict[int, str] = {}

    def add(c: types.CodeType) -> None:
        if id(c) in out:
            return
        out[id(c)] = f"{c.co_filename.split('/')[-1]}:{c.co_firstlineno}:{c.co_qualname}"
        for k in c.co_consts:
            if isinstance(k, types.CodeType):
                add(k)

    for o in gc.get_objects():
        if isinstance(o, types.FunctionType):
            add(o.__code__)
    return out


def report(rec: np.ndarray, ticks: list[float], *, over: float = 0.030, file: TextIO | None = None) -> None:
    """For each gap between ``ticks`` longer than ``over`` seconds: the samples in it, the share with the
    interpreter held, the holders, their commonest stacks and the sampler's own largest hole."""
    out = file or sys.stdout
    code = _code_names()

    def stack(r: np.void) -> str:
        return " < ".join(code.get(int(c), hex(int(c))) for c in r["code"] if c)

    t = np.asarray(ticks)
    for i in np.flatnonzero(np.diff(t) > over):
        a, b = t[i], t[i + 1]
        sel = rec[(rec["t"] >= a) & (rec["t"] <= b)]
        held = sel["locked"] == 1
        holders = collections.Counter(names.get(int(h), str(int(h))) for h in sel["holder"][held])
        print(f"gap {1000 * (b - a):.0f} ms at {a - t[0]:.2f} s (clock {a:.4f}): {len(sel)} samples, "
              f"held {held.mean() if len(sel) else 0:.0%}, holders {dict(holders)}", file=out)
        if len(sel) > 1:
            holes = np.diff(sel["t"])
            j = int(np.argmax(holes))
            ran = (int(sel["ex"][j + 1]) - int(sel["ex"][j])) / 1e6
            waited = (int(sel["dl"][j + 1]) - int(sel["dl"][j])) / 1e6
            print(f"  sampler's largest hole {1000 * holes[j]:.0f} ms (it ran {ran:.1f} ms, waited for a cpu "
                  f"{waited:.1f} ms)", file=out)
        for s, k in collections.Counter(stack(r) for r in sel[held]).most_common(6):
            print(f"  {k:5d}  {s}", file=out)
