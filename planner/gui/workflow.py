"""The planning workflow in the window: run the checks on a worker (progress and Cancel),
review flags, weights, the dashboard, and export — each a call into the session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from PyQt6 import QtCore, QtWidgets

from planner.errors import InputError
from planner.gui import i18n
from planner.gui.jobs import Worker
from planner.session import FLAG_PREFIX


def warm_results(result, projects) -> None:
    """The review table's texts and the portfolio's totals, worked out on the worker that ran the
    checks (the panels then only show them)."""
    from planner.gui.panels import portfolio_totals
    from planner.gui.review import warm_flag_view

    if result is not None and result.derived.get("flag_table") is not None:
        warm_flag_view(result.derived["flag_table"])
    if projects is not None and len(projects):
        portfolio_totals(projects)


class WorkflowActions:
    """Mixed into the main window: ``self.session``, panels, ``self.worker``."""

    # state seen by the panels ----------------------------------------------------------------
    @property
    def result(self):
        return self.session.result

    @property
    def projects(self):
        return self.session.projects

    def decisions(self) -> dict:
        return self.session.decisions

    def weights(self) -> dict:
        return self.session.weights

    def set_weights(self, weights: dict) -> None:
        try:
            self.session.set_weights(weights, text=self.tr("Change priority weights"))
        except InputError as exc:
            self.error(exc)
            self.portfolio_panel.set_weights(self.session.weights)

    # running the checks -----------------------------------------------------------------------
    def run_checks_dialog(self) -> None:
        from planner.gui.panels import RunChecksDialog

        dialog = RunChecksDialog(self.session.state.params, self.session.state.as_of, self, self.catalogue)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.run_checks(params=dialog.params(), selected=dialog.selected(), as_of=dialog.as_of_date())

    def run_checks(self, *, params: dict | None = None, selected: list[str] | None = None,
                   as_of: dt.date | None = None):
        """Run the analyses on a worker thread; results replace the previous ones only on success."""
        if self.worker is not None and self.worker.is_running():
            return None
        checks = self.session.checks_job(params=params, selected=selected, as_of=as_of)

        def job(feedback):
            payload = checks(feedback)
            warm_results(payload[0], payload[2])
            return payload

        self.worker = self._new_worker(job)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._checks_finished)
        self.worker.failed.connect(lambda exc: (self._close_progress(), self.error(exc, self.tr("Checks failed"))))
        self.worker.cancelled.connect(lambda: (self._close_progress(),
                                               self.log(self.tr("Checks cancelled; the previous results are kept."))))
        self._progress_dialog(self.tr("Running checks…"))
        self.worker.start()
        return self.worker

    def _new_worker(self, job) -> Worker:
        """A worker owned by the window for ``job``; the finished one it replaces goes (workers
        piled up as the window's children, one per run and export)."""
        old = self.worker
        if old is not None and not old.is_running():
            old.deleteLater()
        return Worker(job, self)

    def _checks_finished(self, payload) -> None:
        self._close_progress()
        result, cfg, projects, problems, owners = payload
        self.session.apply_results(result, cfg, portfolio=(projects, problems, owners))
        counts = result.counts_by_code()
        self.log(self.tr("Checks done: {0} flags, {1} projects").format(f"{sum(counts.values()):,}", f"{len(projects):,}"))
        for why in result.skipped.values():
            self.log(why)

    def _progress_dialog(self, title: str) -> None:
        if not self.ask:
            return
        self.progress = QtWidgets.QProgressDialog(title, self.tr("Cancel"), 0, 100, self)
        self.progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        self.progress.canceled.connect(lambda: self.worker and self.worker.cancel())
        self.progress.show()

    def _progress(self, stage: str, percent: float) -> None:
        stage = i18n.bilingual(stage)
        self.statusBar().showMessage(f"{stage} {percent:.0f}%")
        if self.ask and getattr(self, "progress", None) is not None:
            self.progress.setLabelText(stage)
            self.progress.setValue(int(percent))

    def _close_progress(self) -> None:
        if getattr(self, "progress", None) is not None:
            self.progress.close()
            self.progress = None

    # review ------------------------------------------------------------------------------------
    def decide(self, flag_id: str, state: str | None, note: str = "", code: str = "") -> None:
        verb = {"confirmed": self.tr("Confirm flag"), "dismissed": self.tr("Dismiss flag"),
                "reclassified": self.tr("Reclassify flag")}.get(state, self.tr("Reopen flag"))
        text = f"{verb}{i18n.pick('：', ': ')}{i18n.flag_text(flag_id)}"
        try:
            self.session.decide(flag_id, state, note, code, text=text)
        except InputError as exc:
            self.error(exc)

    def _ask_note(self) -> str:
        """The note of a dismissal, asked when the review panel's note box is empty."""
        if not self.ask:
            return ""
        note, ok = QtWidgets.QInputDialog.getText(self, self.tr("Dismiss flag"), self.tr("Why is this flag dismissed?"))
        return note.strip() if ok else ""

    def _reclassify(self, flag_id: str) -> None:
        """Give a flag another rule, chosen by the rules' titles."""
        from planner.export.styles import CODE_TITLES

        if not self.ask:
            return
        codes = list(CODE_TITLES)
        titles = [i18n.code_title(c) for c in codes]
        choice, ok = QtWidgets.QInputDialog.getItem(self, self.tr("Reclassify flag"), self.tr("New rule"), titles, 0, False)
        if ok:
            self.decide(flag_id, "reclassified", "", codes[titles.index(choice)])

    def _flag_selected(self, layer_name: str, flag_id: str, row: int = -1) -> None:
        """A flag chosen in the review: shown on the map (its layer made visible, selected,
        zoomed to) and in the attribute table."""
        from planner.gui.panels import zoom_to_rows

        layer = self.session.layer_of_role(FLAG_PREFIX + layer_name)
        if layer is None:
            return
        if row < 0 or row >= len(layer.frame) or str(layer.frame["flag_id"].iat[row]) != flag_id:
            row_ids = np.flatnonzero(layer.frame["flag_id"].astype(str).to_numpy() == flag_id)
            row = int(row_ids[0]) if len(row_ids) else -1
        rows = np.array([row] if row >= 0 else [], dtype=np.int64)
        self.layers.set_visible(layer, True)
        if self.table.model.layer is not layer:
            self.layer_panel.set_current(layer)
            if self.table.model.layer is not layer:
                self.table.set_layer(layer)
        self.layers.select(layer, rows)
        zoom_to_rows(self.canvas, layer.frame, rows)

    def select_indicator_features(self, indicator: str, district: str) -> np.ndarray:
        """Select the flags behind an indicator (within the district, unless it is the whole area)."""
        import shapely

        from planner.gui.panels import indicator_features

        spec = indicator_features(indicator)
        if spec is None:
            return np.zeros(0, dtype=np.int64)
        layer = self.session.layer_of_role(FLAG_PREFIX + spec[0])
        if layer is None or spec[1] not in layer.frame.columns:
            return np.zeros(0, dtype=np.int64)
        mask = (layer.frame[spec[1]].astype(str) == spec[2]).to_numpy().copy()
        boundary = self.session.layer_of_role("boundary")
        if boundary is not None and not district.startswith("全部"):
            names = boundary.frame["name"].astype(str).to_numpy()
            polys = boundary.frame.geometry.values[names == district]
            if len(polys):
                mask &= shapely.intersects(layer.frame.geometry.values, shapely.union_all(polys))
        rows = np.flatnonzero(mask)
        self.layers.set_visible(layer, True)
        self.layers.select(layer, rows)
        if len(rows):
            from planner.gui.panels import zoom_to_rows

            zoom_to_rows(self.canvas, layer.frame, rows)
        self.log(self.tr("{0}: {1} features behind the indicator").format(i18n.layer_title(layer), len(rows)))
        return rows

    # export --------------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, self.tr("Export deliverables to"),
                                                            str(self.settings.value("last_dir", "")))
        if not folder:
            return
        from planner.gui.panels import ExportOptionsDialog

        projects = self.session.projects
        types = sorted(projects["type"].unique()) if projects is not None and len(projects) else []
        dialog = ExportOptionsDialog(types, self, {k: i18n.type_title(k) for k in types})
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.export(Path(folder), open_when_done=True, **dialog.options())

    def export(self, folder: Path, *, open_when_done: bool = False, sheets: bool = True,
               sheet_types: list[str] | None = None, basemap: str | None = None, report: bool = False):
        """Write the deliverables of the project as it stands (with run.json) on a worker."""
        from planner.gui.panels import open_folder

        session = self.session
        if session.result is None or session.projects is None:
            self.error(InputError("there are no results to export yet.", hint="run the checks first (F5)."))
            return None
        # Sheets are drawn in a spawned process: matplotlib holds the GIL while drawing, and
        # forking a process that runs Qt threads is unsafe.
        # GDAL holds the GIL while it writes a layer: "responsive" writes the GeoPackage in short
        # slices so that this window's thread gets its turn in between.
        options = {"sheets": sheets, "sheet_workers": 1, "sheet_start_method": "spawn", "sheet_types": sheet_types,
                   "basemap": basemap, "report": report, "responsive": True}
        job = session.export_job(Path(folder), options)
        self.worker = self._new_worker(job)
        self.worker.progress.connect(self._progress)

        def done(_manifest) -> None:
            self._close_progress()
            self.log(self.tr("Deliverables written to {0}").format(folder))
            if open_when_done:
                open_folder(Path(folder))

        self.worker.finished.connect(done)
        self.worker.failed.connect(lambda exc: (self._close_progress(), self.error(exc, self.tr("Export failed"))))
        self._progress_dialog(self.tr("Writing deliverables…"))
        self.worker.start()
        return self.worker
