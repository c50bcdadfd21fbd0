"""Light and dark looks from one style sheet.

``resources/styles/app.qss`` is written once, in the light colours. The dark look swaps each
of those colours for its partner in ``DARK`` in a single pass (so a pair like text ↔ muted can
trade places), and gives Fusion a matching dark palette for what the sheet does not style
(dialogs, menus, scroll bars). A test checks that every colour in the sheet has a partner, so
a rule added later cannot stay light in the dark look. "system" follows the desktop's colour
scheme where Qt can read it (Qt ≥ 6.5), else light.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from vt_desktop.ui import resources

log = logging.getLogger(__name__)
Theme = Literal["light", "dark"]
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")

#: Light colour in app.qss → its dark-theme partner.
DARK: dict[str, str] = {
    "#ffffff": "#1e1f22",  # page and input background
    "#f9fafb": "#25272b",  # cards, alternate rows, headers, status bar
    "#f3f4f6": "#2b2d31",  # sidebar, hover
    "#e5e7eb": "#3a3d43",  # borders, nav hover
    "#d1d5db": "#4b4f57",  # input borders
    "#9ca3af": "#6b7280",  # disabled text
    "#6b7280": "#9ca3af",  # muted text
    "#4b5563": "#a1a7b3",  # status bar text
    "#374151": "#d1d5db",  # section titles, nav items
    "#1f2937": "#e5e7eb",  # body text
    "#111827": "#f9fafb",  # titles
    "#dbeafe": "#1e3a5f",  # selection background
    "#1e3a8a": "#dbeafe",  # selection text
    "#eff6ff": "#93c5fd",  # disabled primary text
    "#93c5fd": "#1e40af",  # disabled primary background
    "#2563eb": "#3b82f6",  # primary, focus
    "#1d4ed8": "#2563eb",  # primary hover/border
    "#fef2f2": "#3b1d20",  # error banner background
    "#fecaca": "#7f1d1d",  # error banner border
    "#991b1b": "#fecaca",  # error banner text
    "#b91c1c": "#fca5a5",  # error text
    "#166534": "#86efac",  # success text
    "#475569": "#cbd5e1",  # monochrome icons
    "#b45309": "#fbbf24",  # warning text
    "#fef3c7": "#4a3410",  # doubtful word background
    "#15803d": "#4ade80",  # ready/ok text
}


def resolve(setting: str) -> Theme:
    """The look to use for a ``theme`` setting ("system", "light" or "dark")."""
    if setting in ("light", "dark"):
        return setting  # type: ignore[return-value]
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


def to_dark(sheet: str) -> str:
    """``sheet`` with every light colour swapped for its dark partner (unknown ones kept)."""
    return HEX.sub(lambda m: DARK.get(m.group(0).lower(), m.group(0)), sheet)


def unmapped_colours(sheet: str) -> set[str]:
    """Colours in ``sheet`` that have no dark partner (the theme test keeps this empty)."""
    return {c.lower() for c in HEX.findall(sheet)} - set(DARK)


def current() -> Theme:
    """The look applied to the running app ("light" before any was applied)."""
    app = QApplication.instance()
    return "dark" if app is not None and app.property("vt_theme") == "dark" else "light"


def colour(light: str) -> QColor:
    """A colour written in the light palette, as the current look shows it (for models)."""
    return QColor(DARK.get(light.lower(), light) if current() == "dark" else light)


def palette(theme: Theme) -> QPalette:
    """A Fusion palette for ``theme`` built from the same colours as the sheet."""

    def c(light: str) -> QColor:
        return QColor(DARK[light] if theme == "dark" else light)

    pal = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, "#ffffff"),
        (role.Base, "#ffffff"),
        (role.AlternateBase, "#f9fafb"),
        (role.Button, "#f9fafb"),
        (role.WindowText, "#1f2937"),
        (role.Text, "#1f2937"),
        (role.ButtonText, "#1f2937"),
        (role.ToolTipBase, "#f9fafb"),
        (role.ToolTipText, "#1f2937"),
        (role.PlaceholderText, "#6b7280"),
        (role.Highlight, "#dbeafe"),
        (role.HighlightedText, "#1e3a8a"),
        (role.Link, "#2563eb"),
        (role.Mid, "#d1d5db"),
        (role.Dark, "#9ca3af"),
    ):
        pal.setColor(r, c(colour))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, c("#9ca3af"))
    return pal


def apply(app: QApplication, setting: str) -> Theme:
    """Give ``app`` the look for ``setting``; returns the look applied."""
    theme = resolve(setting)
    sheet = resources.stylesheet()
    app.setPalette(palette(theme))
    app.setStyleSheet(to_dark(sheet) if theme == "dark" else sheet)
    app.setProperty("vt_theme", theme)
    resources.icon_tint = to_dark if theme == "dark" else None
    log.debug("theme %s applied (setting %s)", theme, setting)
    return theme
