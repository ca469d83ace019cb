"""Benchmark helpers: data generated here, each measurement in a fresh process for peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "out" / "bench"


def measure(code: str, *, label: str) -> dict:
    """Run ``code`` in a new interpreter; it must print one JSON line with 'seconds'."""
    wrapper = textwrap.dedent(
        """
        import json, resource, sys, time
        {code}
        out = main()
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        """
    ).format(code=textwrap.dedent(code))
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["label"] = label
    return result


def row(label: str, seconds: float, peak_mib: float | None = None, ratio: float | None = None) -> str:
    text = f"  {label:<58} {seconds:8.2f} s"
    if peak_mib is not None:
        text += f"  peak {peak_mib / 1024:5.2f} GiB"
    if ratio is not None:
        text += f"  ratio {ratio:5.2f}x"
    return text
