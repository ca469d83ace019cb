"""Project files at city scale (issue 10): the 1,000,000-building city's project opened, saved,
autosaved after one decision and reopened in the window, each with the longest pause of the
event loop while it ran (a 5 ms timer's largest gap; target < 100 ms), and the autosave's size
against the full save."""

from __future__ import annotations

from common import DATA, measure, row

CODE = """
def main():
    import os, sys, time, datetime as dt
    from pathlib import Path
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, "bench")
    from synthetic_city import bench_workspace
    from planner.feedback import Feedback
    from planner.pipeline import analyse
    from planner.session import session_from_run

    folder = Path({folder!r})
    folder.mkdir(parents=True, exist_ok=True)
    for p in folder.glob("*.gpkg"):
        p.unlink()
    ws, cfg, layers = bench_workspace("portfolio")
    result = analyse(ws, cfg, Feedback())
    t = time.perf_counter()
    session = session_from_run(ws, cfg, result)
    first = folder / "city.gpkg"
    session.save(first)
    headless_save = time.perf_counter() - t
    del session, result, ws, layers
    import gc
    gc.collect()

    from PyQt6 import QtCore
    from planner.gui.app import make_app
    from planner.gui.main_window import MainWindow

    app = make_app()
    settings = QtCore.QSettings(str(folder / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, ask=False)
    w.resize(1600, 1000)
    w.show()
    app.processEvents()

    loads = {{}}

    def timed(fn, op):
        loads[op + "_load"] = os.getloadavg()[0]
        ticks = []
        timer = QtCore.QTimer(interval=5)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        app.processEvents()
        t0 = time.perf_counter()
        ticks.append(t0)
        out = fn()
        t1 = time.perf_counter()
        ticks.append(t1)
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        loads[op + "_gap_at"] = ticks[worst] - t0  # where in the operation the longest pause began
        return out, t1 - t0, gaps[worst] * 1000

    out = {{"headless_save": headless_save, "full_bytes": first.stat().st_size}}
    ok, out["open_s"], out["open_gap_ms"] = timed(lambda: w.open_path(first), "open")
    assert ok, w.last_error
    second = folder / "city2.gpkg"
    ok, out["save_s"], out["save_gap_ms"] = timed(lambda: w.save_to(second), "save")
    assert ok, w.last_error
    out["save_bytes"] = second.stat().st_size
    fid = str(w.session.result.flags["flag_idle_land"]["flag_id"].iloc[0])
    t = time.perf_counter()
    w.decide(fid, "dismissed", "bench")
    out["decide_s"] = time.perf_counter() - t
    auto, out["autosave_s"], out["autosave_gap_ms"] = timed(w.autosave, "autosave")
    assert auto is not None, w.last_error
    out["autosave_bytes"] = auto.stat().st_size
    w.session.set_dirty(False)
    settings.setValue("recover_without_asking", False)
    ok, out["reopen_s"], out["reopen_gap_ms"] = timed(lambda: w.open_path(second), "reopen")
    assert ok, w.last_error
    out["buildings"] = len(w.session.layer_of_role("buildings").frame)
    out["projects"] = len(w.session.projects)
    out["seconds"] = out["open_s"] + out["save_s"] + out["autosave_s"] + out["reopen_s"]
    out.update(loads)
    # quit as the application does: the drawings stopped before the window and Qt go (a thread
    # still painting while main() dropped them crashed the process now and then)
    from planner.gui.canvas import stop_renders
    w.session.set_dirty(False)
    w.close()
    stop_renders()
    app.processEvents()
    return out
"""


def run() -> dict:
    # peak memory: the process's own (ru_maxrss); the tree sampler's reads of smaps_rollup walk the
    # page tables of 6 GB with the address space's lock held, and a worker growing its heap waits for
    # that lock holding the interpreter: the window paused 50-130 ms every 2 s (the sampler's period)
    r = measure(CODE.format(folder=str(DATA / "files")), label="files", sample_memory=False)
    print(f"project files: {r['buildings']:,} buildings, {r['projects']:,} projects; "
          f"project file {r['full_bytes'] / 1e6:.0f} MB (headless save {r['headless_save']:.1f} s)")
    for op in ("open", "save", "autosave", "reopen"):
        gap = r[f"{op}_gap_ms"]
        print(row(f"{op} in the window (longest event-loop pause {gap:5.0f} ms at {r[f'{op}_gap_at']:4.1f} s, "
                  f"load {r[f'{op}_load']:4.1f})", r[f"{op}_s"]))
    print(row("decide one flag (portfolio rebuilt)", r["decide_s"]))
    share = r["autosave_bytes"] / r["save_bytes"]
    print(f"  autosave after one decision: {r['autosave_bytes'] / 1e6:.1f} MB = {share:.1%} of the full save "
          f"({r['save_bytes'] / 1e6:.0f} MB)")
    worst = max(r[f"{op}_gap_ms"] for op in ("open", "save", "autosave", "reopen"))
    print(f"  target: longest pause < 100 ms -> {'met' if worst < 100 else 'NOT met'} ({worst:.0f} ms); "
          f"peak {r['peak_mib'] / 1024:.2f} GiB")
    return r
