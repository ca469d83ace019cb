"""Deliverables at city scale (issue 4's benchmark): the 1,000,000-building city with realistic
shares (about 100,000 flags and 10,000 projects). Times the portfolio and each deliverable;
target: all deliverables written in under 60 s."""

from __future__ import annotations

from common import measure, row

CODE = """
def main():
    import sys, time, datetime as dt, tempfile
    from pathlib import Path
    sys.path.insert(0, "bench")
    from synthetic_city import make_city
    from pyproj import CRS
    from planner.analysis.runner import run_analyses
    from planner.catalogue import default_catalogue
    from planner.feedback import Feedback
    from planner.io.loading import LayerReport, LoadedLayer
    from planner.pipeline import Workspace
    from planner.project import RunConfig
    from planner.portfolio.build import build_portfolio
    from planner.export.deliverables import write_deliverables
    cat = default_catalogue()
    layers = make_city(profile="portfolio")
    ws = Workspace(CRS.from_epsg(4546), "bench", catalogue=cat)
    for role, frame in layers.items():
        rep = LayerReport(role, "bench", None, "bench", None, "", "EPSG:4546", "")
        ws.layers[role] = LoadedLayer(role, frame, rep, cat.layer(role))
    cfg = RunConfig(name="基准城市 Benchmark city", as_of=dt.date(2026, 6, 30),
                    params={"services.types": "middle_school,health_centre,culture,park"})
    t = time.perf_counter()
    result = run_analyses(ws, cfg, Feedback())
    analyses = time.perf_counter() - t
    t = time.perf_counter()
    projects = build_portfolio(ws, result)
    portfolio = time.perf_counter() - t
    out = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    timings = write_deliverables(out, result, ws, cfg, projects, {"name": cfg.name, "software": "bench"}, Feedback())
    total = time.perf_counter() - t
    flags = sum(len(f) for f in result.flags.values())
    sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    return {"seconds": total, "analyses": analyses, "portfolio": portfolio, "timings": timings, "flags": flags,
            "projects": len(projects), "sizes": sizes}
"""


def run() -> dict:
    r = measure(CODE, label="deliverables")
    print(f"deliverables benchmark: {r['flags']:,} flags, {r['projects']:,} projects "
          f"(analyses {r['analyses']:.1f} s, not counted)")
    print(row("portfolio from flags", r["portfolio"]))
    for name, seconds in r["timings"].items():
        print(row(f"  {name}", seconds))
    total = r["seconds"] + r["portfolio"]
    print(row("portfolio + all deliverables", total, r["peak_mib"]))
    print("  sizes: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(r["sizes"].items())))
    html = r["sizes"].get("map.html", 0) / 1e6
    print(f"  map.html {html:.1f} MB, target < 50 MB -> {'met' if html < 50 else 'NOT met'}")
    print(f"  target: < 60 s -> {'met' if total < 60 else 'NOT met'} (sheets at 300 dpi; the atlas, --atlas all, "
          "is not included)")
    return r


if __name__ == "__main__":
    run()
