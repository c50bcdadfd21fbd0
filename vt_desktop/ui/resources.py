"""The one helper that finds icons and styles, from source and from a frozen build.

From source the files live in ``resources/`` at the repository root; in a PyInstaller build
they are unpacked under ``sys._MEIPASS/resources``. A missing file never stops the window:
the icon falls back to a drawn one and the style to Qt's default.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

log = logging.getLogger(__name__)


def resources_dir() -> Path:
    """The folder holding ``icons/`` and ``styles/`` for this run (source or frozen)."""
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        return Path(frozen_base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(relative: str) -> Path:
    """The absolute path of one resource, e.g. ``resource_path("icons/app.svg")``."""
    return resources_dir() / relative


def icon(name: str) -> QIcon:
    """The icon ``icons/<name>.svg``, or an empty icon (logged) when it is missing."""
    path = resource_path(f"icons/{name}.svg")
    if not path.is_file():
        log.warning("icon %s not found at %s", name, path)
        return QIcon()
    return QIcon(str(path))


def app_icon() -> QIcon:
    """The window icon; a drawn blue square when the SVG is missing (e.g. a bare wheel)."""
    found = icon("app")
    if not found.isNull():
        return found
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2563eb"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(2, 2, 60, 60, 14, 14)
    painter.end()
    return QIcon(pixmap)


def stylesheet() -> str:
    """The app's Qt style sheet, or ``""`` (Qt's default look) when it is missing.

    ``@RESOURCES@`` in the sheet becomes the resources folder, so ``url()`` finds icons
    whatever the working directory.
    """
    path = resource_path("styles/app.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("style sheet not loaded from %s: %s", path, exc)
        return ""
    return text.replace("@RESOURCES@", resources_dir().as_posix())
