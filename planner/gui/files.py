"""Project files in the window: open, save, Save As, autosave and recovery, recent files,
drag and drop, adding layers. Files are read and written on workers over a snapshot of the
session (the window keeps answering); every path that replaces the open project asks to save
unsaved work first."""

from __future__ import annotations

from pathlib import Path

from pyproj import CRS
from PyQt6 import QtWidgets

from planner.errors import Cancelled, InputError
from planner.gui import i18n
from planner.gui.jobs import run_blocking
from planner.model import MapLayer
from planner.session import (
    Prepared,
    is_project_file,
    portfolio_settings,
    prepare_project,
    prepare_toml,
    recovery_offer,
    recovery_path_for,
)


def warm_views(prepared: Prepared) -> Prepared:
    """What the panels would work out on the main thread when the project is adopted, worked
    out here on the worker: each layer's geometry kind, legend classes and flattened drawing
    form, the review table's texts and filter choices (no Qt calls: plain data the views keep
    per frame)."""
    from planner.gui.render import label_codes, warm_prepare
    from planner.gui.review import warm_flag_view

    for layer in prepared.state.layers:
        if layer.raster:
            continue
        _ = layer.geometry_kind, layer.bounds()
        if layer.visible:
            warm_prepare(layer)
        if layer.label_field and layer.label_field in layer.frame.columns:
            label_codes(layer)  # and the texts
        style = layer.style or {}
        if style.get("categories"):
            layer.present_values(style.get("field"))
    if prepared.result is not None and prepared.result.derived.get("flag_table") is not None:
        warm_flag_view(prepared.result.derived["flag_table"])
    if prepared.portfolio is not None and len(prepared.portfolio[0]):
        from planner.gui.panels import portfolio_totals

        portfolio_totals(prepared.portfolio[0])
    try:
        portfolio_settings(prepared.state.params, prepared.state.weights)  # read once, kept
    except InputError:
        pass  # reported where the settings are used
    return prepared


