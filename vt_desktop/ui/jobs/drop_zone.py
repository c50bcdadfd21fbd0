"""The Jobs page's drop zone: the dashed box that invites a drop, with the "Add files…" button
(the drop itself lands on the whole page)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vt_desktop.ui import resources


class DropZone(QFrame):
    """The dashed box that invites a drop, with the "Add files…" button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setProperty("hovered", False)
        row = QHBoxLayout(self)
        row.setContentsMargins(18, 12, 14, 12)
        row.setSpacing(12)
        icon = QLabel()
        icon.setPixmap(resources.icon("jobs").pixmap(26, 26))
        text = QVBoxLayout()
        text.setSpacing(0)
        self.title = QLabel(self.tr("Drop videos or audio files here"))
        self.title.setObjectName("DropTitle")
        self.hint = QLabel(
            self.tr("MP4, MKV, MOV, WebM, MP3, WAV, FLAC… Each file becomes one job.")
        )
        self.hint.setObjectName("Muted")
        text.addWidget(self.title)
        text.addWidget(self.hint)
        self.add_button = QPushButton(self.tr("Add files…"))
        self.add_button.setObjectName("PrimaryButton")
        self.add_button.setAccessibleName(self.tr("Add files"))
        row.addWidget(icon)
        row.addLayout(text, 1)
        row.addWidget(self.add_button)

    def set_hovered(self, hovered: bool) -> None:
        """Highlight while files are dragged over the page."""
        self.setProperty("hovered", hovered)
        self.style().unpolish(self)
        self.style().polish(self)
