"""The Review page's row for redoing lines: re-translate the lines whose source changed,
recognise the selected lines again with another speech model, speak them again for the dub.
Its groups wrap onto a second row when the page is too narrow for their text."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from vt_desktop.core.jobs.options import SPEECH_MODELS
from vt_desktop.core.review import ReviewSession
from vt_desktop.ui.review.flow import FlowRow, group

__all__ = ["DEFAULT_REDO_MODEL", "RedoBar"]

#: The model offered first: the multilingual ``base``, a step up from the usual ``tiny.en``.
DEFAULT_REDO_MODEL = "base"


class RedoBar(QWidget):
    """Buttons that redo chosen lines; the page connects their clicks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stale_button = QPushButton()
        self.model_combo = QComboBox()
        self.recognise_button = QPushButton(self.tr("Recognise selected again"))
        self.redub_button = QPushButton(self.tr("Re-dub selected"))
        for name in SPEECH_MODELS:
            self.model_combo.addItem(name, name)
        self.model_combo.setEditable(True)  # a Hub repo id or a folder may be typed
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(DEFAULT_REDO_MODEL)))
        self.model_combo.setAccessibleName(self.tr("Speech model to recognise lines again"))
        self.model_combo.setMinimumWidth(150)
        self.stale_button.setToolTip(
            self.tr("Translate again every line whose source text was changed")
        )
        self.recognise_button.setToolTip(
            self.tr("Recognise the selected lines' audio again with the chosen speech model")
        )
        self.redub_button.setToolTip(
            self.tr("Speak the selected lines again for the dub (Export puts them in)")
        )
        self.set_stale(0)
        for button in (self.recognise_button, self.redub_button):
            button.setAccessibleName(button.text())
        self._translate = group(self.stale_button)
        layout = FlowRow(self, spacing=18)
        layout.addWidget(self._translate)
        layout.addWidget(
            group(QLabel(self.tr("Speech model")), self.model_combo, self.recognise_button)
        )
        layout.addWidget(self.redub_button)

    def lead_with(self, button: QPushButton) -> None:
        """Put the page's Re-translate button first in the row, beside the changed sources'."""
        row = self._translate.layout()
        if isinstance(row, QHBoxLayout):
            row.insertWidget(0, button)

    def model(self) -> str:
        """The speech model chosen (or typed)."""
        return self.model_combo.currentText().strip() or DEFAULT_REDO_MODEL

    def set_stale(self, count: int) -> None:
        """Name how many lines have a changed source on the one-click button."""
        text = self.tr("Re-translate changed sources ({count})").format(count=count)
        self.stale_button.setText(text)
        self.stale_button.setAccessibleName(self.tr("Re-translate changed sources"))

    def update_for(self, session: ReviewSession | None, busy: bool, selected: bool) -> None:
        """Enable what can be done now."""
        ready = session is not None and not busy
        self.recognise_button.setEnabled(ready and selected)
        self.redub_button.setEnabled(
            ready and selected and bool(session and session.record.spec.dub)
        )
        self.redub_button.setVisible(bool(session and session.record.spec.dub))
