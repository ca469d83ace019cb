"""The output folder of a run (run-contract.md, "The output folder").

- Checked before any work: a DIR that is a file, lies under a file, or cannot be written is
  an :class:`~planner.errors.InputError` (exit 2) at once.
- Written as one set: the deliverables are written into a staging folder beside DIR (inside DIR
  only when its parent cannot be written); :meth:`OutputFolder.commit` then moves the earlier
  run's files out (run.json first) and the new ones in (run.json last), a rename each. A run
  that fails or is killed before the commit leaves DIR as it was; one killed inside the commit
  leaves an incomplete set without run.json, never new files beside old ones. Leftovers of
  killed runs (staging folders, temporary files) are removed by the next run.
- Files an earlier run of the tool left and this run does not write are removed: those its
  run.json lists as deliverables and the known deliverable names; nothing else in DIR is touched.
- run.json lists every deliverable it belongs with: ``deliverables: [{path, bytes, sha256}]``.

Use::

    check_output_dir(out_dir, inputs=input_paths)      # first thing, before loading
    with prepare_output(out_dir) as folder:             # discards the staging folder on error
        write_deliverables(folder.staging, ...)
        manifest = folder.commit(manifest)              # adds "deliverables", writes run.json
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from planner.errors import InputError

KNOWN_FILES = ("portfolio.gpkg", "portfolio.xlsx", "map.html", "report.docx", "run.json")
MAPS_DIR = "maps"
MAP_SUFFIXES = (".png", ".pdf")
MANIFEST = "run.json"
_TAG = ".renewal-planner-"
# errno values that mean "the output cannot be written there", not a bug of ours
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                 errno.ENAMETOOLONG}
_WRITE_WORDS = ("no space left", "disk is full", "disk full", "file too large", "quota", "read-only file system",
                "permission denied", "disk i/o error", "input/output error")


def check_output_dir(out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Exit 2 now (InputError) when DIR is a file, lies under a file, cannot be written, or
    holds an input under a deliverable's name; returns DIR (not created yet)."""
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError("the output folder is a file.", file=str(out),
                         hint="give --out a folder (it is created when missing), not a file.")
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"the output folder cannot be made: '{probe}' is a file.", file=str(out),
                         hint="give --out a folder whose parents are folders.")
    try:
        Path(tempfile.mkdtemp(prefix=f"{_TAG}check-", dir=probe)).rmdir()
    except OSError as exc:
        raise InputError(f"the output folder cannot be written ({exc.strerror or exc}).", file=str(out),
                         hint="choose a folder you can write to, or fix its permissions.") from None
    ours = {(out / name).resolve() for name in KNOWN_FILES}
    for path in inputs:
        p = Path(path).resolve()
        if p in ours or (p.parent == (out / MAPS_DIR).resolve() and p.suffix.lower() in MAP_SUFFIXES):
            raise InputError(f"the output folder holds the input '{p.name}' under a deliverable's name; the run "
                             "would replace it.", file=str(p),
                             hint="write the deliverables to another folder (--out), or move the input.")
    return out


def prepare_output(out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> OutputFolder:
    """Check DIR, create it, clear leftovers of killed runs, and open a staging folder."""
    out = check_output_dir(out_dir, inputs=inputs)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"the output folder cannot be made ({exc.strerror or exc}).", file=str(out),
                         hint="choose a folder you can write to.") from None
    out = out.resolve()
    _remove_leftovers(out)
    base, prefix = _staging_base(out)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{prefix}staging-{os.getpid()}-", dir=base))
    except OSError as exc:
        raise InputError(f"the output folder cannot be written ({exc.strerror or exc}).", file=str(out),
                         hint="choose a folder you can write to, or fix its permissions.") from None
    return OutputFolder(out, staging)


