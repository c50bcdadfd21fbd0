"""The Review page's model: finished jobs, the open review session, and its actions as signals.

The page may be used before the runtime is up (reviewing and exporting need no worker; only
re-translation does). The store is the same file the runtime's queue writes, opened once
here. No method raises into Qt: a refusal or failure becomes a signal with a plain message.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import (
    RetranslateResult,
    ReviewError,
    ReviewSession,
    describe_flag,
    doubtful_spans,
    format_time,
    reviewable_jobs,
)
from vt_desktop.core.subtitles import DOUBTFUL, doubtful
from vt_desktop.ui import theme
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.table_model import ColumnsTableModel, Index
from vt_desktop.ui.view_model import RuntimeViewModel

log = logging.getLogger(__name__)


class ReviewViewModel(QObject):
    """Opens a done job's cues in one language, edits them, re-translates and exports."""

    jobs_listed = Signal(list)  # list[JobRecord]: the done jobs, newest first
    session_opened = Signal(object)  # ReviewSession
    open_failed = Signal(str)  # plain message
    cue_edited = Signal(int)  # row
    edit_refused = Signal(int, str)  # row, plain message
    retranslate_started = Signal()
    retranslate_finished = Signal(object)  # RetranslateResult
    export_started = Signal()
    export_finished = Signal(object)  # ExportResult
    export_failed = Signal(str)  # plain message

    def __init__(self, runtime_vm: RuntimeViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime_vm = runtime_vm
        self.session: ReviewSession | None = None
        self._store: JobStore | None = None
        self.busy = False

    @property
    def store(self) -> JobStore:
        """The job store, opened once.

        Raises:
            OSError: the data dir cannot be created or the file opened.
        """
        if self._store is None:
            self._store = JobStore(self.runtime_vm.settings.data_dir / "jobs.sqlite3")
        return self._store

    @property
    def dirty(self) -> bool:
        """True while the open session has edits that were not exported."""
        return self.session is not None and self.session.dirty

    def threshold_changed(self) -> bool:
        """Whether the doubtful-word setting changed since the open session was opened."""
        threshold = self.runtime_vm.settings.review_doubt_threshold
        return self.session is not None and self.session.doubt_threshold != threshold

    def list_jobs(self) -> list[JobRecord]:
        """The done jobs (emits ``jobs_listed``; ``open_failed`` if the store cannot be read)."""
        try:
            jobs = reviewable_jobs(self.store)
        except Exception as exc:
            self.open_failed.emit(self.tr("The job list cannot be read: {error}").format(error=exc))
            return []
        self.jobs_listed.emit(jobs)
        return jobs

    def open(self, job_id: str, lang: str) -> bool:
        """Open ``job_id``'s cues in ``lang``, dropping the session open now."""
        try:
            threshold = self.runtime_vm.settings.review_doubt_threshold
            session = ReviewSession.open(self.store, job_id, lang, doubt_threshold=threshold)
        except ReviewError as exc:
            self.open_failed.emit(str(exc))
            return False
        except Exception as exc:
            log.exception("review: cannot open %s/%s", job_id, lang)
            self.open_failed.emit(
                self.tr("Job {job} cannot be opened: {error}").format(job=job_id, error=exc)
            )
            return False
        self.session = session
        self.session_opened.emit(session)
        return True

    def edit(self, row: int, field: str, text: str) -> bool:
        """Set the ``"text"``, ``"start"`` or ``"end"`` of cue ``row`` from what was typed."""
        if self.session is None:
            return False
        try:
            if field == "text":
                self.session.edit_text(row, text)
            else:
                self.session.edit_time_text(row, field, text)
        except ReviewError as exc:
            self.edit_refused.emit(row, str(exc))
            return False
        self.cue_edited.emit(row)
        return True

    async def retranslate(self, rows: list[int]) -> None:
        """Re-translate ``rows`` through the workers; emits ``retranslate_finished``."""
        session = self.session
        if session is None or self.busy:
            return
        self.busy = True
        self.retranslate_started.emit()
        runtime = self.runtime_vm.runtime
        try:
            result = await session.retranslate(runtime.rpc if runtime else None, rows)
        except Exception as exc:  # the connection dropped mid-call, …
            log.warning("review: re-translation failed: %s", exc)
            failed = self.tr("Re-translation failed: {error}. The old text is kept.")
            result = RetranslateResult([], failed.format(error=exc), False)
        finally:
            self.busy = False
        for row in result.changed:
            self.cue_edited.emit(row)
        self.retranslate_finished.emit(result)

    async def export(self) -> None:
        """Write the edited cues to the job's outputs; emits ``export_finished`` or
        ``export_failed``."""
        session = self.session
        if session is None or self.busy:
            return
        self.busy = True
        self.export_started.emit()
        try:
            result = await session.export()
        except ReviewError as exc:
            self.export_failed.emit(str(exc))
            return
        except Exception as exc:
            log.exception("review: export failed")
            self.export_failed.emit(self.tr("The export failed: {error}").format(error=exc))
            return
        finally:
            self.busy = False
        self.export_finished.emit(result)

    def close(self) -> None:
        """Close the store file."""
        if self._store is not None:
            self._store.close()
            self._store = None


COLUMNS = (
    "#",
    QT_TRANSLATE_NOOP("CuesTableModel", "Source"),
    QT_TRANSLATE_NOOP("CuesTableModel", "Translation"),
    QT_TRANSLATE_NOOP("CuesTableModel", "Start"),
    QT_TRANSLATE_NOOP("CuesTableModel", "End"),
)
_EDITABLE = {"Translation": "text", "Start": "start", "End": "end"}
#: Light-palette colours (``theme.colour`` gives the dark partner): flagged row, flag text.
FLAGGED_BACKGROUND = "#fef2f2"
FLAGGED_TEXT = "#b91c1c"
#: A doubtful word: amber behind, warning-brown text (light palette).
DOUBT_BACKGROUND = "#fef3c7"
DOUBT_TEXT = "#b45309"
#: The item data role of a cell's text as HTML with its doubtful words marked (None: plain).
RICH_TEXT_ROLE = Qt.ItemDataRole.UserRole + 1


class CuesTableModel(ColumnsTableModel):
    """The open session's cues; Translation, Start and End are edited in place through the
    view model, which validates each edit (a refused edit leaves the cell as it was)."""

    columns = COLUMNS
    title_context = "CuesTableModel"

    def __init__(self, review: ReviewViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._review = review
        review.session_opened.connect(self._on_review_session_opened)
        review.cue_edited.connect(self._on_review_cue_edited)

    def row_count(self) -> int:
        """One row per cue."""
        return len(self._review.session.cues) if self._review.session else 0

    def _on_review_session_opened(self, _session: ReviewSession) -> None:
        self.beginResetModel()
        self.endResetModel()

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
        elif role == roles.ForegroundRole and flagged and COLUMNS[column] == "#":
            value = theme.colour(FLAGGED_TEXT)
        elif role == roles.ToolTipRole:
            value = self.flag_tooltip(row) or self.cell(row, column)
        elif role == roles.TextAlignmentRole:
            value = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        elif role == RICH_TEXT_ROLE:
            value = self.rich_cell(row, column)
        return value

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Qt override: Translation, Start and End are editable."""
        base = super().flags(index)
        if index.isValid() and COLUMNS[index.column()] in _EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Qt override: hand the typed text to the view model, which validates it."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        field = _EDITABLE.get(COLUMNS[index.column()])
        if field is None:
            return False
        return self._review.edit(index.row(), field, str(value))
