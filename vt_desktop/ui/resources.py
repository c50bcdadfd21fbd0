"""The one helper that finds resources (icons, styles, samples), from source or a frozen build.

From source the files live in ``resources/`` at the repository root; in a PyInstaller build
they are unpacked under ``sys._MEIPASS/resources``. A missing file never stops the window:
the icon falls back to a drawn one and the style to Qt's default.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

log = logging.getLogger(__name__)
#: Recolours a monochrome icon's SVG text for the current theme (set by ``theme.apply``).
icon_tint: Callable[[str], str] | None = None
ICON_RENDER_PX = 64


def resources_dir() -> Path:
    """The folder holding ``icons/``, ``styles/`` and ``samples/`` for this run.

    PyInstaller sets ``sys._MEIPASS`` to the bundle's data folder (``_internal/`` of a
    one-folder build, the unpacked temporary folder of a one-file build).
    """
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
    if icon_tint is None or name == "app":
        return QIcon(str(path))
    renderer = QSvgRenderer(QByteArray(icon_tint(path.read_text(encoding="utf-8")).encode()))
    if not renderer.isValid():
        return QIcon(str(path))
    pixmap = QPixmap(ICON_RENDER_PX, ICON_RENDER_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return QIcon(pixmap)


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
