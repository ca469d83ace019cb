"""The plan draft (report.docx, issue 14) for the 1,000,000-building city of the deliverables
benchmark (realistic shares: about 100,000 flags and 10,000 projects). Times write_report alone
(its text and tables, its figures drawn on the shared base map, saving); the analyses and the
portfolio are made first and not counted. Target: under 30 s."""

from __future__ import annotations

from common import measure, row

CODE = """
def main():
    import os, sys, time, datetime as dt, tempfile
    from pathlib import Path
    sys.path.insert(0, "bench")
    from synthetic_city import bench_workspace
    from planner.analysis.runner import run_analyses
    from planner.feedback import Feedback
    from planner.portfolio.build import build_portfolio
    from planner.export.report import write_report
    ws, cfg, layers = bench_workspace("portfolio")
    t = time.perf_counter()
    result = run_analyses(ws, cfg, Feedback())
    analyses = time.perf_counter() - t
    projects = build_portfolio(ws, result)
    out = Path(tempfile.mkdtemp()) / "report.docx"
    run_info = {"name": cfg.name, "as_of": cfg.as_of.isoformat(), "parameters": result.parameters, "weights": {},
                "software": "bench"}
    import resource

    def cpu_now():
        own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu = cpu_now()
    t = time.perf_counter()
    info = write_report(out, result, ws, cfg, projects, run_info)
    total = time.perf_counter() - t
    cpu = cpu_now() - cpu
    flags = sum(len(f) for f in result.flags.values())
    return {"seconds": total, "cpu": cpu, "analyses": analyses, "flags": flags, "projects": len(projects),
            "buildings": len(layers["buildings"]), "parts": info["seconds"], "figures": info["figures"],
            "tables": info["tables"], "bytes": out.stat().st_size, "load": os.getloadavg()[0]}
"""


def run() -> dict:
    r = measure(CODE, label="report")
    print(f"report benchmark: {r['buildings']:,} buildings, {r['flags']:,} flags, {r['projects']:,} projects "
          f"(analyses and portfolio {r['analyses']:.1f} s, not counted); load average {r['load']:.1f} at the end")
    for name, seconds in r["parts"].items():
        if name != "total":
            print(row(f"  report.docx: {name}", seconds))
    print(row(f"report.docx ({r['figures']} figures, {r['tables']} tables, {r['bytes'] / 1e6:.1f} MB)", r["seconds"],
              r["peak_mib"]))
    print(f"  CPU time (this process and its figure workers): {r['cpu']:.1f} s")
    print(f"  target: < 30 s -> {'met' if r['seconds'] < 30 else 'NOT met'}")
    return r


if __name__ == "__main__":
    run()
