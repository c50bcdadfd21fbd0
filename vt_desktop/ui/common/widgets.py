"""Small building blocks shared by the views: a status dot, a page header and the page's
layout under it, an error banner, the pages' list tables."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

DOT_COLOURS = {
    "ok": "#16a34a",
    "busy": "#f59e0b",
    "error": "#dc2626",
    "off": "#9ca3af",
}
#: The dot's tooltip for each state.
DOT_NAMES = {
    "ok": QT_TRANSLATE_NOOP("StatusDot", "ok"),
    "busy": QT_TRANSLATE_NOOP("StatusDot", "busy"),
    "error": QT_TRANSLATE_NOOP("StatusDot", "error"),
    "off": QT_TRANSLATE_NOOP("StatusDot", "off"),
}


class StatusDot(QWidget):
    """A small filled circle whose colour says ok / busy / error / off."""

    def __init__(self, diameter: int = 10, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._diameter = diameter
        self._state = "off"
        self.setFixedSize(QSize(diameter + 4, diameter + 4))

    @property
    def state(self) -> str:
        """One of ``DOT_COLOURS``' keys."""
        return self._state

    def set_state(self, state: str) -> None:
        """Recolour the dot; an unknown state shows as ``off``."""
        self._state = state if state in DOT_COLOURS else "off"
        self.setToolTip(QCoreApplication.translate("StatusDot", DOT_NAMES[self._state]))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Draw the dot, centred."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(DOT_COLOURS[self._state]))
        offset = (self.width() - self._diameter) / 2
        painter.drawEllipse(int(offset), int(offset), self._diameter, self._diameter)
        painter.end()


class PageHeader(QWidget):
    """A page's title and a one-line explanation below it."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("PageTitle")
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("PageSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)


def page_layout(page: QWidget, title: str, subtitle: str, *, spacing: int) -> QVBoxLayout:
    """Lay ``page`` out as every page is: one column with the pages' margins and ``spacing``
    between its rows, the page's title and explanation (a ``PageHeader``) on top. Returns the
    column, for the rows the page adds below."""
    layout = QVBoxLayout(page)
    layout.setContentsMargins(28, 24, 28, 20)
    layout.setSpacing(spacing)
    layout.addWidget(PageHeader(title, subtitle))
    return layout


class Banner(QFrame):
    """An error message across the top of a view, with an optional action button."""

    action_clicked = Signal()

    def __init__(self, action_text: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        action_text = action_text or self.tr("Retry")
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.setSpacing(12)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton(action_text)
        self.action.setAccessibleName(action_text)
        self.action.clicked.connect(self.action_clicked)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str) -> None:
        """Show the banner with ``text``."""
        self.message.setText(text)
        self.setAccessibleDescription(text)
        self.show()

    def clear(self) -> None:
        """Hide the banner."""
        self.message.clear()
        self.hide()


def prepare_table(
    table: QTableView,
    name: str,
    *,
    row_height: int | None = None,
    widths: Sequence[int] = (),
    stretch: int | None = None,
    min_section: int | None = None,
) -> QHeaderView:
    """Give ``table`` the pages' list look: whole-row selection, no grid, no editing, no row
    numbers, left-aligned headers, ``widths`` for the first columns and ``stretch`` taking
    the rest. Returns the horizontal header for anything a page adds."""
    table.setAccessibleName(name)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.verticalHeader().hide()
    if row_height is not None:
        table.verticalHeader().setDefaultSectionSize(row_height)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    if min_section is not None:
        header.setMinimumSectionSize(min_section)
    for column, width in enumerate(widths):
        if width:
            header.resizeSection(column, width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return header
