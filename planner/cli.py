"""Command line: ``renewal-planner run | layers | render | gui``.

User errors end with one paragraph on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner import __version__
from planner.errors import Cancelled, InputError

if TYPE_CHECKING:
    from planner.project import RunConfig
    from planner.session import Session

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="renewal-planner",
                                description="Renewal Planner 城市更新规划助手")
    p.add_argument("--version", action="version", version=f"renewal-planner {__version__}")
    p.add_argument("--self-test", action="store_true",
                   help="load the sample project, run the checks, write and verify the deliverables, exit 0 or 1")
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser("run", help="load inputs, run the checks, write the deliverables")
    run.add_argument("project", nargs="?", help="project file (TOML)")
    run.add_argument("--land", "--parcels", dest="parcels", metavar="FILE")
    run.add_argument("--buildings", metavar="FILE")
    run.add_argument("--facilities", metavar="FILE")
    run.add_argument("--roads", metavar="FILE")
    run.add_argument("--boundary", metavar="FILE")
    run.add_argument("--water", metavar="FILE", help="water bodies or rivers (reported when a proposed link crosses them)")
    run.add_argument("--rail", metavar="FILE", help="railways (reported when a proposed link crosses them)")
    run.add_argument("--heritage", metavar="FILE",
                     help="heritage areas and buildings (历史文化街区, 历史建筑, 文物保护单位): demolition in them is a conflict")
    run.add_argument("--layer", action="append", default=[], metavar="ROLE=FILE",
                     help="an input of any role of the layer catalogue (e.g. restricted=campuses.gpkg); "
                          "'renewal-planner layers FILE' shows how a file maps")
    run.add_argument("--raster", action="append", default=[], metavar="NAME=FILE")
    run.add_argument("--as-of", metavar="YYYY-MM-DD")
    run.add_argument("--crs", metavar="EPSG:NNNN")
    run.add_argument("--set", action="append", default=[], metavar="RULE.PARAM=VALUE")
    run.add_argument("--map", action="append", default=[], metavar="LAYER.FIELD=COLUMN")
    run.add_argument("--out", required=True, metavar="DIR")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--basemap", metavar="tianditu:KEY|URL",
                     help="add a basemap to map.html (needs a network): 'tianditu:YOUR_KEY' or a tile URL template")
    run.add_argument("--sheets", default="all", metavar="all|none|TYPE,...",
                     help="map sheets to draw: all (default), none, or overview and/or project types")
    run.add_argument("--lang", default="zh", choices=["zh", "en"],
                     help="language of the deliverables: zh (Chinese, default) or en (English)")
    run.add_argument("--atlas", default="none", metavar="all|none",
                     help="also write the project atlas, one A4 page per project (maps/项目图集.pdf): all, or none "
                          "(default: its pages take about half a second each)")
    run.add_argument("--report", action="store_true",
                     help="also write report.docx, the plan draft (城市体检与更新规划草案) in Word")

    run.add_argument("--save-project", metavar="FILE.gpkg",
                     help="also write the project file the desktop application opens (inputs, results, portfolio)")

    review = sub.add_parser("review", help="record a review decision on one flag of a saved project")
    review.add_argument("project", metavar="FILE.gpkg")
    review.add_argument("--flag", required=True, metavar="FLAG_ID")
    state = review.add_mutually_exclusive_group(required=True)
    state.add_argument("--confirm", dest="state", action="store_const", const="confirmed")
    state.add_argument("--dismiss", dest="state", action="store_const", const="dismissed")
    state.add_argument("--reopen", dest="state", action="store_const", const="open")
    state.add_argument("--reclassify", metavar="CODE", help="re-classify the flag under another rule code")
    review.add_argument("--note", default="", metavar="TEXT")

    export = sub.add_parser("export", help="write the deliverables of a saved project as it stands")
    export.add_argument("project", metavar="FILE.gpkg")
    export.add_argument("--out", required=True, metavar="DIR")
    export.add_argument("--quiet", action="store_true", help="no progress on stderr")
    export.add_argument("--basemap", metavar="tianditu:KEY|URL")
    export.add_argument("--sheets", default="all", metavar="all|none|TYPE,...")
    export.add_argument("--lang", default="zh", choices=["zh", "en"],
                        help="language of the deliverables: zh (Chinese, default) or en (English)")
    export.add_argument("--atlas", default="none", metavar="all|none",
                        help="also write the project atlas, one A4 page per project: all, or none (default)")
    export.add_argument("--report", action="store_true",
                        help="also write report.docx, the plan draft (城市体检与更新规划草案) in Word")

    layers = sub.add_parser("layers", help="list a file's layers, fields and the mapping it would use")
    layers.add_argument("file")
    layers.add_argument("--role", help="layer role to map against (default: guessed from the fields)")

    analyses = sub.add_parser("analyses", help="list the analyses and their parameters")
    analyses.add_argument("--lang", default="zh", choices=["zh", "en"])

    render = sub.add_parser("render", help="draw layers to a PNG with the map canvas's renderer")
    render.add_argument("inputs", nargs="+")
    render.add_argument("--size", default="1920x1080")
    render.add_argument("--extent")
    render.add_argument("--repeat", type=int, default=1)
    render.add_argument("--out", required=True)

    gui = sub.add_parser("gui", help="start the desktop application")
    gui.add_argument("project", nargs="?")
    gui.add_argument("--screenshot", metavar="FILE")
    return p


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    from planner.io.sources import parse_source
    from planner.project import (
        InputConfig,
        RunConfig,
        apply_mapping_option,
        known_roles,
        load_project,
        parse_date_option,
        parse_value,
        role_of,
        run_name,
    )

    cfg = load_project(args.project) if args.project else RunConfig(name=run_name("", getattr(args, "lang", "zh")))
    given = [(role, getattr(args, role)) for role in known_roles(cfg.catalogue_dirs) if getattr(args, role, None)]
    for item in args.layer:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"--layer '{item}' is not of the form ROLE=FILE.", hint="e.g. --layer heritage=保护范围.shp")
        given.append((role_of(name, cfg.catalogue_dirs), value.strip()))
    for role, value in given:
        # Command-line paths are relative to the working directory, not to the project file.
        cfg.inputs[role] = InputConfig(role=role, path=parse_source(value, base=Path.cwd()).label())
    for item in args.raster:
        name, sep, path = item.partition("=")
        if not sep:
            raise InputError(f"--raster '{item}' is not of the form NAME=FILE.", hint="e.g. --raster dem=dem.tif")
        cfg.rasters[name] = str(Path(path).resolve())
    if args.as_of:
        cfg.as_of = parse_date_option(args.as_of)
    if args.crs:
        cfg.crs = None if args.crs == "auto" else args.crs
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise InputError(f"--set '{item}' is not of the form RULE.PARAM=VALUE.",
                             hint="e.g. --set old_housing.cutoff_year=2004; see 'renewal-planner analyses'.")
        cfg.params[key.strip()] = parse_value(value)
    for item in args.map:
        apply_mapping_option(cfg, item)
    if not cfg.inputs:
        raise InputError("no input layers were given.",
                         hint="give a project file or at least one of --land, --buildings, --facilities, --roads.")
    return cfg


def cmd_run(args: argparse.Namespace) -> int:
    from planner.feedback import ConsoleFeedback
    from planner.pipeline import run_job

    cfg = _config_from_args(args)
    feedback = ConsoleFeedback(quiet=args.quiet)
    out = Path(args.out)
    save = Path(args.save_project) if args.save_project else None
    manifest, ws = run_job(cfg, out, feedback, export_options=_export_options(args), save_project=save)
    if not args.quiet:
        print(f"working CRS: {manifest['crs']['working']} ({manifest['crs']['reason']})", file=sys.stderr)
    print(f"deliverables written to {out.resolve()}")
    if ws.errors:
        print("some inputs could not be used:\n  " + "\n  ".join(ws.errors), file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _export_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"basemap": args.basemap, "lang": getattr(args, "lang", "zh"),
                               "atlas": getattr(args, "atlas", "none") == "all", "report": bool(getattr(args, "report", False))}
    if args.sheets == "none":
        options["sheets"] = False
    elif args.sheets != "all":
        options["sheet_types"] = [t.strip() for t in args.sheets.split(",") if t.strip()]
    return options


def _open_session(path: str) -> Session:
    from planner.session import Session

    session = Session()
    if not Path(path).exists() or Path(path).suffix.lower() != ".gpkg":
        raise InputError("the project file does not exist or is not a .gpkg.", file=path,
                         hint="give a project file written by 'run --save-project' or saved by the app.")
    session.open(path)
    return session


def cmd_review(args: argparse.Namespace) -> int:
    session = _open_session(args.project)
    if args.reclassify:
        session.decide(args.flag, "reclassified", args.note, args.reclassify)
    else:
        session.decide(args.flag, args.state, args.note)
    session.save()
    state = args.state or "reclassified"
    print(f"{args.flag}: {state} — saved to {session.path}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from planner.feedback import ConsoleFeedback

    session = _open_session(args.project)
    for p in session.problems:
        print(f"warning: {p}", file=sys.stderr)
    session.export(Path(args.out), ConsoleFeedback(quiet=args.quiet), options=_export_options(args))
    print(f"deliverables written to {Path(args.out).resolve()}")
    return EXIT_OK


def cmd_layers(args: argparse.Namespace) -> int:
    from planner.catalogue import default_catalogue
    from planner.io.loading import map_fields
    from planner.io.readers import read_vector
    from planner.io.sources import list_layers, parse_source

    catalogue = default_catalogue()
    source = parse_source(args.file)
    layers = list_layers(source)
    print(f"{source.path}: {len(layers)} layer(s)")
    for name, gtype in layers:
        print(f"  {name}  [{gtype}]")
    chosen = [source.layer] if source.layer else [n for n, _ in layers]
    for name in chosen:
        sub = source if len(layers) == 1 or source.layer else parse_source(f"{source.path}:{name}")
        raw = read_vector(sub, role=args.role)
        columns = [c for c in raw.frame.columns if c != raw.frame.geometry.name]
        if args.role:
            role = args.role
        else:  # the role whose synonyms recognise most columns
            role = max(catalogue.layers, key=lambda r: len(map_fields(columns, catalogue.layers[r])))
        mapping = map_fields(columns, catalogue.layer(role))
        print(f"\nlayer {name or source.path.stem}: {len(raw.frame)} features, CRS "
              f"{raw.frame.crs.to_string() if raw.frame.crs else 'none'}, encoding {raw.encoding or '?'}"
              f" ({raw.encoding_note}); mapped as role '{role}'")
        inverse = {v: k for k, v in mapping.items()}
        for c in columns:
            target = inverse.get(c)
            print(f"  {c:<24} -> {target if target else '(not used)'}")
        missing = [f.name for f in catalogue.layer(role).fields if f.name not in mapping]
        if missing:
            print(f"  missing: {', '.join(missing)}")
    return EXIT_OK


def cmd_analyses(args: argparse.Namespace) -> int:
    from planner.analysis.registry import all_analyses

    for a in all_analyses():
        print(f"{a.id}: {a.title if args.lang == 'zh' else a.title_en}")
        for p in a.parameters:
            print(f"  {a.id}.{p.name} = {p.default!r} {p.unit}  {p.description if args.lang == 'zh' else p.description_en}")
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from planner.gui.render_cli import render_command

    code: int = render_command(args)  # mypy does not follow the GUI package: its int is said here
    return code


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from planner.gui.app import run_app
    except ImportError as exc:
        print(f"the desktop application needs PyQt6 ({exc}); install with: pip install 'renewal-planner[gui]'",
              file=sys.stderr)
        return EXIT_FAIL
    code: int = run_app(args.project, screenshot=args.screenshot)
    return code


def main(argv: list[str] | None = None) -> int:
    from planner.errorlog import survive_file_size_limits

    survive_file_size_limits()
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from planner.selftest import self_test

        return self_test()
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or sys.argv[1:])])
    handlers = {"run": cmd_run, "review": cmd_review, "export": cmd_export, "layers": cmd_layers, "analyses": cmd_analyses, "render": cmd_render,
                "gui": cmd_gui}
    try:
        return handlers[args.command](args)
    except InputError as exc:
        print(f"error: {exc.message()}", file=sys.stderr)
        return EXIT_INPUT
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so briefly, keep the details in the user's log folder
        from planner.errorlog import write_error_log

        log = write_error_log(traceback.format_exc())
        where = f" Details were written to {log}." if log else ""
        print(f"internal error: {type(exc).__name__}: {exc}.{where} Please report it.", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
