"""Review of a finished job's subtitles: one language's cues, opened and edited.

Qt-free; the Review page drives one :class:`ReviewSession` per job and target language. Its
cues come from the stored cue records (:mod:`.records`); every edit is validated (times in
order, no overlap with the neighbours) and re-checks the cue's flags against the job's
subtitle rules; a refused edit changes nothing and says why. Every edit is saved at once in
the store as the language's draft (``review-draft-<lang>``), so a crash or a closed window
loses nothing: opening the job again shows the draft. Re-translation, re-recognition and
re-dubbing are in :mod:`.redo`, Export in :mod:`.export`.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from dataclasses import replace
from typing import Any

from vt_desktop.core.jobs.model import JobRecord, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review.cues import (
    STALE,
    ReviewCue,
    ReviewError,
    cue_flags,
    format_time,
    parse_time,
)
from vt_desktop.core.review.records import (
    cue_from_record,
    cue_records,
    cues_from_file,
    cues_key,
    draft_key,
    fingerprint,
)
from vt_desktop.core.subtitles import (
    DOUBT_THRESHOLD,
    DOUBTFUL,
    Cue,
    WordConfidence,
    doubtful,
    rules_for,
    writable,
)
from vt_desktop.core.subtitles.layout import wrap_text

__all__ = ["ReviewSession", "reviewable_jobs"]

log = logging.getLogger(__name__)


def reviewable_jobs(store: JobStore) -> list[JobRecord]:
    """The finished (done) jobs, newest first: the ones that have subtitles to review."""
    return sorted(store.jobs(JobState.DONE), key=lambda r: r.created, reverse=True)


class ReviewSession:
    """One finished job's cues in one target language, as they are being reviewed."""

    def __init__(
        self, store: JobStore, record: JobRecord, lang: str, cues: list[ReviewCue]
    ) -> None:
        self.store = store
        self.record = record
        self.lang = lang
        self.cues = cues
        self.rules = rules_for(lang, **record.spec.rule_overrides())
        plan = store.artifact(record.id, "plan")
        self.duration_s: float | None = plan.get("duration_s") if isinstance(plan, dict) else None
        self.bilingual = record.spec.bilingual
        self.dirty = False
        #: Words the recogniser was less sure of than this are doubtful (the user's setting).
        self.doubt_threshold = DOUBT_THRESHOLD
        #: Set when the cues came from the subtitle file (no source text, no stored flags).
        self.from_file = False
        #: Why the last edit could not be saved in the store (None once saved): the edit is
        #: kept here, and the window asks before it is closed.
        self.save_error: str | None = None
        #: Something the reviewer should know about how the cues were opened (or None).
        self.notice: str | None = None
        #: The fingerprint of the job's stored cues the edits started from.
        self.base = ""

    @classmethod
    def open(
        cls,
        store: JobStore,
        job_id: str,
        lang: str,
        *,
        doubt_threshold: float = DOUBT_THRESHOLD,
        draft: bool = True,
    ) -> ReviewSession:
        """Load a done job's cues in ``lang``: its draft (edits saved but not exported) when
        there is one and ``draft`` is true, else the cues as last exported.

        Raises:
            ReviewError: no such job, it is not done, ``lang`` is not one of its targets, or
                its cues are stored nowhere (no artifact and no subtitle file).
        """
        try:
            record = store.get(job_id)
        except KeyError:
            raise ReviewError(f"There is no job {job_id}; it may have been removed.") from None
        if record.state is not JobState.DONE:
            raise ReviewError(
                f"Job {job_id} is {record.state.value}: only done jobs have subtitles to review."
            )
        if lang not in record.spec.targets:
            targets = ", ".join(record.spec.targets)
            raise ReviewError(f"Job {job_id} has no {lang} subtitles (its languages: {targets}).")
        exported = store.artifact(job_id, cues_key(lang))
        draft_cues = store.artifact(job_id, draft_key(lang)) if draft else None
        base = fingerprint(exported)
        stale = isinstance(draft_cues, dict) and draft_cues.get("base", base) != base
        stored = exported if stale or not isinstance(draft_cues, dict) else draft_cues
        session = cls._from_stored(store, record, lang, stored, doubt_threshold)
        session.base = base
        session.dirty = stored is draft_cues  # edits saved but not exported
        if stale:
            session.notice = (
                f"Job {job_id} was run again after the last {lang} edits, so these are its new "
                "cues; the edits were set aside, and editing now replaces them."
            )
        return session

    @classmethod
    def _from_stored(
        cls, store: JobStore, record: JobRecord, lang: str, stored: Any, doubt_threshold: float
    ) -> ReviewSession:
        if isinstance(stored, dict):
            bilingual = bool(stored.get("bilingual", False))
            cues = [cue_from_record(item, bilingual) for item in stored.get("cues", [])]
            session = cls(store, record, lang, cues)
            session.doubt_threshold = doubt_threshold
            session.from_file = bool(stored.get("from_file", False))
            session.cues = [
                replace(c, flags=c.flags | {DOUBTFUL}) if doubtful(c.words, doubt_threshold) else c
                for c in cues
            ]
            return session
        session = cls(store, record, lang, cues_from_file(record, lang))
        session.doubt_threshold = doubt_threshold
        session.from_file = True
        session.cues = [
            replace(c, flags=cue_flags(c, session.rules, untranslated=False)) for c in session.cues
        ]
        return session

    # -- edits -------------------------------------------------------------------------------

    def _row(self, row: int) -> ReviewCue:
        if not 0 <= row < len(self.cues):
            raise ReviewError(f"There is no cue {row + 1} (the job has {len(self.cues)}).")
        return self.cues[row]

    def edit_text(self, row: int, text: str) -> ReviewCue:
        """Give cue ``row`` (from 0) new translation text, re-broken into lines by the rules
        unless it has line breaks of its own; its flags are checked again.

        Raises:
            ReviewError: the text is blank (a cue needs something to show).
        """
        cue = self._row(row)
        lines = wrap_text(text, self.rules)
        if not lines:
            raise ReviewError(f"Cue {row + 1} needs text: a blank cue would show nothing.")
        if lines == cue.text and STALE not in cue.flags:
            return cue
        # Retyped: the reviewer settled its doubts, and it says what its source says now.
        edited = replace(cue, text=lines, words=(), flags=cue.flags - {STALE})
        return self._store(
            row, replace(edited, flags=cue_flags(edited, self.rules, untranslated=False))
        )

    def edit_source(self, row: int, text: str, words: tuple[WordConfidence, ...] = ()) -> ReviewCue:
        """Give cue ``row`` new source text (what was said), with the recogniser's ``words``
        when it comes from recognition (none: retyped). A cue that shows its source
        (untranslated) shows the new text; a translated one is flagged ``stale`` until it is
        translated again or retyped. In a bilingual job the source lines follow.

        Raises:
            ReviewError: the text is blank.
        """
        cue = self._row(row)
        source = " ".join(text.split())
        if not source:
            raise ReviewError(f"Cue {row + 1} needs source text: type what is said.")
        if source == cue.source and words == cue.words:
            return cue
        untranslated = "untranslated" in cue.flags
        lines = tuple(wrap_text(source, self.rules).split("\n")) if cue.source_lines else ()
        edited = replace(cue, source=source, words=words, source_lines=lines)
        if untranslated or not cue.text.strip():
            edited = replace(edited, text=wrap_text(source, self.rules), flags=cue.flags - {STALE})
        elif source != cue.source:
            edited = replace(edited, flags=cue.flags | {STALE})
        flags = cue_flags(
            edited, self.rules, untranslated=untranslated, doubt_threshold=self.doubt_threshold
        )
        return self._store(row, replace(edited, flags=flags))

    def edit_times(self, row: int, start: float, end: float) -> ReviewCue:
        """Move cue ``row`` to ``start``..``end`` seconds; its flags are checked again.

        Raises:
            ReviewError: ``start`` is not before ``end``, a time is negative or past the end
                of the media, or the cue would overlap the one before or after it.
        """
        cue = self._row(row)
        number = row + 1
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0:
            raise ReviewError(f"Cue {number}: times cannot be negative.")
        if start >= end:
            raise ReviewError(
                f"Cue {number}: the start ({format_time(start)}) must be before the end "
                f"({format_time(end)})."
            )
        if self.duration_s is not None and end > self.duration_s + 0.001:
            raise ReviewError(
                f"Cue {number}: the end ({format_time(end)}) is past the end of the video "
                f"({format_time(self.duration_s)})."
            )
        if row > 0 and start < (before := self.cues[row - 1]).end - 0.0005:
            raise ReviewError(
                f"Cue {number} would overlap cue {number - 1}, which ends at "
                f"{format_time(before.end)}: start it at {format_time(before.end)} or later."
            )
        if row + 1 < len(self.cues) and end > (after := self.cues[row + 1]).start + 0.0005:
            raise ReviewError(
                f"Cue {number} would overlap cue {number + 1}, which starts at "
                f"{format_time(after.start)}: end it at {format_time(after.start)} or earlier."
            )
        moved = replace(cue, start=start, end=end)
        untranslated = "untranslated" in cue.flags
        return self._store(
            row,
            replace(
                moved,
                flags=cue_flags(
                    moved,
                    self.rules,
                    untranslated=untranslated,
                    doubt_threshold=self.doubt_threshold,
                ),
            ),
        )

    def edit_time_text(self, row: int, which: str, text: str) -> ReviewCue:
        """Set the ``"start"`` or ``"end"`` of cue ``row`` from typed text.

        Raises:
            ReviewError: the text is not a time, or the new times are refused (see
                :meth:`edit_times`).
        """
        cue = self._row(row)
        value = parse_time(text)
        if which == "start":
            return self.edit_times(row, value, cue.end)
        return self.edit_times(row, cue.start, value)

    def _store(self, row: int, cue: ReviewCue) -> ReviewCue:
        self.cues[row] = cue
        self.dirty = True
        self.save_draft()
        return cue

    def replace_cues(
        self, first: int, before: tuple[ReviewCue, ...], after: tuple[ReviewCue, ...]
    ) -> None:
        """Put ``after`` where ``before`` is now (rows ``first``...), and save the draft.

        Raises:
            ReviewError: the rows there are not ``before`` (the cues changed since).
        """
        if tuple(self.cues[first : first + len(before)]) != before:
            raise ReviewError(
                f"The cues from cue {first + 1} on changed since this edit; it cannot be "
                "applied again."
            )
        self.cues[first : first + len(before)] = list(after)
        self.dirty = True
        self.save_draft()

    def save_draft(self) -> None:
        """Keep the cues as they are now in the store (the draft reopened after a crash).
        A store that cannot be written leaves ``save_error`` set and the cues as they are."""
        try:
            self.store.put_artifact(
                self.record.id,
                draft_key(self.lang),
                {**self._records(), "draft": True, "base": self.base},
            )
        except (sqlite3.Error, OSError) as exc:
            log.warning("review %s/%s: draft not saved: %s", self.record.id, self.lang, exc)
            self.save_error = f"The edits could not be saved in the job store: {exc}"
            return
        self.save_error = None

    def discard_draft(self) -> None:
        """Forget the edits not exported: the job opens again as last exported."""
        self.store.put_artifact(self.record.id, draft_key(self.lang), None)
        self.dirty = False

    def row_at(self, seconds: float) -> int | None:
        """The row of the cue shown at ``seconds``, or None between cues."""
        for row, cue in enumerate(self.cues):
            if cue.start <= seconds < cue.end:
                return row
        return None

    def source_language(self) -> str | None:
        """The spoken language the job recognised (or was told), or None when unknown."""
        stored = self.store.artifact(self.record.id, "language")
        return stored if isinstance(stored, str) else self.record.spec.source_language

    def _records(self) -> dict[str, Any]:
        return cue_records(self.cues, self.bilingual, self.from_file)

    def written(self) -> list[Cue]:
        """The cues the files carry: all but gaps' stand-ins and cues with no text yet."""
        shown = [c for c in self.cues if "".join(c.source_lines + c.lines).strip()]
        return writable([c.to_cue(i) for i, c in enumerate(shown, start=1)])

    def save(self) -> None:
        """Keep the edited cues in the store as the job's cues, so reopening the job shows
        them; the draft is dropped."""
        records = self._records()
        self.store.put_artifact(self.record.id, cues_key(self.lang), records)
        self.base = fingerprint(records)
        self.store.put_artifact(self.record.id, draft_key(self.lang), None)
        self.dirty = False
