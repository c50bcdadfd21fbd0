"""The Review table's model: the open session's cues, edited in place through the view model."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QObject, Qt

from vt_desktop.core.review import ReviewSession, describe_flag, doubtful_spans, format_time
from vt_desktop.core.subtitles import DOUBTFUL, doubtful
from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel, Index
from vt_desktop.ui.review.columns import (
    COLUMNS,
    DOUBT_BACKGROUND,
    DOUBT_TEXT,
    EDITABLE,
    FLAG_NAMES,
    FLAGGED_BACKGROUND,
    FLAGGED_TEXT,
    RICH_TEXT_ROLE,
    flag_name,
)
from vt_desktop.ui.review.view_model import ReviewViewModel

__all__ = ["CuesTableModel"]


class CuesTableModel(ColumnsTableModel):
    """The open session's cues; Source, Translation, Start and End are edited in place through the
    view model, which validates each edit (a refused edit leaves the cell as it was)."""

    columns = COLUMNS
    title_context = "CuesTableModel"

    def __init__(self, review: ReviewViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._review = review
        review.session_opened.connect(self._on_review_session_opened)
        review.cue_edited.connect(self._on_review_cue_edited)
        review.cues_edited.connect(self._on_review_cues_edited)
        review.rows_changed.connect(self._on_review_rows_changed)

    def row_count(self) -> int:
        """One row per cue."""
        return len(self._review.session.cues) if self._review.session else 0

    def _on_review_session_opened(self, _session: ReviewSession) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _on_review_rows_changed(self, _first: int) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _on_review_cues_edited(self, first: int, count: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(first + count - 1, len(COLUMNS) - 1))

    def _on_review_cue_edited(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def cell(self, row: int, column: int) -> str:
        """The text shown in a cell."""
        session = self._review.session
        if session is None:
            return ""
        cue = session.cues[row]
        name = COLUMNS[column]
        if name == "#":
            return f"{row + 1}  ⚠" if cue.flags else str(row + 1)
        if name == "Flags":
            order = list(FLAG_NAMES)
            ranked = sorted(cue.flags, key=lambda f: (order.index(f) if f in order else 99, f))
            return ", ".join(flag_name(f) for f in ranked)
        if name == "Source":
            return cue.source
        if name == "Translation":
            return cue.text
        return format_time(cue.start if name == "Start" else cue.end)

    def flag_tooltip(self, row: int) -> str:
        """Which rules the cue breaks and which words were hard to hear ("" when none)."""
        session = self._review.session
        if session is None or not session.cues[row].flags:
            return ""
        cue = session.cues[row]
        named = [describe_flag(f, session.rules) for f in sorted(cue.flags - {DOUBTFUL})]
        if DOUBTFUL in cue.flags:
            heard = ", ".join(
                f"“{word}” ({p:.0%})" for word, p in doubtful(cue.words, session.doubt_threshold)
            )
            named.append(self.tr("hard to hear: {words}").format(words=heard))
        flagged = self.tr("Cue {number} is flagged: {rules}.")
        return flagged.format(number=row + 1, rules="; ".join(named))

    def rich_cell(self, row: int, column: int) -> str | None:
        """A Source cell (or a Translation that is the source as spoken) as HTML with its
        doubtful words marked; None when the cell has none."""
        session = self._review.session
        if session is None or COLUMNS[column] not in ("Source", "Translation"):
            return None
        cue = session.cues[row]
        text = self.cell(row, column)
        if DOUBTFUL not in cue.flags or (
            COLUMNS[column] == "Translation" and text.split() != cue.source.split()
        ):
            return None
        spans = doubtful_spans(text, cue.words, session.doubt_threshold)
        if not spans:
            return None
        style = (
            f"background-color:{theme.colour(DOUBT_BACKGROUND).name()};"
            f"color:{theme.colour(DOUBT_TEXT).name()};text-decoration:underline"
        )
        parts, at = [], 0
        for start, end in spans:
            parts += [html.escape(text[at:start]),
                      f'<span style="{style}">{html.escape(text[start:end])}</span>']  # fmt: skip
            at = end
        parts.append(html.escape(text[at:]))
        return "".join(parts).replace("\n", "<br>")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: text, editable text, and flagged rows tinted with a tooltip."""
        if not index.isValid() or self._review.session is None:
            return None
        row, column = index.row(), index.column()
        flagged = bool(self._review.session.cues[row].flags)
        roles = Qt.ItemDataRole
        value: Any = None
        if role == roles.DisplayRole:
            value = self.cell(row, column)
        elif role == roles.EditRole:
            value = self.cell(row, column).replace("\n", " ")
        elif role == roles.BackgroundRole and flagged:
            value = theme.colour(FLAGGED_BACKGROUND)
        elif role == roles.ForegroundRole and flagged and COLUMNS[column] in ("#", "Flags"):
            value = theme.colour(FLAGGED_TEXT)
        elif role == roles.ToolTipRole:
            value = self.flag_tooltip(row) or self.cell(row, column)
        elif role == roles.TextAlignmentRole:
            value = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        elif role == RICH_TEXT_ROLE:
            value = self.rich_cell(row, column)
        return value

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Qt override: Source, Translation, Start and End are editable."""
        base = super().flags(index)
        if index.isValid() and COLUMNS[index.column()] in EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Qt override: hand the typed text to the view model, which validates it."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        field = EDITABLE.get(COLUMNS[index.column()])
        if field is None:
            return False
        return self._review.edit(index.row(), field, str(value))
