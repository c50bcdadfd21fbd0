"""Review of a finished job's subtitles: load its cues, edit them, re-translate lines, export.

Qt-free; the Review page drives one :class:`ReviewSession` per job and target language. The
pipeline stores each language's laid-out cues as the ``cues-<lang>`` artifact (source text,
lines, times, flags); a job finished before that existed is read back from its subtitle file.
Every edit is validated (times in order, no overlap with the neighbours) and re-checks the
cue's flags against the job's subtitle rules; a refused edit changes nothing and says why.
Every edit is saved at once in the store as the language's draft (``review-draft-<lang>``), so
a crash or a closed window loses nothing: opening the job again shows the draft. Export
rewrites the job's subtitle files and soft-subtitle videos from the edited cues (each write
atomic) and makes them the job's cues (the draft is then dropped).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pysubs2

from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.model import JobRecord, JobState
from vt_desktop.core.jobs.options import SUBTITLE_FORMATS, VIDEO_FORMATS, translates_speech
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.write import iso639_2
from vt_desktop.core.subtitles import (
    DOUBT_THRESHOLD,
    DOUBTFUL,
    PIVOTED,
    SUSPECT,
    UNRECOGNISED,
    Cue,
    SubtitleRules,
    WordConfidence,
    doubtful,
    reading_chars,
    rules_for,
    writable,
    write_subtitles,
)
from vt_desktop.core.subtitles.linebreak import TokenRun, split_wide_tokens, wrap_lines
from vt_desktop.core.subtitles.text import text_width, tokenize
from vt_desktop.core.video import SubtitleTrack, mux_soft_subtitles
from worker.protocol.errors import RpcError
from worker.protocol.mt import (
    MAX_CONTEXT,
    MAX_SENTENCES,
    TRANSLATE,
    TranslateParams,
    primary_subtag,
)
from worker.transport.client import RpcClient

__all__ = [
    "EMPTY",
    "ExportResult",
    "RetranslateResult",
    "ReviewCue",
    "ReviewError",
    "ReviewSession",
    "describe_flag",
    "doubtful_lines",
    "doubtful_spans",
    "format_time",
    "parse_time",
    "reviewable_jobs",
]

log = logging.getLogger(__name__)
RETRANSLATE_TIMEOUT_S = 120.0
CONTEXT_CUES = 3
#: The flag of a cue with no text yet (a newly inserted one): files leave it out.
EMPTY = "empty"
_TIME = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:[.,]\d{1,3})?)$")


class ReviewError(VtError, ValueError):
    """Raised when a job cannot be reviewed, an edit is refused or an export cannot run;
    the message says why in plain words, and nothing was changed."""


@dataclass(frozen=True, slots=True)
class ReviewCue:
    """One cue under review.

    Attributes:
        start: When it appears, in seconds.
        end: When it disappears, in seconds.
        text: The translation's lines, joined with newlines.
        source: The source speech heard while it is shown ("" when unknown).
        flags: Names of the subtitle rules it breaks (see :func:`describe_flag`).
        source_lines: In a bilingual job, the source lines shown above the translation.
        words: The source words with the recogniser's confidence in each (empty when unknown,
            or once the reviewer has retyped the line).
    """

    start: float
    end: float
    text: str
    source: str = ""
    flags: frozenset[str] = frozenset()
    source_lines: tuple[str, ...] = ()
    words: tuple[WordConfidence, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """The translation's lines."""
        return tuple(self.text.split("\n"))

    def to_cue(self, index: int) -> Cue:
        """This cue as the writers take it (numbered ``index``, from 1)."""
        return Cue(
            index, self.start, self.end, self.source_lines + self.lines, self.source, self.flags,
            self.words,
        )  # fmt: skip


@dataclass(frozen=True)
class RetranslateResult:
    """What a re-translation did: the rows it changed, and a sentence for the user."""

    changed: list[int]
    message: str
    ok: bool


@dataclass(frozen=True)
class ExportResult:
    """The files an export rewrote, and notes on what it left alone."""

    written: list[Path]
    notes: list[str]


