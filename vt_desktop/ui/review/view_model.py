"""The Review page's model: finished jobs, the open review session, and its actions as signals.

The page may be used before the runtime is up (reviewing and exporting need no worker; only
re-translation does). The store is the same file the runtime's queue writes, opened once
here. No method raises into Qt: a refusal or failure becomes a signal with a plain message.
Every change to the cues (typed, split, merged, inserted, deleted, shifted, re-translated) is
a command on ``undo_stack`` whose redo and undo call the core's
:mod:`~vt_desktop.core.review.edits`; the core saves each one in the store at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.jobs.store import JobStore, open_job_store
from vt_desktop.core.review import (
    STALE,
    RetranslateResult,
    ReviewError,
    ReviewSession,
    retranslate,
    reviewable_jobs,
)
from vt_desktop.core.review.edits import CueEdit, edit_source, edit_text, edit_times, redo, undo
from vt_desktop.ui.review.columns import COLUMNS, flag_counts, flag_name
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.transport.client import RpcClient

__all__ = ["COLUMNS", "CueEditCommand", "ReviewViewModel", "flag_counts", "flag_name"]

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
    redo_started = Signal()  # re-translating, re-recognising or re-dubbing lines
    redo_finished = Signal(object)  # RetranslateResult: the rows changed and a message
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
            self._store = open_job_store(self.runtime_vm.settings.data_dir)
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
        """Set the ``"text"``, ``"source"``, ``"start"`` or ``"end"`` of cue ``row`` from
        what was typed."""
        if field == "text":
            label = self.tr("Edit the text of cue {number}").format(number=row + 1)
            return self.change(row, label, lambda s: edit_text(s, row, text))
        if field == "source":
            label = self.tr("Edit the source of cue {number}").format(number=row + 1)
            return self.change(row, label, lambda s: edit_source(s, row, text))
        label = self.tr("Edit the times of cue {number}").format(number=row + 1)
        return self.change(row, label, lambda s: edit_times(s, row, field, text))

    async def retranslate(self, rows: list[int]) -> None:
        """Re-translate ``rows`` through the workers; emits ``redo_finished``."""
        failed = self.tr("Re-translation failed: {error}. The old text is kept.")
        label = self.tr("Re-translate {count} line(s)")
        await self._redo(rows, label, failed, lambda s, rpc: retranslate(s, rpc, rows))

    async def rerecognise(self, rows: list[int], model: str) -> None:
        """Recognise the audio of ``rows`` again with ``model``; emits ``redo_finished``."""
        failed = self.tr("Recognition failed: {error}. The old text is kept.")
        label = self.tr("Recognise {count} line(s) again")
        from vt_desktop.core.review.heard import rerecognise  # numpy, PyAV: on first use

        await self._redo(rows, label, failed, lambda s, rpc: rerecognise(s, rpc, rows, model))

    async def redub(self, rows: list[int]) -> None:
        """Speak ``rows`` again for the dub (Export puts them in); emits ``redo_finished``."""
        failed = self.tr("Re-dubbing failed: {error}.")
        from vt_desktop.core.review.dub import redub  # numpy, PyAV: on first use

        await self._redo(rows, "", failed, lambda s, rpc: redub(s, rpc, rows))

    def stale_rows(self) -> list[int]:
        """The cues whose translation is older than their source text."""
        session = self.session
        return [r for r, c in enumerate(session.cues) if STALE in c.flags] if session else []

    async def _redo(
        self,
        rows: list[int],
        label: str,
        failed: str,
        run: Callable[[ReviewSession, RpcClient | None], Awaitable[RetranslateResult]],
    ) -> None:
        """Run one redo of lines (``run``), put what it changed on the undo stack as
        ``label`` (none: nothing to undo) and emit ``redo_finished``."""
        session = self.session
        if session is None or self.busy:
            return
        self.busy = True
        self.redo_started.emit()
        runtime = self.runtime_vm.runtime
        before = list(session.cues)
        try:
            result = await run(session, runtime.rpc if runtime else None)
        except Exception as exc:  # the connection dropped mid-call, …
            log.warning("review: redo of lines failed: %s", exc)
            result = RetranslateResult([], failed.format(error=exc), False)
        finally:
            self.busy = False
        if result.changed and label and session is self.session:
            first, last = min(result.changed), max(result.changed) + 1
            edit = CueEdit(first, tuple(before[first:last]), tuple(session.cues[first:last]))
            self.undo_stack.push(
                CueEditCommand(self, edit, label.format(count=len(result.changed)))
            )
            for row in result.changed:
                self.cue_edited.emit(row)
        self.redo_finished.emit(result)

    async def export(self) -> None:
        """Write the edited cues to the job's outputs; emits ``export_finished`` or
        ``export_failed``."""
        session = self.session
        if session is None or self.busy:
            return
        self.busy = True
        self.export_started.emit()
        from vt_desktop.core.review import export  # PyAV: on first use

        try:
            result = await export(
                session, runtime.rpc if (runtime := self.runtime_vm.runtime) else None
            )
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
