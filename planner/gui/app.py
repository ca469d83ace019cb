"""Application start-up: fonts, translations (Chinese first), the main window, --screenshot."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PyQt6 import QtCore, QtGui, QtWidgets

from planner.fonts import FONT_FAMILY, FONT_FILE
from planner.paths import RESOURCES_DIR

TRANSLATIONS = RESOURCES_DIR / "translations"
_keep: list = []  # translators must outlive the call that installed them


def register_font(app: QtGui.QGuiApplication) -> str:
    """Register the bundled CJK font and make it the application font, so Chinese never shows
    as boxes (offline machines and headless tests often have no CJK font)."""
    fid = QtGui.QFontDatabase.addApplicationFont(str(FONT_FILE))
    families = QtGui.QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
    family = families[0] if families else FONT_FAMILY
    font = QtGui.QFont(family)
    font.setPointSizeF(max(app.font().pointSizeF(), 9.0))
    app.setFont(font)
    return family


def install_translations(app: QtCore.QCoreApplication, language: str) -> None:
    """Chinese (the default) or English for the chrome (Qt's translators) and the data shown
    (planner.gui.i18n); replaces the translators installed before."""
    from planner.gui import i18n

    i18n.set_lang(language)
    while _keep:
        try:
            app.removeTranslator(_keep.pop())
        except RuntimeError:
            pass  # deleted with an application before this one (tests make several)
    if language.startswith("en"):
        return
    qt_dir = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
    for name, folder in (("qtbase_zh_CN", qt_dir), ("renewal_planner_zh_CN", str(TRANSLATIONS))):
        tr = QtCore.QTranslator()
        if tr.load(name, folder):
            app.installTranslator(tr)
            _keep.append(tr)


def make_app(argv: list[str] | None = None) -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or sys.argv[:1])
    # Workers (files, analyses, drawing) hold the interpreter while the window calls back into
    # Python many times per paint (each cell of a table); each call waits up to the switch
    # interval for a busy worker to let go (5 ms by default): 1 ms keeps a painted table quick.
    sys.setswitchinterval(0.001)
    app.setOrganizationName("RenewalPlanner")
    app.setApplicationName("RenewalPlanner")
    register_font(app)
    settings = QtCore.QSettings("RenewalPlanner", "RenewalPlanner")
    install_translations(app, str(settings.value("language", "zh_CN")))
    return app


def install_exception_hook(window) -> None:
    """Every uncaught exception (main thread, Qt slots and worker threads) goes to the
    Messages panel and, with its traceback, to the error log in the user's log folder; the
    application goes on (PyQt aborts on an exception in a slot without such a hook)."""
    import threading
    import traceback
    import weakref

    from planner.errorlog import write_error_log
    from planner.gui.threads import emit_in_gui

    target = weakref.ref(window)

    def report(kind, value, tb) -> None:
        if kind is KeyboardInterrupt:
            return
        log = write_error_log("".join(traceback.format_exception(kind, value, tb)))
        text = f"{kind.__name__}: {value}" + (f" (details: {log})" if log else "")
        # never emitted on the window from a worker: it may be being deleted (planner.gui.threads)
        emit_in_gui(target, "report_error", text)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)


def run_app(project: str | None = None, *, screenshot: str | None = None) -> int:
    if screenshot and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = make_app()
    from planner.errorlog import record_crashes, survive_file_size_limits
    from planner.gui.main_window import MainWindow

    survive_file_size_limits()
    record_crashes()
    window = MainWindow(ask=screenshot is None)
    install_exception_hook(window)
    window.show()
    if project:
        window.open_path(project)
    if screenshot:
        app.processEvents()
        window.canvas.wait_rendered(30)
        image = window.grab()
        ok = image.save(str(Path(screenshot)))
        print(f"screenshot {'written to' if ok else 'FAILED:'} {screenshot}")
        return 0 if ok else 1
    return app.exec()
