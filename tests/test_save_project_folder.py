"""`run --save-project` into a folder that does not exist yet makes the folder, as `--out` does
(before, the whole run stopped with exit 2 after its analyses because the save could not open
the file)."""

import json

from .helpers import buildings_frame, write
from .test_cli import cli


def test_save_project_makes_its_folder(tmp_path):
    good = write(buildings_frame(3, JZYT=["住宅"] * 3, JCND=["1990"] * 3), tmp_path / "b.gpkg", layer="buildings")
    target = tmp_path / "new" / "sub" / "p.gpkg"
    proc = cli("run", "--buildings", good, "--out", tmp_path / "o", "--save-project", target, "--sheets", "none")
    assert proc.returncode == 0, proc.stderr
    assert target.is_file() and target.stat().st_size > 0
    m = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    assert m["project_file"] == str(target)
    assert not [p for p in target.parent.iterdir() if p != target]  # no temporary file left beside it
