"""The options a new job starts with, as one form: engine, speech model, output folder,
formats, burn-in.

The Jobs page shows it in its options card (beside the target and spoken languages, which only
that page has) and the Settings dialog on its "New jobs" tab; both read and write the same
``AppSettings`` fields, and every choice comes from the job vocabulary
(``vt_desktop.core.jobs.options``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.options import ENGINE_NAMES, OUTPUT_FORMATS, SPEECH_MODELS, OutputFormat
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

#: What the form calls each engine of ``ENGINE_NAMES`` (short: it fits a narrow column) ...
ENGINE_LABELS = {
    "bergamot": QT_TRANSLATE_NOOP("JobOptionsForm", "Bergamot (en↔pt)"),
    "ct2": QT_TRANSLATE_NOOP("JobOptionsForm", "CTranslate2"),
    "llm": QT_TRANSLATE_NOOP("JobOptionsForm", "LLM endpoint"),
    "whisper": QT_TRANSLATE_NOOP("JobOptionsForm", "Whisper (to English)"),
}
# ... and what it is, as the choice's tooltip.
ENGINE_HINTS = {
    "bergamot": QT_TRANSLATE_NOOP("JobOptionsForm", "Bergamot (English ↔ Portuguese, offline)"),
    "ct2": QT_TRANSLATE_NOOP("JobOptionsForm", "CTranslate2 models (Opus-MT, NLLB, M2M100)"),
    "llm": QT_TRANSLATE_NOOP("JobOptionsForm", "Chat model endpoint (LLM)"),
    "whisper": QT_TRANSLATE_NOOP("JobOptionsForm", "Whisper (into English only)"),
}
# The AppSettings fields the form edits, in the order values() gives them.
FIELDS = ("engine", "asr_model", "output_dir", "output_formats", "burn_in")


def translated(text: str) -> str:
    """A text marked for the ``JobOptionsForm`` context, in the window's language."""
    return QCoreApplication.translate("JobOptionsForm", text)


def field_label(text: str) -> QLabel:
    """The small title over a field of the form."""
    label = QLabel(text)
    label.setObjectName("FieldLabel")
    return label


