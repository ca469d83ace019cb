"""Write every deliverable of run-contract.md for a finished run; returns timings."""

from __future__ import annotations

import time
from pathlib import Path

from planner.export.terms import check_lang, crs_title, pick
from planner.feedback import Feedback


def sheet_info(ws, cfg, options: dict, attribution: str = "", lang: str = "zh") -> dict:
    """What a sheet's title block says: project, 编制单位, 日期, CRS, data date (project settings,
    export options over them)."""
    import datetime as dt

    issued = options.get("date") or getattr(cfg, "issued", None) or dt.date.today()
    crs = ws.working_crs
    return {"project": cfg.name, "organisation": options.get("organisation") or getattr(cfg, "organisation", ""),
            "date": issued.isoformat() if hasattr(issued, "isoformat") else str(issued),
            "crs": crs_title(crs, lang), "as_of": cfg.as_of.isoformat(),
            "attribution": attribution}


def write_deliverables(out_dir: Path, result, ws, cfg, projects, run_info: dict, feedback: Feedback, *,
                       options: dict | None = None) -> dict[str, float]:
    options = dict(options or {})
    lang = check_lang(options.get("lang") or "zh")
    timings: dict[str, float] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    feedback.set_stage("写出成果 Writing deliverables")

    t = time.perf_counter()
    from planner.export.gpkg import write_portfolio_gpkg

    # the desktop window asks for responsive writing: GDAL's writes in short slices (the GIL)
    write_portfolio_gpkg(out_dir / "portfolio.gpkg", result, ws, cfg, projects, run_info, lang=lang,
                         slice_seconds=0.1 if options.get("responsive") else None)
    timings["export.gpkg"] = time.perf_counter() - t
    feedback.set_progress(30)
    feedback.check()

    t = time.perf_counter()
    from planner.export.xlsx import write_workbook

    cut: list[str] = []
    info = sheet_info(ws, cfg, options, "", lang)
    write_workbook(out_dir / "portfolio.xlsx", result, projects, run_info, buildings=ws.frame("buildings"),
                   parcels=ws.frame("parcels"), warnings=cut, lang=lang, meta=info)
    for warning in cut:
        feedback.warn(warning)
    timings["export.xlsx"] = time.perf_counter() - t
    feedback.set_progress(55)
    feedback.check()

    attribution = "© OpenStreetMap contributors (ODbL)" if any(
        layer.report.driver == "OSM" for layer in ws.layers.values()) else ""
    t = time.perf_counter()
    from planner.analysis.registry import flag_layers
    from planner.export.html_map import basemap_warning, write_map

    declared = [f.name for f in flag_layers()]
    layers = {"projects": projects, **{k: result.flags.get(k) for k in declared},
              **{k: v for k, v in result.flags.items() if k not in declared}}
    base = {role: ws.frame(role) for role in ("boundary", "parcels", "buildings", "roads")}
    write_map(out_dir / "map.html", layers, title=pick(f"{cfg.name} 城市更新项目与体检图",
                                                       f"{cfg.name}: renewal projects and city examination", lang),
              basemap=options.get("basemap"), attribution=attribution, base=base, lang=lang)
    basemap_note = basemap_warning(options.get("basemap"))
    if basemap_note:
        feedback.warn(basemap_note)
    timings["export.html"] = time.perf_counter() - t
    feedback.set_progress(70)
    feedback.check()

    sheet_base = None
    if options.get("sheets", True) and any(len(layer.frame) for layer in ws.layers.values()):
        t = time.perf_counter()
        from planner.export.sheets import SheetBase, write_sheets

        sheet_base = SheetBase(ws)
        write_sheets(out_dir / "maps", sheet_base, projects, title=f"{cfg.name}", info=sheet_info(ws, cfg, options, attribution, lang),
                     lang=lang, which=options.get("sheet_types"), workers=options.get("sheet_workers"),
                     start_method=options.get("sheet_start_method"), prefix=getattr(cfg, "drawing_prefix", "") or "")
        timings["export.sheets"] = time.perf_counter() - t
        if options.get("atlas", False) and projects is not None and len(projects):
            t = time.perf_counter()
            from planner.export.sheets import write_atlas

            write_atlas(out_dir / "maps" / pick("项目图集.pdf", "atlas.pdf", lang), sheet_base, projects,
                        info=sheet_info(ws, cfg, options, attribution, lang), lang=lang,
                        prefix=getattr(cfg, "drawing_prefix", "") or "", workers=options.get("sheet_workers"),
                        start_method=options.get("sheet_start_method"))
            timings["export.atlas"] = time.perf_counter() - t
    if options.get("report", False) and any(len(layer.frame) for layer in ws.layers.values()):
        feedback.check()
        t = time.perf_counter()
        from planner.export.report import write_report

        write_report(out_dir / "report.docx", result, ws, cfg, projects, run_info, lang=lang,
                     info=sheet_info(ws, cfg, options, attribution, lang), base=sheet_base,
                     workers=options.get("sheet_workers"), start_method=options.get("sheet_start_method"))
        timings["export.report"] = time.perf_counter() - t
    feedback.set_progress(100)
    return timings
