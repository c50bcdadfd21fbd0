"""The Models page's table: one row per model, its Status the verification result once verified."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.models.view_model import ModelRow, ModelsViewModel

COLUMNS = (
    QT_TRANSLATE_NOOP("ModelsTableModel", "Model"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Kind"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Languages"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Size"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Status"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Licence"),
    QT_TRANSLATE_NOOP("ModelsTableModel", "Source"),
)
COLUMN_WIDTHS = (122, 92, 126, 86, 164, 224, 0)  # Source takes the rest
_Index = QModelIndex | QPersistentModelIndex


class ModelsTableModel(ColumnsTableModel):
    """The models table; a verified model's Status is the verification result (from the view
    model), with its message as tooltip."""

    columns = COLUMNS
    title_context = "ModelsTableModel"

    def __init__(self, models: ModelsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self._rows: list[ModelRow] = []

    def set_rows(self, rows: list[ModelRow]) -> None:
        """Show ``rows``."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, number: int) -> ModelRow:
        """The row shown at ``number``."""
        return self._rows[number]

    def row_count(self) -> int:
        """One row per model."""
        return len(self._rows)

    def find(self, name: str) -> int:
        """The row number of model ``name``, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.name == name), -1)

    def status_text(self, row: ModelRow) -> str:
        """ "✓ complete" or "✗ problems" once verified this session, else the row's status."""
        result = self._models.verified.get(row.name)
        if result is None:
            return row.status
        return self.tr("✓ complete") if result[0] else self.tr("✗ problems")

    def cells(self, row: ModelRow) -> tuple[str, ...]:
        """A row's cells in ``COLUMNS`` order."""
        return (
            row.name,
            row.kind_text,
            row.languages or "—",
            row.size_text,
            self.status_text(row),
            row.licence_text,
            row.source,
        )

    def refresh_verified(self) -> None:
        """Redraw the Status column after a verification."""
        if self._rows:
            column = COLUMNS.index("Status")
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: text, colours (verified, non-commercial, not installed), tooltips
        (problems, the licence's attribution)."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        verified = self._models.verified.get(row.name) if column == "Status" else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(row)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, column, verified)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, index.column(), verified)
        return None

    def _tooltip(self, row: ModelRow, number: int, verified: tuple[bool, str] | None) -> str:
        if verified is not None:
            return verified[1]
        if COLUMNS[number] == "Licence" and row.attribution:
            return row.attribution
        if COLUMNS[number] == "Model" and row.source:
            return f"{row.name} ({row.source})"
        return self.cells(row)[number]

    @staticmethod
    def _colour(row: ModelRow, column: str, verified: tuple[bool, str] | None) -> Any:
        if verified is not None:
            return theme.colour("#15803d" if verified[0] else "#b91c1c")
        if column == "Licence" and row.non_commercial:
            return theme.colour("#b45309")
        return None if row.installed else theme.colour("#6b7280")
