"""Files in the window: every path that replaces the open project asks to save, Save As never
overwrites silently or overwrites an input, damaged files are refused, a TOML-started project
autosaves to a recovery file, and an exception in a slot does not take the app down."""

import shutil

import pytest

pytest.importorskip("PyQt6")
from PyQt6 import QtCore, QtWidgets  # noqa: E402

from ..conftest import SAMPLE  # noqa: E402

Button = QtWidgets.QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, tmp_path):
    from planner.gui.app import make_app
    from planner.gui.main_window import MainWindow

    make_app()
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, ask=False)
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(SAMPLE / "sample_project.toml")
    return w


def make_dirty(w):
    w.layers.remove(next(lyr for lyr in w.layers if lyr.role == "facilities"))
    assert w.session.dirty


def test_every_path_that_replaces_the_project_asks_to_save(window, tmp_path):
    saved = tmp_path / "other.gpkg"
    assert window.save_to(saved)
    make_dirty(window)
    asked = []
    window.ask_save_changes = lambda: (asked.append(1), Button.Cancel)[1]
    n = len(window.layers)
    window._add_recent(saved)
    paths = {
        "open": lambda: window.open_path(saved),
        "new": window.new_project,
        "recent": lambda: window.recent_menu.actions()[0].trigger(),
        "drop project": lambda: window.open_or_add(str(saved)),
        "drop toml": lambda: window.open_or_add(str(SAMPLE / "sample_project.toml")),
        "close": window.close,
    }
    for name, action in paths.items():
        before = len(asked)
        action()
        assert len(asked) == before + 1, f"{name} did not ask"
        assert len(window.layers) == n and window.session.dirty, f"{name} replaced the project"
    # answering Save writes the project, then the other one opens
    window.ask_save_changes = lambda: Button.Save
    assert window.open_path(SAMPLE / "sample_project.toml")
    from planner.projectfile import load_project_file

    assert "facilities" not in {lyr.role for lyr in load_project_file(saved).layers}


def test_save_as_completes_the_extension_and_never_overwrites_silently(window, tmp_path):
    existing = tmp_path / "city.gpkg"
    shutil.copy(SAMPLE / "city.gpkg", existing)
    before = existing.read_bytes()
    asked = []
    window.ask_overwrite = lambda p: (asked.append(p), False)[1]
    assert window.save_to(tmp_path / "city", confirm_overwrite=True) is False
    assert asked == [existing] and existing.read_bytes() == before
    # an input layer of the project is never overwritten, whatever the answer
    window.ask_overwrite = lambda p: True
    assert window.save_to(SAMPLE / "city", confirm_overwrite=True) is False
    assert "input" in window.last_error
    assert window.save_to(tmp_path / "new") and (tmp_path / "new.gpkg").exists()


def test_a_damaged_project_is_refused(window, tmp_path):
    path = tmp_path / "p.gpkg"
    assert window.save_to(path)
    data = bytearray(path.read_bytes())
    data[4096 * 4: 4096 * 12] = bytes(4096 * 8)
    path.write_bytes(bytes(data))
    n = len(window.layers)
    assert window.open_path(path) is False
    assert "damaged" in window.last_error and len(window.layers) == n


def test_a_toml_started_project_autosaves_to_a_recovery_file(window, qtbot, tmp_path, user_folders):
    from planner.gui.main_window import MainWindow

    assert window.session.path is None
    make_dirty(window)
    target = window.autosave()
    assert target is not None and target.exists() and str(user_folders) in str(target)
    window.session.set_dirty(False)
    other = MainWindow(settings=window.settings, ask=False)
    qtbot.addWidget(other)
    window.settings.setValue("recover_without_asking", True)
    assert other.open_path(SAMPLE / "sample_project.toml")
    assert "facilities" not in {lyr.role for lyr in other.layers}
    assert other.session.path is None
    assert "recovery" in other.messages.toPlainText()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_reported_not_fatal(window, qtbot, user_folders):
    import sys
    import threading

    from planner.gui.app import install_exception_hook

    old_hooks = sys.excepthook, threading.excepthook
    try:
        install_exception_hook(window)

        def boom():
            raise RuntimeError("slot failed")

        QtCore.QTimer.singleShot(0, boom)
        qtbot.waitUntil(lambda: "slot failed" in window.last_error, timeout=5000)
        t = threading.Thread(target=boom)
        t.start()
        t.join()
        qtbot.waitUntil(lambda: "slot failed" in window.messages.toPlainText(), timeout=5000)
        logs = list((user_folders / "logs").glob("errors-*.log"))
        assert logs and "Traceback" in logs[0].read_text(encoding="utf-8")
    finally:
        sys.excepthook, threading.excepthook = old_hooks
