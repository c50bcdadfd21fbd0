"""The Review page's model: finished jobs, the open review session, and its actions as signals.

The page may be used before the runtime is up (reviewing and exporting need no worker; only
re-translation does). The store is the same file the runtime's queue writes, opened once
here. No method raises into Qt: a refusal or failure becomes a signal with a plain message.
Every change to the cues (typed, split, merged, inserted, deleted, shifted, re-translated) is
a command on ``undo_stack`` whose redo and undo call the core's
:mod:`~vt_desktop.core.review.edits`; the core saves each one in the store at once.
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import (
    EMPTY,
    RetranslateResult,
    ReviewError,
    ReviewSession,
    describe_flag,
    doubtful_spans,
    export,
    format_time,
    retranslate,
    reviewable_jobs,
)
from vt_desktop.core.review.edits import CueEdit, edit_text, edit_times, redo, undo
from vt_desktop.core.subtitles import DOUBTFUL, PIVOTED, SUSPECT, UNRECOGNISED, doubtful
from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel, Index
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.view_model import RuntimeViewModel

log = logging.getLogger(__name__)


class CueEditCommand(QUndoCommand):
    """One change to the cues on the undo stack. The change is made (and checked) before the
    command is pushed, so its first redo does nothing; later ones call the core's redo."""

    def __init__(self, review: ReviewViewModel, edit: CueEdit, text: str) -> None:
        super().__init__(text)
        self.review = review
        self.edit = edit
        self._made = True

    def redo(self) -> None:
        """Qt override: make the change (again)."""
        if self._made:
            self._made = False
            return
        self.review.replay(self.edit, redo)

    def undo(self) -> None:
        """Qt override: put the rows back as they were."""
        self.review.replay(self.edit, undo)


class ReviewViewModel(QObject):
    """Opens a done job's cues in one language, edits them, re-translates and exports."""

    jobs_listed = Signal(list)  # list[JobRecord]: the done jobs, newest first
    session_opened = Signal(object)  # ReviewSession
    open_failed = Signal(str)  # plain message
    cue_edited = Signal(int)  # row
    cues_edited = Signal(int, int)  # first row, how many: changed in place (one signal)
    rows_changed = Signal(int)  # first row: cues were added or removed from there on
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
        self.undo_stack = QUndoStack(self)

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

    @property
    def unsaved(self) -> bool:
        """True while an edit could not be saved in the store (it would be lost on quitting)."""
        return self.session is not None and self.session.save_error is not None

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
        self.undo_stack.clear()
        self.session_opened.emit(session)
        return True

    def discard(self) -> None:
        """Forget the open session's edits not exported (its draft in the store)."""
        if self.session is not None:
            self.session.discard_draft()
            self.undo_stack.clear()

    def change(self, row: int, label: str, make: Callable[[ReviewSession], CueEdit | None]) -> bool:
        """Make one change with ``make`` (a :mod:`~vt_desktop.core.review.edits` call) and put
        it on the undo stack as ``label``; a refusal is emitted as ``edit_refused`` for ``row``."""
        session = self.session
        if session is None:
            return False
        try:
            edit = make(session)
        except ReviewError as exc:
            self.edit_refused.emit(row, str(exc))
            return False
        if edit is not None:
            self.undo_stack.push(CueEditCommand(self, edit, label))
            self._announce(edit)
        return True

    def replay(self, edit: CueEdit, step: Callable[[ReviewSession, CueEdit], None]) -> None:
        """Undo or redo ``edit`` (the undo stack's commands call this)."""
        if self.session is None:
            return
        try:
            step(self.session, edit)
        except ReviewError as exc:
            self.edit_refused.emit(edit.first, str(exc))
            return
        self._announce(edit, undone=step is undo)

    def _announce(self, edit: CueEdit, *, undone: bool = False) -> None:
        shown = edit.before if undone else edit.after
        if len(edit.before) != len(edit.after):
            self.rows_changed.emit(edit.first)
        elif len(shown) == 1:
            self.cue_edited.emit(edit.first)
        else:
            self.cues_edited.emit(edit.first, len(shown))
        if self.session is not None and self.session.save_error:
            self.edit_refused.emit(edit.first, self.session.save_error)

    def edit(self, row: int, field: str, text: str) -> bool:
        """Set the ``"text"``, ``"start"`` or ``"end"`` of cue ``row`` from what was typed."""
        if field == "text":
            label = self.tr("Edit the text of cue {number}").format(number=row + 1)
            return self.change(row, label, lambda s: edit_text(s, row, text))
        label = self.tr("Edit the times of cue {number}").format(number=row + 1)
        return self.change(row, label, lambda s: edit_times(s, row, field, text))

    async def retranslate(self, rows: list[int]) -> None:
        """Re-translate ``rows`` through the workers; emits ``retranslate_finished``."""
        session = self.session
        if session is None or self.busy:
            return
        self.busy = True
        self.retranslate_started.emit()
        runtime = self.runtime_vm.runtime
        before = list(session.cues)
        try:
            result = await retranslate(session, runtime.rpc if runtime else None, rows)
        except Exception as exc:  # the connection dropped mid-call, …
            log.warning("review: re-translation failed: %s", exc)
            failed = self.tr("Re-translation failed: {error}. The old text is kept.")
            result = RetranslateResult([], failed.format(error=exc), False)
        finally:
            self.busy = False
        if result.changed and session is self.session:
            first, last = min(result.changed), max(result.changed) + 1
            edit = CueEdit(first, tuple(before[first:last]), tuple(session.cues[first:last]))
            label = self.tr("Re-translate {count} line(s)").format(count=len(result.changed))
            self.undo_stack.push(CueEditCommand(self, edit, label))
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
            result = await export(session)
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
    QT_TRANSLATE_NOOP("CuesTableModel", "Flags"),
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
# Each flag's short name, for the Flags column, the filter and the status line.
FLAG_NAMES = {
    "cps": QT_TRANSLATE_NOOP("CuesTableModel", "too fast"),
    "too_long_line": QT_TRANSLATE_NOOP("CuesTableModel", "line too long"),
    "too_many_lines": QT_TRANSLATE_NOOP("CuesTableModel", "too many lines"),
    "too_short": QT_TRANSLATE_NOOP("CuesTableModel", "too short"),
    "too_long": QT_TRANSLATE_NOOP("CuesTableModel", "too long"),
    "untranslated": QT_TRANSLATE_NOOP("CuesTableModel", "untranslated"),
    UNRECOGNISED: QT_TRANSLATE_NOOP("CuesTableModel", "unrecognised gap"),
    SUSPECT: QT_TRANSLATE_NOOP("CuesTableModel", "suspect"),
    DOUBTFUL: QT_TRANSLATE_NOOP("CuesTableModel", "doubtful words"),
    PIVOTED: QT_TRANSLATE_NOOP("CuesTableModel", "via English"),
    EMPTY: QT_TRANSLATE_NOOP("CuesTableModel", "no text"),
}


def flag_name(flag: str) -> str:
    """A flag's short name in the window's language."""
    return QCoreApplication.translate("CuesTableModel", FLAG_NAMES.get(flag, flag))


def flag_counts(session: ReviewSession) -> Counter[str]:
    """How many cues carry each flag, in the order of :data:`FLAG_NAMES`."""
    counts = Counter(f for c in session.cues for f in c.flags)
    order = list(FLAG_NAMES)
    return Counter(dict(sorted(counts.items(), key=lambda kv: (
        order.index(kv[0]) if kv[0] in order else len(order), kv[0]))))  # fmt: skip


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
