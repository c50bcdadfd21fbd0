"""The Workers page's table: the workers seen on the broker merged with this app's pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from vt_desktop.core.runtime import RuntimeStatus
from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

COLUMNS = (
    QT_TRANSLATE_NOOP("WorkersTableModel", "Worker"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Host"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Device"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Models"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Services"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Load"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "State"),
    QT_TRANSLATE_NOOP("WorkersTableModel", "Restarts"),
)
COLUMN_WIDTHS = (116, 140, 60, 116, 0, 56, 100, 90)  # Services takes the rest
STATE_COLOURS = {
    "ready": "#15803d",
    "busy": "#15803d",
    "starting": "#b45309",
    "stopping": "#b45309",
    "crashed": "#b91c1c",
    "offline": "#6b7280",
    "stopped": "#6b7280",
}
#: The states a worker row shows, in words (the keys are the data).
STATE_NAMES = {
    "ready": QT_TRANSLATE_NOOP("WorkersTableModel", "ready"),
    "busy": QT_TRANSLATE_NOOP("WorkersTableModel", "busy"),
    "starting": QT_TRANSLATE_NOOP("WorkersTableModel", "starting"),
    "stopping": QT_TRANSLATE_NOOP("WorkersTableModel", "stopping"),
    "crashed": QT_TRANSLATE_NOOP("WorkersTableModel", "crashed"),
    "offline": QT_TRANSLATE_NOOP("WorkersTableModel", "offline"),
    "stopped": QT_TRANSLATE_NOOP("WorkersTableModel", "stopped"),
}
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class WorkerRow:
    """One row of the workers table, as text."""

    worker_id: str
    host: str
    device: str
    models: str
    services: str
    load: str
    state: str
    restarts: str
    notice: str = ""

    def cells(self) -> tuple[str, ...]:
        """The row's cells in ``COLUMNS`` order."""
        return (
            self.worker_id,
            self.host,
            self.device,
            self.models,
            self.services,
            self.load,
            self.state,
            self.restarts,
        )


def worker_rows(status: RuntimeStatus) -> list[WorkerRow]:
    """Merge the workers seen on the broker with this app's local pool, sorted by id."""
    local = {wid: (state, restarts) for wid, _pid, state, restarts in status.local}
    rows: dict[str, WorkerRow] = {}
    for seen in status.workers:
        caps = seen.caps
        state = caps.state if seen.online else "offline"
        restarts = "—"
        if caps.worker_id in local:
            pool_state, count = local[caps.worker_id]
            restarts = str(count)
            if pool_state in {"crashed", "stopping", "stopped"}:
                state = pool_state
        rows[caps.worker_id] = WorkerRow(
            caps.worker_id,
            caps.host,
            caps.device,
            ", ".join(dict.fromkeys(caps.models)) or "—",
            ", ".join(caps.services),
            str(caps.load),
            state,
            restarts,
            caps.device_notice or "",
        )
    for wid, (pool_state, count) in local.items():
        if wid not in rows:
            state = "starting" if pool_state == "running" else pool_state
            here = QCoreApplication.translate("WorkersTableModel", "this computer")
            rows[wid] = WorkerRow(wid, here, "—", "—", "—", "—", state, str(count))
    return [rows[wid] for wid in sorted(rows)]


class WorkersTableModel(ColumnsTableModel):
    """The workers table; updates rows in place so selection and scroll survive each tick."""

    columns = COLUMNS
    title_context = "WorkersTableModel"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[WorkerRow] = []

    def set_rows(self, rows: list[WorkerRow]) -> None:
        """Show ``rows``: a reset only when the set of workers changed."""
        if [r.worker_id for r in rows] != [r.worker_id for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif rows != self._rows:
            self._rows = rows
            last = self.index(len(rows) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def row(self, number: int) -> WorkerRow:
        """The row shown at ``number``."""
        return self._rows[number]

    def row_count(self) -> int:
        """One row per worker."""
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: text, state colour and the device notice as a tooltip."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and column == "State":
            return theme.colour(STATE_COLOURS.get(row.state, "#1f2937"))
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if column == "State":
            return state_name(row.state)
        if role == Qt.ItemDataRole.ToolTipRole and column == "Device" and row.notice:
            return row.notice
        return row.cells()[index.column()]


def state_name(state: str) -> str:
    """A worker state in words, in the window's language (an unknown one as it is)."""
    if state not in STATE_NAMES:
        return state
    return QCoreApplication.translate("WorkersTableModel", STATE_NAMES[state])