class FileActions:
    """Mixed into the main window: ``self.session``, ``self.canvas``, ``self.settings``."""

    # asking ---------------------------------------------------------------------------------
    def ask_save_changes(self) -> QtWidgets.QMessageBox.StandardButton:
        """Save / Discard / Cancel for unsaved work (tests replace this to answer); a window
        that must not ask (``--screenshot``, tests) discards."""
        if not self.ask:
            return QtWidgets.QMessageBox.StandardButton.Discard
        return QtWidgets.QMessageBox.question(
            self, self.tr("Unsaved changes"), self.tr("Save the changes to the project first?"),
            QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel)

    def ask_overwrite(self, path: Path) -> bool:
        if not self.ask:
            return False
        answer = QtWidgets.QMessageBox.question(self, self.tr("Replace file"),
                                                self.tr("{0} exists already. Replace it?").format(path.name))
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def _maybe_save(self) -> bool:
        """True when the open project may be replaced (saved, discarded or unchanged)."""
        if not self.session.dirty or len(self.layers) == 0:
            return True
        answer = self.ask_save_changes()
        if answer == QtWidgets.QMessageBox.StandardButton.Cancel:
            return False
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        return True

    # opening --------------------------------------------------------------------------------
    def open_path(self, path: str | Path, *, ask_save: bool = True) -> bool:
        """Open a project file or a project TOML (read on a worker); asks to save unsaved work."""
        path = Path(path)
        if ask_save and not self._maybe_save():
            return False
        try:
            recovery = recovery_path_for(str(path.resolve()), self.session._recovery_dir)
            if path.suffix.lower() == ".toml" and recovery.exists() and self._ask_recover(recovery):
                prepared = run_blocking(lambda fb: warm_views(prepare_project(recovery)), self, self._progress)
                prepared.path = None  # a recovered TOML session still has no project file
                prepared.messages.append(self.tr("Recovered unsaved work from {0}").format(recovery))
            elif path.suffix.lower() == ".toml":
                catalogue = self.catalogue
                prepared = run_blocking(lambda fb: warm_views(prepare_toml(path, fb, catalogue)), self,
                                        self._progress)
            else:
                source = path
                offer = recovery_offer(path)
                if offer is not None and self._ask_recover(path):
                    source = offer
                prepared = run_blocking(lambda fb: warm_views(prepare_project(path, source=source)), self,
                                        self._progress)
                if source != path:
                    prepared.messages.append(self.tr("Opened project {0}").format(path) + i18n.pick("（自动保存副本）", " (autosave)"))
        except (InputError, Cancelled) as exc:
            if isinstance(exc, InputError):
                self.error(exc, self.tr("Cannot open"))
            return False
        self.adopt(prepared)
        self.statusBar().clearMessage()
        if path.suffix.lower() != ".toml":
            self._add_recent(path)
        self.log(self.tr("Opened {0}: {1} layers").format(path, len(self.layers)))
        return True

    def _ask_recover(self, path: Path) -> bool:
        if not self.ask:
            return bool(self.settings.value("recover_without_asking", False, type=bool))
        answer = QtWidgets.QMessageBox.question(
            self, self.tr("Recover"), self.tr("An autosave newer than {0} exists. Open the autosave?").format(path.name))
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def open_dialog(self) -> None:
        if not self._maybe_save():
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, self.tr("Open project"), str(self.settings.value("last_dir", "")),
            self.tr("Projects (*.gpkg *.toml);;All files (*)"))
        if path:
            self.open_path(path, ask_save=False)

    def new_project(self) -> None:
        if not self._maybe_save():
            return
        self.session.new()
        self.canvas.crs = None

    # saving ---------------------------------------------------------------------------------
    def save_to(self, path: str | Path, *, confirm_overwrite: bool = False) -> bool:
        """Save on a worker; a failure is reported and the app, the session and the previous
        file stay as they were."""
        try:
            target = self.session.check_save_target(Path(path))
        except InputError as exc:
            self.error(exc, self.tr("Cannot save"))
            return False
        if confirm_overwrite and target.exists() and target != self.session.path and not self.ask_overwrite(target):
            return False
        self._sync_view()
        job, snap = self.session.save_job(target)
        try:
            run_blocking(job, self, self._progress)
        except InputError as exc:
            self.error(exc, self.tr("Cannot save"))
            return False
        self.session.saved(target, snap)
        self._add_recent(target)
        self.log(self.tr("Saved {0}").format(target))
        return True

    def save(self) -> bool:
        if self.session.path is None:
            return self.save_as_dialog()
        return self.save_to(self.session.path)

    def save_as_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, self.tr("Save project"), str(self.settings.value("last_dir", "")),
            self.tr("Renewal Planner project (*.gpkg)"),
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite)  # asked after .gpkg is added
        return bool(path) and self.save_to(path, confirm_overwrite=True)

    def autosave(self, *, wait: bool = True) -> Path | None:
        """Write what changed since the last save (beside the project, or into the recovery
        folder for a project without a file) on a worker; failures are reported, never fatal."""
        if getattr(self, "_autosaving", False):
            return None
        self._sync_view()
        planned = self.session.autosave_job()
        if planned is None:
            return None
        path, job = planned
        self._autosaving = True
        try:
            size = run_blocking(job, self)
            self.log(self.tr("Autosaved to {0} ({1} KB)").format(path, f"{size / 1024:,.0f}"))
            return path
        except InputError as exc:
            self.log(exc.message(i18n.lang()))
            return None
        finally:
            self._autosaving = False

    def _sync_view(self) -> None:
        self.session.state.view = self.canvas.extent() if len(self.layers) else None

    # recent files, drag and drop ------------------------------------------------------------
    def _add_recent(self, path: Path) -> None:
        recent = [p for p in (self.settings.value("recent", []) or []) if p != str(path)]
        recent.insert(0, str(path))
        self.settings.setValue("recent", recent[:8])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.value("recent", []) or []:
            self.recent_menu.addAction(p, lambda _=False, p=p: self.open_path(p))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            self.open_or_add(url.toLocalFile())

    def open_or_add(self, path: str) -> None:
        """A dropped file: a project (TOML or project GeoPackage) replaces the open project after
        asking to save; any other file is added as a layer."""
        if path.lower().endswith(".toml") or (path.lower().endswith(".gpkg") and is_project_file(path)):
            self.open_path(path)
        else:
            self.add_layer_file(path)

    # adding layers --------------------------------------------------------------------------
    def add_layer_file(self, path: str, role: str | None = None, mapping: dict | None = None) -> MapLayer | None:
        """Add a file as a layer with the engine's readers, CRS handling and field mapping."""
        try:
            raw, guessed, columns, found = self.session.inspect_file(path)
            role = role or guessed
            if role != guessed:
                found = self.session.mapping_for(columns, role)
            if mapping is None and self.ask:
                from planner.gui.dialogs import FieldMappingDialog

                dialog = FieldMappingDialog(self.catalogue, role, columns, found, self)
                if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                    return None
                role, mapping = dialog.result_role(), dialog.result_mapping()
            had_crs = bool(self.session.state.crs)
            layer = self.session.layer_from_file(path, raw, role, mapping)
            if not had_crs:
                self.canvas.crs = CRS.from_user_input(self.session.state.crs)
                self.crs_label.setText(self.session.state.crs)
            self.add_map_layer(layer, zoom=len(self.layers) == 0)
            self.log(self.tr("Added {0} ({1} features) as {2}").format(layer.name, len(layer.frame), role))
            return layer
        except InputError as exc:
            self.error(exc, self.tr("Cannot add layer"))
            return None

    def add_layer_dialog(self) -> None:
        files, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self, self.tr("Add layer"), str(self.settings.value("last_dir", "")),
            self.tr("GIS data (*.gpkg *.shp *.zip *.geojson *.json *.csv *.xlsx *.osm *.pbf);;All files (*)"))
        for f in files:
            self.settings.setValue("last_dir", str(Path(f).parent))
            self.add_layer_file(f)

