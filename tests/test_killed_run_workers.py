"""A run killed with ``kill -9`` while it draws its map sheets leaves no process behind: the
sheet workers (like the side processes) die with it. Before, each sheet worker waited on its
task queue for ever (seen after the output-folder test's killed run: two 300 MB processes
still asleep half an hour later)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import SAMPLE


def _descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
                out.update(kids)
                todo.extend(kids)
        except OSError:
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="forked workers: Linux with more than one core")
def test_a_killed_run_leaves_no_worker(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "planner", "run", str(SAMPLE / "sample_project.toml"),
                             "--out", str(tmp_path / "out"), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        seen |= _descendants(proc.pid)
        if len(seen) >= 5 and any(_alive(p) for p in seen):  # 3 side processes, then the sheet workers
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before its sheet workers were seen"
    workers = {p for p in seen if _alive(p)}
    assert workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    assert not left, f"processes of the killed run still alive: {left}"
