"""``make bench``: every benchmark, each printing its numbers and ratios against a baseline
measured in the same run. Benchmarks generate their own data under out/bench/."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_loading  # noqa: E402


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    suites = {"loading": bench_loading.run}
    import bench_analyses  # noqa: PLC0415
    import bench_deliverables  # noqa: PLC0415
    import bench_files  # noqa: PLC0415
    import bench_render  # noqa: PLC0415
    import bench_review  # noqa: PLC0415
    import bench_sites  # noqa: PLC0415

    suites["analyses"] = bench_analyses.run
    suites["deliverables"] = bench_deliverables.run
    suites["dense"] = bench_deliverables.run_dense  # flags into the millions: < 5 min, < 12 GiB
    suites["sites"] = bench_sites.run
    suites["files"] = bench_files.run
    suites["render"] = lambda: bench_render.run(qgis="--qgis" in sys.argv)
    suites["review"] = bench_review.run
    suites["waterlogging"] = lambda: __import__("bench_waterlogging").run()  # 16 M-cell DEM, issue 15
    suites["report"] = lambda: __import__("bench_report").run()  # report.docx of the 1 M-building city, issue 14
    for name, fn in suites.items():
        if names and name not in names:
            continue
        print(f"== {name} ==")
        fn()


if __name__ == "__main__":
    main()
