"""The part every read-only table model of the window shares: fixed columns, one row each."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

Index = QModelIndex | QPersistentModelIndex


class ColumnsTableModel(QAbstractTableModel):
    """A table with the titles in ``columns``; subclasses say how many rows and what's in them.

    ``columns`` are the English titles (the code uses them as keys), marked with
    ``QT_TRANSLATE_NOOP(title_context, …)``; the header shows them translated.
    """

    columns: ClassVar[tuple[str, ...]] = ()
    title_context: ClassVar[str] = "Columns"

    def row_count(self) -> int:
        """How many rows there are now."""
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        """Qt override: ``row_count()`` rows."""
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        """Qt override: the ``columns``."""
        return 0 if parent.isValid() else len(self.columns)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Qt override: column titles, in the window's language."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate(self.title_context, self.columns[section])
        return None
