"""The Review page's table of cues: wrapped text, rows as tall as their text, the flag filter."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from vt_desktop.core.review import ReviewSession
from vt_desktop.ui.common.rich_text import RichTextDelegate
from vt_desktop.ui.review.columns import COLUMNS, RICH_TEXT_ROLE
from vt_desktop.ui.review.cues_model import CuesTableModel

__all__ = ["ALL", "ANY", "CuesTable"]

COLUMN_WIDTHS = {"#": 50, "Flags": 98, "Start": 84, "End": 84}
#: The filter's choices besides one flag: every cue, or those with any flag.
ALL, ANY = "", "*"
#: The style's own text margins inside a cell (focus frame margin + 1, both sides).
TEXT_MARGINS = 8
CELL_PADDING = (12, 10)  # the style sheet's item padding (across, down) plus a margin
#: Rows fitted in one turn of the event loop when all of them are (about 8 ms a turn): a
#: 15-minute job's 173 rows took 26 ms at once, and an opening fitted them three times over.
FIT_CHUNK = 40


class CuesTable(QTableView):
    """The cues, one per row, edited in place (double click, F2, or a click on the selected
    cell); the Translation and Source columns stretch and wrap."""

    def __init__(self, model: CuesTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cues_model = model
        self.setModel(model)
        self.setItemDelegate(RichTextDelegate(RICH_TEXT_ROLE, self))
        self.setObjectName("ReviewTable")
        self.setAccessibleName(self.tr("Subtitle cues"))
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.verticalHeader().hide()
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setMinimumWidth(420)
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        for column, name in enumerate(COLUMNS):
            if name in COLUMN_WIDTHS:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(column, COLUMN_WIDTHS[name])
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        #: The next row to fit while all rows are being fitted, a chunk a turn.
        self._fit_next = 0
        self._fitting = QTimer(self)
        self._fitting.setSingleShot(True)
        self._fitting.timeout.connect(self._fit_chunk)
        header.sectionResized.connect(self.fit_all_rows)
        model.modelReset.connect(self.fit_all_rows)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: fit the rows again once the stretched columns are laid out."""
        super().resizeEvent(event)
        self.fit_all_rows()

    def fit_all_rows(self, *_args: object) -> None:
        """Fit every row again, from the first, :data:`FIT_CHUNK` rows a turn of the event
        loop, so that opening a long job, or a column resized several times over, never holds
        the window; a later call starts over instead of adding a second pass."""
        self._fit_next = 0
        self._fitting.start(0)

    def _fit_chunk(self) -> None:
        total = self.cues_model.row_count()
        stop = min(total, self._fit_next + FIT_CHUNK)
        self.fit_rows(range(self._fit_next, stop))
        self._fit_next = stop
        if stop < total:
            self._fitting.start(0)

    def fit_rows(self, rows: object = None, *_args: object) -> None:
        """Make each row (of ``rows``, a range; all of them otherwise, at once) tall enough for its
        wrapped text (the style sheet's item padding is not in Qt's own size hint, so it
        would cut the last line off)."""
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        across, down = CELL_PADDING
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
        chosen = rows if isinstance(rows, range) else range(self.cues_model.row_count())
        for row in chosen:
            tallest = metrics.height()
            for column in range(len(COLUMNS)):
                width = header.sectionSize(column) - across - TEXT_MARGINS
                bounds = QRect(0, 0, max(1, width), 10_000)
                text = self.cues_model.cell(row, column)
                tallest = max(tallest, metrics.boundingRect(bounds, flags, text).height())
            self.setRowHeight(row, tallest + down)

    def apply_filter(self, session: ReviewSession | None, chosen: str, keep: int | None) -> None:
        """Hide the cues the filter ``chosen`` (:data:`ALL`, :data:`ANY` or a flag) leaves
        out; row ``keep`` stays shown (so an edit that fixes the current cue does not whisk
        it away)."""
        for row, cue in enumerate(session.cues if session else []):
            shown = chosen == ALL or (bool(cue.flags) if chosen == ANY else chosen in cue.flags)
            self.setRowHidden(row, not shown and row != keep)
