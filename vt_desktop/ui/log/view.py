"""The Log view: live lines from the app and every worker, filtered by level and text.

The model keeps at most ``MAX_LOG_LINES`` lines (the oldest go first), so a chatty worker
cannot grow the window's memory without bound; the files in the log dir keep everything.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from vt_desktop.core.runtime import LogLine
from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel
from vt_desktop.ui.common.widgets import page_layout
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.view_model import RuntimeViewModel

MAX_LOG_LINES = 5000
COLUMNS = (
    QT_TRANSLATE_NOOP("LogModel", "Time"),
    QT_TRANSLATE_NOOP("LogModel", "Level"),
    QT_TRANSLATE_NOOP("LogModel", "Source"),
    QT_TRANSLATE_NOOP("LogModel", "Message"),
)
LEVEL_RANKS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVEL_COLOURS = {
    "DEBUG": "#6b7280",
    "INFO": "#1f2937",
    "WARNING": "#b45309",
    "ERROR": "#b91c1c",
    "CRITICAL": "#991b1b",
}
#: (label, lowest level shown) for the level filter, most inclusive first.
LEVEL_CHOICES = (
    (QT_TRANSLATE_NOOP("LogView", "All levels"), 0),
    (QT_TRANSLATE_NOOP("LogView", "Info and above"), 20),
    (QT_TRANSLATE_NOOP("LogView", "Warnings and errors"), 30),
    (QT_TRANSLATE_NOOP("LogView", "Errors only"), 40),
)
# A worker's console line, in worker.logs.LOG_FORMAT: keep only the message for display.
_WORKER_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - \S+ - [A-Z]+ - \[[^\]]*\] - (?P<message>.*)$"
)
_Index = QModelIndex | QPersistentModelIndex


def display_message(message: str) -> str:
    """The message without the timestamp/logger/level prefix a worker's console line carries."""
    match = _WORKER_LINE.match(message)
    return match.group("message") if match else message


def format_time(stamp: float) -> str:
    """``HH:MM:SS.mmm`` in local time."""
    millis = int((stamp % 1) * 1000)
    return f"{time.strftime('%H:%M:%S', time.localtime(stamp))}.{millis:03d}"


def level_rank(level: str) -> int:
    """The numeric rank of a level name (unknown names rank as INFO)."""
    return LEVEL_RANKS.get(level.upper(), 20)