def reviewable_jobs(store: JobStore) -> list[JobRecord]:
    """The finished (done) jobs, newest first: the ones that have subtitles to review."""
    return sorted(store.jobs(JobState.DONE), key=lambda r: r.created, reverse=True)


def format_time(seconds: float) -> str:
    """``64.5`` → ``"01:04.500"`` (hours are added from one hour on)."""
    total_ms = max(0, round(seconds * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
    return f"{hours}:{text}" if hours else text


def parse_time(text: str) -> float:
    """A time as typed: ``1:04.5``, ``01:04,500``, ``0:01:04.500`` or seconds (``64.5``).

    Raises:
        ReviewError: it is not a time.
    """
    match = _TIME.match(text.strip())
    if match is None:
        raise ReviewError(
            f"'{text.strip()}' is not a time: write minutes:seconds.milliseconds (01:04.500) "
            "or seconds (64.5)"
        )
    hours, minutes, seconds = match.groups()
    if minutes is not None and int(minutes) >= 60 and hours is not None:
        raise ReviewError(f"'{text.strip()}' is not a time: minutes run from 00 to 59")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds.replace(",", "."))


def describe_flag(flag: str, rules: SubtitleRules) -> str:
    """A flag's name as a sentence for the user (for the tooltip of a flagged cue)."""
    sentences = {
        "cps": f"reads too fast (over {rules.max_chars_per_second:g} characters per second)",
        "too_long_line": f"a line is longer than {rules.max_chars_per_line} characters",
        "too_many_lines": f"more than {rules.max_lines} lines",
        "too_short": f"on screen for less than {rules.min_duration_s:g} s",
        "too_long": f"on screen for more than {rules.max_duration_s:g} s",
        "untranslated": "not translated: it shows the source text",
        SUSPECT: "the recogniser's checks found this text may be invented (a loop, or words "
        "where no speech was heard): check it against the audio",
        DOUBTFUL: f"a word was hard to hear (the recogniser was under {DOUBT_THRESHOLD:.0%} sure)",
        UNRECOGNISED: "speech here could not be recognised: retry the job's gaps, or type "
        "the line yourself",
        EMPTY: "no text yet: type its line (an empty cue is left out of the files)",
        PIVOTED: "translated through English (no model translates this pair directly): "
        "meaning may drift; check it",
    }
    return sentences.get(flag, flag.replace("_", " "))


def wrap_text(text: str, rules: SubtitleRules) -> str:
    """Lines for edited text: the user's own line breaks, or balanced lines within the rules."""
    if "\n" in text:
        return "\n".join(line.strip() for line in text.split("\n") if line.strip())
    tokens = tokenize(text.strip(), spaceless=rules.spaceless)
    tokens = split_wide_tokens(tokens, rules.max_chars_per_line, wide_units=rules.wide_units)
    if not tokens:
        return ""
    run = TokenRun(tokens, spaceless=rules.spaceless, wide_units=rules.wide_units)
    return "\n".join(wrap_lines(run, 0, len(tokens), float(rules.max_chars_per_line)))


def check_flags(
    cue: ReviewCue,
    rules: SubtitleRules,
    *,
    untranslated: bool,
    doubt_threshold: float | None = None,
) -> frozenset[str]:
    """The rules ``cue`` breaks now (as the layout checks them); a stand-in for a gap stays
    flagged ``unrecognised`` (and only that) until someone types its text."""
    lines = cue.lines
    if UNRECOGNISED in cue.flags and not "".join(lines).strip():
        return frozenset({UNRECOGNISED})
    flags: set[str] = set()
    if not "".join(lines).strip():
        flags.add(EMPTY)
    if any(
        text_width(line, wide_units=rules.wide_units) > rules.max_chars_per_line for line in lines
    ):
        flags.add("too_long_line")
    if len(lines) > rules.max_lines:
        flags.add("too_many_lines")
    duration = cue.end - cue.start
    if duration < rules.min_duration_s - 1e-6:
        flags.add("too_short")
    if duration > rules.max_duration_s + 1e-6:
        flags.add("too_long")
    if reading_chars(lines) > rules.max_chars_per_second * duration + 1e-6:
        flags.add("cps")
    if untranslated:
        flags.add("untranslated")
    if doubt_threshold is not None and doubtful(cue.words, doubt_threshold):
        flags.add(DOUBTFUL)
    if SUSPECT in cue.flags and cue.words:  # until someone retypes the line
        flags.add(SUSPECT)
    if PIVOTED in cue.flags and cue.words and not untranslated:  # until it is retyped
        flags.add(PIVOTED)
    return frozenset(flags)


def _squash(text: str) -> str:
    return "".join(text.split())


def _split_bilingual(lines: list[str], source: str) -> int:
    """How many of a bilingual cue's lines are its source text (0 when none match)."""
    for count in range(1, len(lines)):
        if _squash("".join(lines[:count])) == _squash(source):
            return count
    return 0


def _cue_from_record(item: dict[str, Any], bilingual: bool) -> ReviewCue:
    lines = [str(line) for line in item["lines"]]
    source = str(item.get("source", ""))
    flags = frozenset(str(f) for f in item.get("flags", []))
    count = item.get("source_lines")
    if count is None:
        count = _split_bilingual(lines, source) if bilingual and "untranslated" not in flags else 0
    words = tuple((str(text), float(p)) for text, p in item.get("words", []))
    return ReviewCue(
        float(item["start"]),
        float(item["end"]),
        "\n".join(lines[count:]),
        source,
        flags,
        tuple(lines[:count]),
        words,
    )


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
        exported = store.artifact(job_id, f"cues-{lang}")
        draft_cues = store.artifact(job_id, draft_key(lang)) if draft else None
        base = _fingerprint(exported)
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
            cues = [_cue_from_record(item, bilingual) for item in stored.get("cues", [])]
            session = cls(store, record, lang, cues)
            session.doubt_threshold = doubt_threshold
            session.from_file = bool(stored.get("from_file", False))
            session.cues = [
                replace(c, flags=c.flags | {DOUBTFUL}) if doubtful(c.words, doubt_threshold) else c
                for c in cues
            ]
            return session
        session = cls(store, record, lang, _cues_from_file(record, lang))
        session.doubt_threshold = doubt_threshold
        session.from_file = True
        session.cues = [
            replace(c, flags=check_flags(c, session.rules, untranslated=False))
            for c in session.cues
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
        if lines == cue.text:
            return cue
        edited = replace(cue, text=lines, words=())  # retyped: the reviewer settled its doubts
        return self._store(
            row, replace(edited, flags=check_flags(edited, self.rules, untranslated=False))
        )

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
                flags=check_flags(
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

    # -- re-translation ----------------------------------------------------------------------

    def source_language(self) -> str | None:
        """The spoken language the job recognised (or was told), or None when unknown."""
        stored = self.store.artifact(self.record.id, "language")
        return stored if isinstance(stored, str) else self.record.spec.source_language

    async def retranslate(self, rpc: RpcClient | None, rows: list[int]) -> RetranslateResult:
        """Translate the source text of ``rows`` again through the ``mt`` service.

        A failed call, or a line the engine could not translate, keeps its old text; the
        result's message says why. Never raises for a failed call.
        """
        rows = sorted({r for r in rows if 0 <= r < len(self.cues)})
        refusal = self._retranslate_refusal(rpc, rows)
        if refusal is not None or rpc is None:
            return RetranslateResult([], refusal or "", False)
        source = self.source_language() or ""
        changed: list[int] = []
        problems: list[str] = []
        for first in range(0, len(rows), MAX_SENTENCES):
            batch = rows[first : first + MAX_SENTENCES]
            try:
                texts, warnings = await self._translate(rpc, source, batch)
            except RpcError as exc:
                log.warning(
                    "review %s/%s: re-translation failed: %s",
                    self.record.id,
                    self.lang,
                    exc.message,
                )
                problems.append(f"Re-translation failed: {exc.message}. The old text is kept.")
                break
            problems.extend(warnings)
            for row, text in zip(batch, texts, strict=True):
                if text is not None and text.strip():
                    before = self.cues[row].text
                    if self.edit_text(row, text).text != before:
                        changed.append(row)
        return RetranslateResult(
            changed, self._retranslate_message(rows, changed, problems), not problems
        )

    def _retranslate_refusal(self, rpc: RpcClient | None, rows: list[int]) -> str | None:
        if not rows:
            return "Select the lines to re-translate first."
        if rpc is None:
            return "The workers are not running, so nothing can be translated now."
        if translates_speech(self.record.spec.engine):
            return "This job was translated by Whisper while recognising; edit its lines by hand."
        if missing := [r + 1 for r in rows if not self.cues[r].source.strip()]:
            numbers = ", ".join(map(str, missing[:5]))
            return (
                f"The source text of cue {numbers} is not known, so it cannot be translated again."
            )
        if self.source_language() is None:
            return "The job's spoken language is not known, so it cannot be translated again."
        return None

    async def _translate(
        self, rpc: RpcClient, source: str, rows: list[int]
    ) -> tuple[list[str | None], list[str]]:
        sentences = [self.cues[r].source for r in rows]
        if primary_subtag(source) == primary_subtag(self.lang):
            return list(sentences), []
        before = self.cues[max(0, rows[0] - CONTEXT_CUES) : rows[0]]
        params = TranslateParams(
            engine=self.record.spec.engine,
            source_lang=source,
            target_lang=self.lang,
            sentences=sentences,
            context=[c.source for c in before if c.source][-MAX_CONTEXT:],
        )
        result = await rpc.call(
            TRANSLATE, params, timeout=RETRANSLATE_TIMEOUT_S, job_id=self.record.id
        )
        warnings = [
            f"Cue {', '.join(str(rows[i] + 1) for i in w.indexes)} kept its old text: {w.message}"
            for w in result.warnings
        ]
        return list(result.translations), warnings

    @staticmethod
    def _retranslate_message(rows: list[int], changed: list[int], problems: list[str]) -> str:
        done = f"{len(changed)} of {len(rows)} line(s) re-translated"
        return " ".join([done + ".", *problems]) if problems else done + "."

    # -- export ------------------------------------------------------------------------------

    def _targets(self) -> tuple[list[Path], list[Path], list[str]]:
        """The subtitle files and videos to rewrite from this language's cues, and notes."""
        spec = self.record.spec
        stem = spec.input.stem
        subtitles: list[Path] = []
        videos: list[Path] = []
        notes: list[str] = []
        for output in map(Path, self.record.outputs):
            name = output.name
            if name in {f"{stem}.{self.lang}.{fmt}" for fmt in SUBTITLE_FORMATS}:
                subtitles.append(output)
            elif name in {f"{stem}.subtitled.{fmt}" for fmt in VIDEO_FORMATS}:
                videos.append(output)
            elif name == f"{stem}.{self.lang}.burned.mp4":
                notes.append(f"{name} was not rendered again (burning in takes a full re-encode).")
        return subtitles, videos, notes

    def _tracks(self) -> list[SubtitleTrack]:
        tracks = []
        for target in self.record.spec.targets:
            session = (
                self
                if target == self.lang
                else ReviewSession.open(self.store, self.record.id, target, draft=False)
            )
            tracks.append(SubtitleTrack(session.written(), iso639_2(target), title=target))
        return tracks

    def _records(self) -> dict[str, Any]:
        return {
            "bilingual": self.bilingual,
            "edited": True,
            "from_file": self.from_file,
            "cues": [
                {"start": c.start, "end": c.end, "lines": list(c.source_lines + c.lines),
                 "source": c.source, "flags": sorted(c.flags - {DOUBTFUL}),
                 "source_lines": len(c.source_lines), "words": [list(w) for w in c.words]}
                for c in self.cues
            ],
        }  # fmt: skip

    def written(self) -> list[Cue]:
        """The cues the files carry: all but gaps' stand-ins and cues with no text yet."""
        shown = [c for c in self.cues if "".join(c.source_lines + c.lines).strip()]
        return writable([c.to_cue(i) for i, c in enumerate(shown, start=1)])

    def save(self) -> None:
        """Keep the edited cues in the store as the job's cues, so reopening the job shows
        them; the draft is dropped."""
        records = self._records()
        self.store.put_artifact(self.record.id, f"cues-{self.lang}", records)
        self.base = _fingerprint(records)
        self.store.put_artifact(self.record.id, draft_key(self.lang), None)
        self.dirty = False

    async def export(self) -> ExportResult:
        """Save the edits, then rewrite the job's subtitle files (and soft-subtitle videos)
        for this language from them; each file is replaced atomically.

        Raises:
            ReviewError: an output folder or the source video is gone (checked before anything
                is written), or a file could not be written (the edits are saved either way).
        """
        subtitles, videos, notes = self._targets()
        if not subtitles and not videos:
            raise ReviewError(
                f"Job {self.record.id} has no {self.lang} subtitle output to rewrite."
            )
        for path in subtitles + videos:
            if not path.parent.is_dir():
                raise ReviewError(f"The output folder {path.parent} is gone; nothing was written.")
        source = self.record.spec.input
        if videos and not source.is_file():
            names = ", ".join(v.name for v in videos)
            raise ReviewError(
                f"The source video {source} is gone, so {names} cannot be rebuilt; "
                "nothing was written."
            )
        tracks = self._tracks() if videos else []
        self.save()
        cues = self.written()
        written: list[Path] = []
        for path in subtitles + videos:
            try:
                if path in subtitles:
                    written.append(await asyncio.to_thread(write_subtitles, cues, path))
                else:
                    written.append(
                        await asyncio.to_thread(mux_soft_subtitles, source, tracks, path)
                    )
            except (OSError, ValueError) as exc:
                raise ReviewError(
                    f"{path.name} was not written: {exc}. The edits are saved; "
                    "export again once it is fixed."
                ) from exc
        log.info("review %s/%s: exported %d file(s)", self.record.id, self.lang, len(written))
        return ExportResult(written, notes)


def _fingerprint(value: Any) -> str:
    """A short digest of a stored artifact (as the store keeps it, JSON)."""
    text = json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def draft_key(lang: str) -> str:
    """The store artifact holding a language's edits not yet exported."""
    return f"review-draft-{lang}"


def _cues_from_file(record: JobRecord, lang: str) -> list[ReviewCue]:
    """The cues of a job finished before cues were stored, read from its subtitle file."""
    stem = record.spec.input.stem
    for fmt in SUBTITLE_FORMATS:
        path = next(
            (Path(p) for p in record.outputs if Path(p).name == f"{stem}.{lang}.{fmt}"), None
        )
        if path is None or not path.is_file():
            continue
        try:
            document = pysubs2.load(str(path), encoding="utf-8")
        except (pysubs2.Pysubs2Error, UnicodeDecodeError, ValueError) as exc:
            raise ReviewError(f"The subtitle file {path} cannot be read: {exc}") from exc
        return [
            ReviewCue(event.start / 1000, event.end / 1000, event.plaintext.strip())
            for event in document
            if event.plaintext.strip()
        ]
    raise ReviewError(
        f"Job {record.id} kept no {lang} cues and its {lang} subtitle file is gone: "
        "nothing to review."
    )


def doubtful_lines(store: JobStore, job_id: str, lang: str, threshold: float) -> tuple[int, int]:
    """How many of a job's cues in ``lang`` hold a doubtful word, and how many cues it has."""
    stored = store.artifact(job_id, f"cues-{lang}")
    if not isinstance(stored, dict):
        return 0, 0
    cues = [_cue_from_record(item, False) for item in stored.get("cues", [])]
    return sum(1 for c in cues if doubtful(c.words, threshold)), len(cues)


def doubtful_spans(
    text: str, words: tuple[WordConfidence, ...], threshold: float
) -> list[tuple[int, int]]:
    """Where in ``text`` (a cue's source, made of ``words`` in order) the words under
    ``threshold`` are, as (start, end) character offsets."""
    spans: list[tuple[int, int]] = []
    at = 0
    for word, probability in words:
        found = text.find(word, at) if word else -1
        if found < 0:
            continue
        if probability < threshold:
            spans.append((found, found + len(word)))
        at = found + len(word)
    return spans