def _staging_base(out: Path) -> tuple[Path, str]:
    """Beside DIR (so that DIR itself never holds half a run), inside it where the parent
    cannot be written or is another file system."""
    parent = out.parent
    try:
        if parent != out and os.access(parent, os.W_OK) and parent.stat().st_dev == out.stat().st_dev:
            return parent, f".{out.name}{_TAG}"
    except OSError:
        pass
    return out, _TAG


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # never guess on Windows: leftovers there go by age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(out: Path) -> None:
    """Staging and swap folders of runs that were killed, and temporary files of killed writes."""
    for base, prefix in ((out.parent, f".{out.name}{_TAG}"), (out, _TAG)):
        try:
            entries = list(base.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
                continue
            parts = name[len(prefix):].split("-")
            pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
            stale = (pid is not None and pid != os.getpid() and not _pid_alive(pid)) or \
                (os.name != "posix" and time.time() - entry.stat().st_mtime > 86400)
            if stale:
                shutil.rmtree(entry, ignore_errors=True)
    for name in KNOWN_FILES:  # fileio.atomic_path's temporaries: ".portfolio.gpkg.XXXX.tmp.gpkg"
        for tmp in out.glob(f".{name}.*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def write_failure(exc: BaseException, out: Path) -> InputError | None:
    """The InputError for an exception raised while writing the deliverables when it says the
    folder cannot take them (disk full, file too large, read-only, no permission), else None."""
    text = str(exc).lower()
    if (isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS) or any(w in text for w in _WRITE_WORDS):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return InputError(f"the deliverables could not be written ({reason}); the folder is left as it was.",
                          file=str(out), hint="free disk space or choose another folder (--out), and run again.")
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OutputFolder:
    """A run's output folder while the run writes it (see the module's docstring)."""

    def __init__(self, path: Path, staging: Path):
        self.path = path
        self.staging = staging
        self.committed = False

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is not None and not self.committed:
            self.discard()
            failure = write_failure(exc, self.path)
            if failure is not None:
                raise failure from None
        return False

    def discard(self) -> None:
        """Forget the staged files (DIR is left as it was)."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def staged(self) -> list[str]:
        """The staged files (relative POSIX paths), run.json excluded."""
        files = (p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file())
        return sorted(rel for rel in files if rel != MANIFEST)

    def previous(self) -> list[str]:
        """Files an earlier run of the tool left in DIR: those its run.json lists as
        deliverables, the known deliverable names, and map sheets (PNG/PDF in maps/)."""
        found: set[str] = set()
        manifest = self.path / MANIFEST
        if manifest.is_file():
            try:
                listed = json.loads(manifest.read_text(encoding="utf-8")).get("deliverables") or []
            except (OSError, ValueError, AttributeError):
                listed = []
            for item in listed if isinstance(listed, list) else []:
                rel = item.get("path") if isinstance(item, dict) else None
                if isinstance(rel, str) and self._inside(rel):
                    found.add(Path(rel).as_posix())
        found.update(name for name in KNOWN_FILES)
        maps = self.path / MAPS_DIR
        if maps.is_dir():
            found.update(f"{MAPS_DIR}/{p.name}" for p in maps.iterdir() if p.suffix.lower() in MAP_SUFFIXES)
        return sorted(rel for rel in found if (self.path / rel).is_file() and not (self.path / rel).is_symlink())

    def _inside(self, rel: str) -> bool:
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            return False
        try:
            return (self.path / p).resolve().is_relative_to(self.path)
        except OSError:
            return False

    def deliverables(self) -> list[dict[str, Any]]:
        """``{path, bytes, sha256}`` of every staged file (run.json excluded)."""
        out: list[dict[str, Any]] = []
        for rel in self.staged():
            f = self.staging / rel
            out.append({"path": rel, "bytes": f.stat().st_size, "sha256": _sha256(f)})
        return out

    def commit(self, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write run.json (the manifest with its ``deliverables``) and move the set into DIR in
        place of the earlier run's files; returns the manifest written."""
        manifest = dict(manifest or {})
        manifest["deliverables"] = self.deliverables()
        try:
            (self.staging / MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
            new = self.staged()
            old = self.previous()
            swap = Path(tempfile.mkdtemp(prefix=self.staging.name.replace("staging", "old", 1),
                                         dir=self.staging.parent))
        except OSError as exc:
            self.discard()
            failure = write_failure(exc, self.path)
            raise (failure or exc) from None
        # The earlier run's files out, run.json first; then the new ones in, run.json last.
        for rel in sorted(old, key=lambda r: r != MANIFEST):
            _move(self.path / rel, swap / rel)
        for rel in [*new, MANIFEST]:
            _move(self.staging / rel, self.path / rel)
        self.committed = True
        shutil.rmtree(swap, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        maps = self.path / MAPS_DIR
        if maps.is_dir() and not any(maps.iterdir()):
            maps.rmdir()
        return manifest


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copy2(src, dst)
        src.unlink()
