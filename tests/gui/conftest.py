"""GUI tests keep the app's user folders (recovery files, error logs) in a temp folder."""

import pytest


@pytest.fixture(autouse=True)
def user_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("RENEWAL_PLANNER_DATA", str(tmp_path / "user_data"))
    return tmp_path / "user_data"
