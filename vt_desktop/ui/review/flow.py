"""A row of widgets that wraps onto further rows when the page is too narrow for it.

The Review page's tool rows (edit buttons, the redo buttons) hold whole groups of buttons; in
a narrow window or a longer language a group moves to the next row instead of its buttons'
text being cut off.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QWidget

__all__ = ["FlowRow", "group"]


class FlowRow(QLayout):
    """Lays its items left to right at their size hints, starting a new row when one would
    not fit; its height follows the width it is given (``heightForWidth``)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        """Qt override: keep ``item`` last in the row."""
        self._items.append(item)

    def count(self) -> int:
        """Qt override: how many items it lays out."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        """Qt override: the item at ``index`` (None past the end)."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        """Qt override: remove and return the item at ``index``."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        """Qt override: it takes no more room than its rows need."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        """Qt override: narrower means more rows."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        """Qt override: the height of its rows at ``width``."""
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        """Qt override: place the items in ``rect``."""
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Qt override: everything on one row."""
        width = sum(i.sizeHint().width() for i in self._visible()) + self._gap * max(
            0, len(self._visible()) - 1
        )
        height = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        """Qt override: as wide as its widest item, so no item is ever cut."""
        width = max((i.sizeHint().width() for i in self._visible()), default=0)
        height = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(width, height)

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if (w := i.widget()) is None or not w.isHidden()]

    def _place(self, rect: QRect, *, move: bool) -> int:
        """Lay the items out in ``rect``, each centred in its row's height (only measure
        unless ``move``); the height used."""
        rows: list[list[QLayoutItem]] = [[]]
        x = rect.x()
        for item in self._visible():
            width = item.sizeHint().width()
            if rows[-1] and x + width > rect.right() + 1:
                rows.append([])
                x = rect.x()
            rows[-1].append(item)
            x += width + self._gap
        y = rect.y()
        for row in rows:
            height = max((item.sizeHint().height() for item in row), default=0)
            x = rect.x()
            for item in row:
                size = item.sizeHint()
                if move:
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                x += size.width() + self._gap
            y += height + self._gap // 2
        return max(0, y - self._gap // 2 - rect.y())


def group(*widgets: QWidget, spacing: int = 6) -> QWidget:
    """``widgets`` side by side in one piece, which a :class:`FlowRow` never splits."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    return holder
