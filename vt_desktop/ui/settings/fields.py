"""Input widgets of the settings dialog: a secret field, a file or folder picker, field errors.

A secret field never shows what is stored: it starts empty with a placeholder that says a
value is stored, and only text the user types replaces it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

STORED_PLACEHOLDER = QT_TRANSLATE_NOOP("SecretField", "stored — type to replace")
EMPTY_PLACEHOLDER = QT_TRANSLATE_NOOP("SecretField", "not set")
FORGOTTEN_PLACEHOLDER = QT_TRANSLATE_NOOP("SecretField", "will be removed when you save")


class SecretField(QWidget):
    """A password-style field that never displays the stored secret.

    ``value()`` is ``None`` while the user keeps the stored secret, the typed text once they
    type, and ``""`` after "Forget" (remove the stored one).
    """

    edited = Signal()

    def __init__(
        self,
        stored: bool,
        *,
        placeholder_stored: str | None = None,
        clearable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stored = stored
        self._forgotten = False
        self._placeholder_stored = placeholder_stored or QCoreApplication.translate(
            "SecretField", STORED_PLACEHOLDER
        )
        self.line = QLineEdit()
        self.line.setEchoMode(QLineEdit.EchoMode.Password)
        self.forget = QPushButton(self.tr("Forget"))
        self.forget.setToolTip(self.tr("Remove the stored value when you save"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.line, 1)
        row.addWidget(self.forget)
        self.forget.setVisible(clearable)
        self.forget.setEnabled(stored)
        self.line.textEdited.connect(self._on_line_text_edited)
        self.forget.clicked.connect(self._on_forget_clicked)
        self._show_placeholder()

    def _show_placeholder(self) -> None:
        if self._forgotten:
            text = QCoreApplication.translate("SecretField", FORGOTTEN_PLACEHOLDER)
        elif self._stored:
            text = self._placeholder_stored
        else:
            text = QCoreApplication.translate("SecretField", EMPTY_PLACEHOLDER)
        self.line.setPlaceholderText(text)

    def value(self) -> str | None:
        """``None``: keep the stored value; otherwise the new value (``""`` removes it)."""
        if self.line.text():
            return self.line.text()
        return "" if self._forgotten else None

    def _on_line_text_edited(self, _text: str) -> None:
        self._forgotten = False
        self._show_placeholder()
        self.edited.emit()

    def _on_forget_clicked(self) -> None:
        self.line.clear()
        self._forgotten = True
        self.forget.setEnabled(False)
        self._show_placeholder()
        self.edited.emit()


class PathField(QWidget):
    """A path typed or picked with "Browse…": a file to open, or a folder."""

    edited = Signal()

    def __init__(
        self,
        value: str,
        *,
        title: str,
        folder: bool = False,
        file_filter: str | None = None,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._title = title
        self._folder = folder
        self._filter = file_filter or self.tr("All files") + " (*)"
        self.line = QLineEdit(value)
        self.line.setPlaceholderText(placeholder)
        self.browse = QPushButton(self.tr("Browse…"))
        self.browse.setAccessibleName(self.tr("Browse for {what}").format(what=title.lower()))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.line, 1)
        row.addWidget(self.browse)
        self.line.textChanged.connect(self.edited)
        self.browse.clicked.connect(self._on_browse_clicked)

    def text(self) -> str:
        """The path as typed (stripped; may be empty)."""
        return self.line.text().strip()

    def set_text(self, text: str) -> None:
        """Replace the path."""
        self.line.setText(text)

    def _on_browse_clicked(self) -> None:
        start = str(Path(self.text()).expanduser().parent) if self.text() else str(Path.home())
        if self._folder:
            chosen = QFileDialog.getExistingDirectory(self, self._title, self.text() or start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, self._title, start, self._filter)
        if chosen:
            self.line.setText(chosen)


class FieldErrors:
    """One red message under each field of a form, shown only while that field is wrong."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        self.pages: dict[str, int] = {}

    def add_row(
        self, form: QFormLayout, label: str, widget: QWidget, field: str, page: int
    ) -> None:
        """Add ``widget`` under ``label`` with, below it, the (hidden) error of ``field``."""
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addWidget(widget)
        error = QLabel()
        error.setObjectName("FieldError")
        error.setWordWrap(True)
        error.setAccessibleName(
            QCoreApplication.translate("FieldErrors", "{field} error").format(
                field=label.rstrip(":")
            )
        )
        error.hide()
        column.addWidget(error)
        form.addRow(label, cell)
        self.labels[field] = error
        self.pages[field] = page

    def add_label(self, field: str, label: QLabel, page: int) -> None:
        """Show the error of ``field`` in ``label``, a form's own (hidden) error label."""
        self.labels[field] = label
        self.pages[field] = page

    def show(self, problems: dict[str, str]) -> None:
        """Show each problem next to its field and hide the messages of fields now right."""
        for field, label in self.labels.items():
            message = problems.get(field, "")
            label.setText(message)
            label.setVisible(bool(message))

    def text(self, field: str) -> str:
        """The message shown for ``field`` (empty when none)."""
        label = self.labels.get(field)
        return label.text() if label is not None and not label.isHidden() else ""
