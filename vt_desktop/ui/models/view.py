"""The Models page: speech and translation models, installed and available, and their actions.

Each model shows its kind, languages, size, licence (flagged when non-commercial; the
attribution as its tooltip) and where it comes from. Download shows a progress bar and a
Cancel button; Delete asks first; Verify checks a model's files against the Hub's record.
Each result or error is shown in plain words on the page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QWidget,
)

from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import Banner, page_layout, prepare_table
from vt_desktop.ui.models.table import COLUMN_WIDTHS, COLUMNS, ModelsTableModel
from vt_desktop.ui.models.view_model import ModelRow, ModelsViewModel
from vt_desktop.ui.view_model import RuntimeViewModel


class ModelsView(QWidget):
    """The Models page. ``view_model`` is the window's ``RuntimeViewModel``."""

    def __init__(self, view_model: RuntimeViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._vm = view_model
        self.models = ModelsViewModel(view_model, self)
        self.banner = Banner(self.tr("Retry"))
        self.table_model = ModelsTableModel(self.models, self)
        self.table = QTableView()
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.download_button = QPushButton(self.tr("Download"))
        self.verify_button = QPushButton(self.tr("Verify"))
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.progress = QProgressBar()
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.message = QLabel()
        self.confirm_box: QMessageBox | None = None
        self._busy = False
        self._build()
        self._connect_signals()
        self._update_buttons()

    def _build(self) -> None:
        layout = page_layout(
            self,
            self.tr("Models"),
            self.tr(
                "Speech and translation models the workers can use, with their licences. "
                "Download works only with a network; models already here or shipped in "
                "packages work offline."
            ),
            spacing=14,
        )
        layout.addWidget(self.banner)
        layout.addLayout(self._action_row())
        layout.addLayout(self._progress_row())
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Models message"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)
        self._build_table()
        layout.addWidget(self.table, 1)

    def _action_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.download_button.setObjectName("PrimaryButton")
        self.download_button.setToolTip(self.tr("Download the selected model into the cache"))
        self.verify_button.setToolTip(self.tr("Check that the selected model's files are complete"))
        self.delete_button.setToolTip(self.tr("Delete the selected model from the model cache"))
        for button in (self.download_button, self.verify_button, self.delete_button):
            button.setAccessibleName(button.text().rstrip("…"))
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        return row

    def _progress_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.progress.setObjectName("DownloadProgress")
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName(self.tr("Download progress"))
        self.progress.setFormat("%p%")
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()
        return row

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.table_model)
        prepare_table(
            table,
            self.tr("Models table"),
            row_height=32,
            widths=COLUMN_WIDTHS,
            stretch=COLUMNS.index("Source"),
            min_section=48,
        )
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def _connect_signals(self) -> None:
        m = self.models
        m.listing_started.connect(self._on_models_listing_started)
        m.models_listed.connect(self._on_models_models_listed)
        m.listing_failed.connect(self._on_models_listing_failed)
        m.download_started.connect(self._on_models_download_started)
        m.download_progressed.connect(self._on_models_download_progressed)
        m.download_finished.connect(self._on_models_download_finished)
        m.download_failed.connect(self._on_models_download_failed)
        m.verify_finished.connect(self._on_models_verify_finished)
        m.delete_finished.connect(self._on_models_delete_finished)
        m.action_failed.connect(self._on_models_action_failed)
        self._vm.runtime_started.connect(self._on_view_model_runtime_started)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.banner.action_clicked.connect(self._on_refresh_button_clicked)
        self.download_button.clicked.connect(self._on_download_button_clicked)
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)

    # -- state -------------------------------------------------------------------------------

    def selected(self) -> ModelRow | None:
        """The selected model, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self.table_model.row(rows[0].row()) if rows else None

    def select(self, name: str) -> None:
        """Select model ``name``.

        Raises:
            KeyError: no such model is listed.
        """
        number = self.table_model.find(name)
        if number < 0:
            raise KeyError(f"model {name!r} is not listed")
        self.table.selectRow(number)

    def _update_buttons(self, *_args: Any) -> None:
        row = self.selected()
        free = not self._busy and self.models.downloading is None
        managed = row is not None and row.manageable
        self.download_button.setEnabled(free and managed and row is not None and not row.installed)
        self.verify_button.setEnabled(free and managed and row is not None and row.installed)
        self.delete_button.setEnabled(free and managed and row is not None and row.deletable)
        self.refresh_button.setEnabled(not self._busy)
        if row is not None and not row.manageable:
            self.download_button.setToolTip(self.tr("This model is managed by its engine"))
        else:
            self.download_button.setToolTip(self.tr("Download the selected model into the cache"))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("ModelsError" if error else "ModelsResult")
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.show()

    # -- view-model signals -------------------------------------------------------------------

    def _on_view_model_runtime_started(self) -> None:
        self._on_refresh_button_clicked()

    def _on_models_listing_started(self) -> None:
        self._busy = True
        self._update_buttons()

    def _on_models_models_listed(self, rows: list[ModelRow]) -> None:
        selected = self.selected()
        self._busy = False
        self.banner.clear()
        self.table_model.set_rows(rows)
        if selected is not None and (number := self.table_model.find(selected.name)) >= 0:
            self.table.selectRow(number)
        self._update_buttons()

    def _on_models_listing_failed(self, message: str) -> None:
        self._busy = False
        self.banner.show_message(message)
        self._update_buttons()

    def _on_models_download_started(self, name: str) -> None:
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("{name}: starting…").format(name=name))
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.message.hide()
        self._update_buttons()

    def _on_models_download_progressed(self, name: str, fraction: float, text: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress.setFormat(
            self.tr("{name}: {step} (%p%)").format(name=name, step=text or self.tr("downloading"))
        )

    def _end_download(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self._update_buttons()

    def _on_models_download_finished(self, _name: str, message: str) -> None:
        self._end_download()
        self._say(message)

    def _on_models_download_failed(self, _name: str, message: str) -> None:
        self._end_download()
        self._say(message, error=True)

    def _on_models_verify_finished(self, _name: str, ok: bool, message: str) -> None:
        self._busy = False
        self.table_model.refresh_verified()
        self._say(message, error=not ok)
        self._update_buttons()

    def _on_models_delete_finished(self, _name: str, message: str) -> None:
        self._busy = False
        self._say(message)
        self._update_buttons()

    def _on_models_action_failed(self, _name: str, message: str) -> None:
        self._busy = False
        self._say(message, error=True)
        self._update_buttons()

    # -- buttons -----------------------------------------------------------------------------

    @asyncSlot()
    async def _on_refresh_button_clicked(self) -> None:
        await self.models.refresh()

    def download_named(self, name: str) -> None:
        """Download model ``name`` as the Download button does (asked for from elsewhere,
        e.g. the Jobs page's offer for a target nothing translates into)."""
        if self.table_model.find(name) >= 0:
            self.select(name)
        self._download(name)

    def _on_download_button_clicked(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.non_commercial:
            self._ask_non_commercial(row)
        else:
            self._download(row.name)

    def _ask_non_commercial(self, row: ModelRow) -> None:
        """A model whose licence forbids commercial use is downloaded only once confirmed."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Non-commercial licence"),
            self.tr(
                "{name} is licensed {licence}: it may be used for non-commercial purposes "
                "only.\n\n{attribution}\n\nDownload it ({size})?"
            ).format(
                name=row.name, licence=row.licence, attribution=row.attribution, size=row.size_text
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Download"))
        box.finished.connect(lambda _result, name=row.name: self._on_licence_box_finished(name))
        self.confirm_box = box
        box.open()

    def _on_licence_box_finished(self, name: str) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is None:
            return
        box.deleteLater()
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
            self._download(name)

    @asyncSlot()
    async def _download(self, name: str) -> None:
        await self.models.download(name)

    @asyncSlot()
    async def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setFormat(self.tr("Cancelling…"))
        await self.models.cancel_download()

    @asyncSlot()
    async def _on_verify_button_clicked(self) -> None:
        row = self.selected()
        if row is not None:
            self._busy = True
            self._update_buttons()
            await self.models.verify(row.name)

    def _on_delete_button_clicked(self) -> None:
        row = self.selected()
        if row is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Delete model"),
            self.tr(
                "Delete {name} ({size}) from the model cache?\n\n"
                "A job that needs it will download it again, which needs a network."
            ).format(name=row.name, size=row.size_text),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Delete"))
        box.finished.connect(lambda _result, name=row.name: self._on_confirm_box_finished(name))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, name: str) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is None:
            return
        box.deleteLater()
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
            self._busy = True
            self._update_buttons()
            self._delete(name)

    @asyncSlot()
    async def _delete(self, name: str) -> None:
        await self.models.delete(name)
