"""A crash of the process itself (a segmentation fault inside a library) leaves the stack of
every thread in the user's log folder, never in the working directory."""

import subprocess
import sys


def test_a_segfault_writes_the_threads_stacks_to_the_crash_log(tmp_path):
    code = ("import threading, time, faulthandler\n"
            "from planner.errorlog import record_crashes\n"
            "print(record_crashes(), flush=True)\n"
            "def reading_worker():\n    time.sleep(30)\n"
            "threading.Thread(target=reading_worker, daemon=True).start()\n"
            "time.sleep(0.2)\n"
            "faulthandler._sigsegv()\n")
    env = {"RENEWAL_PLANNER_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=60)
    assert proc.returncode != 0
    logs = list((tmp_path / "data" / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and proc.stdout.strip() == str(logs[0])
    text = logs[0].read_text(encoding="utf-8")
    assert "Segmentation fault" in text and "reading_worker" in text  # every thread's stack, with the worker's
    assert not [p for p in tmp_path.iterdir() if p.name != "data"]  # nothing in the working directory