class LogModel(ColumnsTableModel):
    """The newest ``capacity`` log lines."""

    columns = COLUMNS
    title_context = "LogModel"

    def __init__(self, capacity: int = MAX_LOG_LINES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._lines: deque[LogLine] = deque()

    def append(self, line: LogLine) -> None:
        """Add a line at the bottom, dropping the oldest when full."""
        if len(self._lines) >= self.capacity:
            self.beginRemoveRows(QModelIndex(), 0, 0)
            self._lines.popleft()
            self.endRemoveRows()
        row = len(self._lines)
        self.beginInsertRows(QModelIndex(), row, row)
        self._lines.append(line)
        self.endInsertRows()

    def clear(self) -> None:
        """Drop every line."""
        self.beginResetModel()
        self._lines.clear()
        self.endResetModel()

    def line(self, row: int) -> LogLine:
        """The line at ``row``."""
        return self._lines[row]

    def row_count(self) -> int:
        """One row per line."""
        return len(self._lines)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: the cell text, coloured by level; the full line as a tooltip."""
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(line, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            return theme.colour(LEVEL_COLOURS.get(line.level.upper(), LEVEL_COLOURS["INFO"]))
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == COLUMNS.index("Message"):
            return line.message
        return None

    @staticmethod
    def _cell(line: LogLine, column: int) -> str:
        cells: tuple[Callable[[LogLine], str], ...] = (
            lambda ln: format_time(ln.time),
            lambda ln: ln.level.upper(),
            lambda ln: ln.source,
            lambda ln: display_message(ln.message),
        )
        return cells[column](line)


class LogFilterProxy(QSortFilterProxyModel):
    """Shows the lines at or above a level whose source or message contains a text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.min_rank = 0
        self.needle = ""

    def set_min_rank(self, rank: int) -> None:
        """Show only lines ranked ``rank`` or above (0 shows everything)."""
        self._change_filter(lambda: setattr(self, "min_rank", rank))

    def set_search(self, text: str) -> None:
        """Show only lines whose source or message contains ``text`` (any case)."""
        self._change_filter(lambda: setattr(self, "needle", text.strip().casefold()))

    def _change_filter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        """Qt override: the level and text tests."""
        model = self.sourceModel()
        if not isinstance(model, LogModel):
            return True
        line = model.line(source_row)
        if level_rank(line.level) < self.min_rank:
            return False
        if not self.needle:
            return True
        return self.needle in line.message.casefold() or self.needle in line.source.casefold()


class LogView(QWidget):
    """The live log panel with its level filter, search box and line count."""

    def __init__(self, view_model: RuntimeViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._vm = view_model
        self.model = LogModel(parent=self)
        self.proxy = LogFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.level_filter = QComboBox()
        self.search_box = QLineEdit()
        self.clear_button = QPushButton(self.tr("Clear"))
        self.count_label = QLabel()
        self.table = QTableView()
        self._follow = True
        self._build()
        self._connect_signals()
        self._update_count()

    def _build(self) -> None:
        layout = page_layout(
            self,
            self.tr("Log"),
            self.tr(
                "Live messages from this app and from every worker. The full logs are kept "
                "in {folder}."
            ).format(folder=self._vm.settings.log_dir),
            spacing=16,
        )
        layout.addLayout(self._toolbar())
        self._build_table()
        layout.addWidget(self.table, 1)

    def _toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        for label, rank in LEVEL_CHOICES:
            self.level_filter.addItem(QCoreApplication.translate("LogView", label), rank)
        self.level_filter.setAccessibleName(self.tr("Level filter"))
        self.level_filter.setMinimumWidth(180)
        self.search_box.setPlaceholderText(self.tr("Search messages and sources"))
        self.search_box.setAccessibleName(self.tr("Search the log"))
        self.search_box.setClearButtonEnabled(True)
        self.clear_button.setAccessibleName(self.tr("Clear the log"))
        self.count_label.setObjectName("Muted")
        row.addWidget(self.level_filter)
        row.addWidget(self.search_box, 1)
        row.addWidget(self.count_label)
        row.addWidget(self.clear_button)
        return row

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.proxy)
        table.setAccessibleName(self.tr("Log lines"))
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(8.0, QFont().pointSizeF() - 0.5))
        table.setFont(mono)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        metrics = table.fontMetrics()
        for column, sample in enumerate(("00:00:00.000", "CRITICAL", "local-10")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 36)
        header.setSectionResizeMode(COLUMNS.index("Message"), QHeaderView.ResizeMode.Stretch)

    def _connect_signals(self) -> None:
        self._vm.log_appended.connect(self._on_view_model_log_appended)
        self.level_filter.currentIndexChanged.connect(self._on_level_filter_current_index_changed)
        self.search_box.textChanged.connect(self._on_search_box_text_changed)
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        self.proxy.rowsAboutToBeInserted.connect(self._on_proxy_rows_about_to_be_inserted)
        self.proxy.rowsInserted.connect(self._on_proxy_rows_inserted)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)

    def visible_lines(self) -> list[LogLine]:
        """The lines the filter lets through, top to bottom."""
        rows = range(self.proxy.rowCount())
        return [self.model.line(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in rows]

    def _on_view_model_log_appended(self, line: LogLine) -> None:
        self.model.append(line)

    def _on_level_filter_current_index_changed(self, index: int) -> None:
        self.proxy.set_min_rank(int(self.level_filter.itemData(index)))
        self._update_count()

    def _on_search_box_text_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()

    def _on_clear_button_clicked(self) -> None:
        self.model.clear()

    def _on_proxy_rows_about_to_be_inserted(self) -> None:
        bar = self.table.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum() - 4

    def _on_proxy_rows_inserted(self) -> None:
        if self._follow:
            self.table.scrollToBottom()
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if shown == total:
            text = self.tr("1 line") if total == 1 else self.tr("{total} lines")
        else:
            text = (
                self.tr("{shown} of 1 line") if total == 1 else self.tr("{shown} of {total} lines")
            )
        self.count_label.setText(text.format(shown=f"{shown:,}", total=f"{total:,}"))