def select(combo: QComboBox, value: str | None) -> None:
    """Show ``value`` in ``combo``, adding it when it is not one of the choices."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def combo_value(box: QComboBox) -> str | None:
    """A combo's choice: an item's data, or the text typed (``None`` if blank)."""
    index = box.findText(box.currentText(), Qt.MatchFlag.MatchExactly)
    if index >= 0:
        data = box.itemData(index)
        return None if data is None else str(data)
    text = box.currentText().strip()
    return text or None


class FolderField(QWidget):
    """The output folder: picked with "Choose…", or typed where ``typed``; "✕" empties it
    (empty: each job writes beside its input)."""

    edited = Signal()

    def __init__(self, *, typed: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit()
        self.line.setReadOnly(not typed)
        self.line.setPlaceholderText(self.tr("Beside each input file"))
        self.line.setAccessibleName(self.tr("Output folder"))
        self.line.setMinimumWidth(120)
        self.choose = QPushButton(self.tr("Choose…"))
        self.choose.setAccessibleName(self.tr("Choose output folder"))
        self.reset = QPushButton("✕")
        self.reset.setObjectName("RowButton")
        self.reset.setAccessibleName(self.tr("Write beside the input"))
        self.reset.setToolTip(self.tr("Write each job's outputs beside its input file again"))
        self.reset.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.line, 1)
        row.addWidget(self.choose)
        row.addWidget(self.reset)
        self.line.textChanged.connect(self._on_line_text_changed)
        if typed:
            self.line.textEdited.connect(self.edited)
        self.choose.clicked.connect(self._on_choose_clicked)
        self.reset.clicked.connect(self.clear)

    def text(self) -> str:
        """The folder as shown (stripped; empty: beside each input)."""
        return self.line.text().strip()

    def set_text(self, text: str) -> None:
        """Show ``text`` as the folder."""
        self.line.setText(text)

    def path(self) -> Path | None:
        """The folder, or ``None`` for "beside each input"."""
        return Path(self.text()).expanduser() if self.text() else None

    def clear(self) -> None:
        """Back to "beside each input"."""
        self.line.clear()
        self.edited.emit()

    def _on_line_text_changed(self, text: str) -> None:
        self.reset.setVisible(bool(text.strip()))

    def _on_choose_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save outputs to"), self.text())
        if folder:
            self.line.setText(folder)
            self.edited.emit()


class JobOptionsForm(QFrame):
    """Engine, speech model, output folder, formats and burn-in of new jobs.

    A grid: "Engine" and "Speech model" side by side, "Save to" and "Write" below, burn-in under
    the formats. ``leading_columns`` keeps that many columns free at the left for the host's
    own fields (the Jobs page puts its languages there); ``typed`` lets the speech model and
    the folder be typed as well as chosen. Each field has a (hidden) error label in ``errors``,
    keyed by its ``AppSettings`` field.
    """

    # The user changed an option.
    edited = Signal()

    def __init__(
        self, *, leading_columns: int = 0, typed: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = QComboBox()
        self.model = QComboBox()
        self.folder = FolderField(typed=typed)
        self.formats = {fmt: QCheckBox(fmt.upper()) for fmt in OUTPUT_FORMATS}
        self.burn_in = QCheckBox(self.tr("Burn into a video copy"))
        self.errors = {name: QLabel() for name in FIELDS if name != "burn_in"}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(4)
        # The row under the formats: burn-in, and room for the host's own switches.
        self.extras = QHBoxLayout()
        self.extras.setSpacing(14)
        self._fill_choices(typed)
        self._build(leading_columns)
        self._connect_signals()

    def _fill_choices(self, typed: bool) -> None:
        self.engine.addItem(self.tr("Automatic"), None)
        for name in ENGINE_NAMES:
            self.engine.addItem(translated(ENGINE_LABELS[name]), name)
            self.engine.setItemData(
                self.engine.count() - 1, translated(ENGINE_HINTS[name]), Qt.ItemDataRole.ToolTipRole
            )
        self.model.setEditable(typed)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model.addItem(self.tr("Automatic"), None)
        for name in SPEECH_MODELS:
            self.model.addItem(name, name)
        if typed:
            self.model.setToolTip(
                self.tr("A listed model, or another name, a Hub repo id or a local folder")
            )
        self.engine.setAccessibleName(self.tr("Translation engine"))
        self.model.setAccessibleName(self.tr("Speech model"))
        for fmt, box in self.formats.items():
            box.setAccessibleName(self.tr("Write {format}").format(format=fmt))
        self.burn_in.setToolTip(
            self.tr("Also write a copy of the video with the first language burned in")
        )
        for error in self.errors.values():
            error.setObjectName("FieldError")
            error.setWordWrap(True)
            error.hide()

    def _build(self, lead: int) -> None:
        grid = self.grid
        columns = lead + 2
        half = columns // 2
        for offset, (label, widget, field) in enumerate(
            (
                (self.tr("Engine"), self.engine, "engine"),
                (self.tr("Speech model"), self.model, "asr_model"),
            )
        ):
            grid.addWidget(field_label(label), 0, lead + offset)
            grid.addWidget(widget, 1, lead + offset)
            grid.addWidget(self.errors[field], 2, lead + offset)
            widget.setMinimumWidth(110)
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        grid.addWidget(field_label(self.tr("Save to")), 3, 0, 1, half)
        grid.addWidget(field_label(self.tr("Write")), 3, half, 1, columns - half)
        grid.addWidget(self.folder, 4, 0, 1, half)
        formats = QHBoxLayout()
        formats.setSpacing(10)
        for box in self.formats.values():
            formats.addWidget(box)
        formats.addStretch(1)
        grid.addLayout(formats, 4, half, 1, columns - half)
        grid.addWidget(self.errors["output_dir"], 5, 0, 1, half)
        grid.addWidget(self.errors["output_formats"], 5, half, 1, columns - half)
        self.extras.addWidget(self.burn_in)
        self.extras.addStretch(1)
        grid.addLayout(self.extras, 6, half, 1, columns - half)
        grid.setRowMinimumHeight(2, 8)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
            grid.setColumnMinimumWidth(column, 150)

    def _connect_signals(self) -> None:
        self.engine.currentIndexChanged.connect(self._on_field_edited)
        self.model.currentIndexChanged.connect(self._on_field_edited)
        if self.model.isEditable():
            self.model.editTextChanged.connect(self._on_field_edited)
        self.folder.edited.connect(self._on_field_edited)
        for box in (*self.formats.values(), self.burn_in):
            box.toggled.connect(self._on_field_edited)

    def _on_field_edited(self, *_args: object) -> None:
        self.edited.emit()

    def load(self, settings: AppSettings) -> None:
        """Show ``settings``' options (without telling ``edited``)."""
        blocked = self.blockSignals(True)
        try:
            select(self.engine, settings.engine)
            select(self.model, settings.asr_model)
            self.folder.set_text(str(settings.output_dir) if settings.output_dir else "")
            for fmt, box in self.formats.items():
                box.setChecked(fmt in settings.output_formats)
            self.burn_in.setChecked(settings.burn_in)
        finally:
            self.blockSignals(blocked)

    def checked_formats(self) -> list[OutputFormat]:
        """The formats ticked, in the vocabulary's order."""
        return [fmt for fmt, box in self.formats.items() if box.isChecked()]

    def values(self) -> dict[str, Any]:
        """The ``AppSettings`` values the form holds, by field name (``FIELDS``)."""
        return {
            "engine": self.engine.currentData(),
            "asr_model": combo_value(self.model),
            "output_dir": self.folder.path(),
            "output_formats": self.checked_formats(),
            "burn_in": self.burn_in.isChecked(),
        }
