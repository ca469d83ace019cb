"""Benchmark helpers: data generated here, each measurement in a fresh process for peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "out" / "bench"


def measure(code: str, *, label: str, sample_memory: bool = True) -> dict:
    """Run ``code`` in a new interpreter; it must print one JSON line with 'seconds'.
    ``sample_memory=False``: no sampler here; the peak is the process's own (``ru_maxrss``), or what
    the code samples itself. For measurements of the window's pauses: reading ``smaps_rollup`` walks
    the page tables with the address space's lock held, and any thread growing its heap meanwhile
    (holding the interpreter) waits for it: 50-130 ms pauses every 2 s at 6 GB."""
    wrapper = textwrap.dedent(
        """
        import faulthandler, json, resource, sys, time
        faulthandler.enable(all_threads=True)  # a crash shows every thread's stack in the error
        {code}
        out = main()
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        """
    ).format(code=textwrap.dedent(code))
    proc = subprocess.Popen([sys.executable, "-c", wrapper], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:   # the process tree's memory (side and page workers included), every 2 s
        # every 2 s: reading smaps_rollup walks the page tables of every process of the tree; at
        # twice a second it took 18 % of the 2 cores during the 1 M deliverables (perf)
        while sample_memory and not done.wait(2.0):
            peak[0] = max(peak[0], tree_pss_mib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        fatal = stderr.find("Fatal Python error")  # a crash: every thread's stack (module list cut)
        text = stderr[fatal:fatal + 8000].split("\nExtension modules:")[0] if fatal >= 0 else stderr[-3000:]
        raise RuntimeError(f"{label} failed (exit {proc.returncode}):\n{text}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["label"] = label
    # peak_mib: the largest of the main process's own peak and the sampled peak of its whole tree
    # (proportional set size: pages a forked worker shares with its parent are counted once)
    result["peak_self_mib"] = result["peak_mib"]
    result["peak_mib"] = max(result["peak_mib"], peak[0])
    return result


def tree_pss_mib(pid: int) -> float:
    """Proportional set size (MiB) of ``pid`` and its descendants (Linux /proc; 0 elsewhere)."""
    todo, total = [pid], 0.0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0) / 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def row(label: str, seconds: float, peak_mib: float | None = None, ratio: float | None = None) -> str:
    text = f"  {label:<58} {seconds:8.2f} s"
    if peak_mib is not None:
        text += f"  peak {peak_mib / 1024:5.2f} GiB"
    if ratio is not None:
        text += f"  ratio {ratio:5.2f}x"
    return text
