"""Lay translated sentences out as subtitle cues that respect the subtitle rules.

Each sentence is split into as few cues as its length and duration allow, at good break points
and with balanced lines; cue times come from the source words (a translation is spread over the
sentence's time in proportion to text length, with cue boundaries snapped to pauses between
source words). A final pass over all cues removes overlaps, keeps the minimum gap and extends
short cues into free time. A cue that still breaks a rule is flagged, never dropped or cut.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from vt_desktop.core.subtitles.linebreak import (
    TokenRun,
    best_partition,
    ceil_div,
    pieces_of,
    split_wide_tokens,
    wrap_lines,
)
from vt_desktop.core.subtitles.model import PIVOTED, SUSPECT, Cue, Sentence, TimedWord
from vt_desktop.core.subtitles.rules import SubtitleRules
from vt_desktop.core.subtitles.sentences import join_words
from vt_desktop.core.subtitles.text import ends_clause, ends_sentence, text_width, tokenize

__all__ = ["check_flags", "layout_cues", "reading_chars", "wrap_text"]

log = logging.getLogger(__name__)

_EPSILON_MS = 1
_MAX_LEAD_IN_MS = 500  # how early a short cue may appear before its speech
_SNAP_FRACTION = 0.35  # snap a boundary to a word gap within this share of a cue's time
_PAUSE_WEIGHT = 2.0  # seconds of misplacement that one second of pause is worth


@dataclass(slots=True)
class _Draft:
    """A cue being built, timed in whole milliseconds so gaps survive rounding."""

    start_ms: int
    end_ms: int
    text_lines: list[str]
    text_rules: SubtitleRules
    source_lines: list[str] = field(default_factory=list)
    source_words: list[TimedWord] = field(default_factory=list)
    untranslated: bool = False
    pivoted: bool = False
    source_rules: SubtitleRules | None = None


def reading_chars(lines: Sequence[str]) -> int:
    """Characters a viewer reads in a cue: every character of the lines, breaks excluded."""
    return sum(len(line) for line in lines)


def _run_for(text: str, rules: SubtitleRules) -> TokenRun:
    tokens = tokenize(text, spaceless=rules.spaceless)
    tokens = split_wide_tokens(tokens, rules.max_chars_per_line, wide_units=rules.wide_units)
    return TokenRun(tokens, spaceless=rules.spaceless, wide_units=rules.wide_units)


def _chunk_tokens(run: TokenRun, rules: SubtitleRules, duration_s: float) -> list[tuple[int, int]]:
    """Split the tokens into the fewest balanced cues that fit the line limits."""
    count = len(run.tokens)
    total = run.width(0, count)
    limit = float(rules.max_chars_per_line)
    capacity = limit * rules.max_lines
    pieces = max(ceil_div(total, capacity), ceil_div(duration_s, rules.max_duration_s))
    pieces = min(pieces, count)

    def fits(i: int, j: int) -> bool:
        return j - i == 1 or run.line_count(i, j, limit) <= rules.max_lines

    while pieces <= count:
        target = total / pieces

        def cost(i: int, j: int, target: float = target) -> float:
            return 10.0 * ((run.width(i, j) - target) / capacity) ** 2

        cuts = best_partition(run, 0, count, pieces=pieces, fits=fits, piece_cost=cost)
        if cuts is not None:
            return pieces_of(0, count, cuts)
        pieces += 1
    return [(position, position + 1) for position in range(count)]  # one token per cue


def _word_gaps(words: Sequence[TimedWord]) -> list[tuple[float, float, float]]:
    """(end of a word, start of the next, how good a cut there is) for neighbouring words.

    The goodness grows with the pause (up to a second) and with punctuation after the word:
    a cue boundary belongs where the speaker breathes.
    """
    gaps = []
    for before, after in itertools.pairwise(words):
        pause = max(0.0, after.start - before.end)
        bonus = 0.3 if ends_clause(before.text) or ends_sentence(before.text) else 0.0
        gaps.append(
            (before.end, max(before.end, after.start), _PAUSE_WEIGHT * min(pause, 1.0) + bonus)
        )
    return gaps


def _chunk_times(
    sentence: Sentence, run: TokenRun, chunks: Sequence[tuple[int, int]]
) -> list[tuple[float, float]]:
    """Times for each chunk: proportional to text width, snapped to good gaps between words."""
    start, end = sentence.start, max(sentence.end, sentence.start)
    total = run.width(0, len(run.tokens)) or 1.0
    span = end - start
    tolerance = _SNAP_FRACTION * span / len(chunks)
    gaps = _word_gaps(sentence.words)
    earliest_gap = 0
    times: list[tuple[float, float]] = []
    cue_start = start
    for _, stop in chunks[:-1]:
        ideal = start + span * run.width(0, stop) / total
        cue_end = next_start = ideal
        candidates = [
            (abs((gap_end + gap_start) / 2 - ideal) - goodness, position)
            for position, (gap_end, gap_start, goodness) in enumerate(gaps)
            if position >= earliest_gap
            and (gap_end + gap_start) / 2 > cue_start
            and abs((gap_end + gap_start) / 2 - ideal) <= tolerance
        ]
        if candidates:
            position = min(candidates)[1]
            earliest_gap = position + 1
            cue_end, next_start = gaps[position][:2]
        times.append((cue_start, max(cue_end, cue_start)))
        cue_start = max(next_start, cue_start)
    times.append((cue_start, max(end, cue_start)))
    return times


def _assign_words(
    words: Sequence[TimedWord], times: Sequence[tuple[float, float]]
) -> list[list[TimedWord]]:
    """Give each source word to the cue shown when the word's middle is heard."""
    groups: list[list[TimedWord]] = [[] for _ in times]
    for word in words:
        middle = (word.start + word.end) / 2
        chosen = 0
        for position, (cue_start, _) in enumerate(times):
            if cue_start <= middle:
                chosen = position
        groups[chosen].append(word)
    return groups


def _drafts_for_sentence(
    sentence: Sentence, rules: SubtitleRules, source_rules: SubtitleRules, *, bilingual: bool
) -> list[_Draft]:
    """Split one sentence into timed draft cues."""
    translated = sentence.translation is not None and bool(sentence.translation.strip())
    text_rules = rules if translated else source_rules
    text = sentence.translation if translated else sentence.text
    run = _run_for(text or "", text_rules)
    if not run.tokens:
        log.warning("sentence %d has no text to show; no cue made", sentence.index)
        return []
    chunks = _chunk_tokens(run, text_rules, sentence.end - sentence.start)
    times = _chunk_times(sentence, run, chunks)
    word_groups = _assign_words(sentence.words, times)
    drafts: list[_Draft] = []
    for (first, stop), (start_s, end_s), words in zip(chunks, times, word_groups, strict=True):
        draft = _Draft(
            start_ms=round(start_s * 1000),
            end_ms=round(end_s * 1000),
            text_lines=wrap_lines(run, first, stop, float(text_rules.max_chars_per_line)),
            text_rules=text_rules,
            source_words=words,
            untranslated=not translated,
            pivoted=translated and sentence.pivoted,
        )
        if bilingual and translated and words:
            source_run = _run_for(join_words(words, source_rules.language), source_rules)
            draft.source_lines = wrap_lines(
                source_run, 0, len(source_run.tokens), float(source_rules.max_chars_per_line)
            )
            draft.source_rules = source_rules
        drafts.append(draft)
    return drafts


def _separate(drafts: list[_Draft], rules: SubtitleRules) -> None:
    """Make every cue last a moment and start at least the minimum gap after the one before."""
    gap_ms = math.ceil(rules.min_gap_s * 1000 - 1e-6)
    min_ms = math.ceil(rules.min_duration_s * 1000 - 1e-6)
    for draft in drafts:
        draft.start_ms = max(draft.start_ms, 0)
        draft.end_ms = max(draft.end_ms, draft.start_ms + _EPSILON_MS)
    for previous, current in itertools.pairwise(drafts):
        latest_end = current.start_ms - gap_ms
        if previous.end_ms > latest_end:
            floor = previous.start_ms + min(min_ms, previous.end_ms - previous.start_ms)
            previous.end_ms = max(floor, latest_end)
        if current.start_ms < previous.end_ms + gap_ms:
            duration = current.end_ms - current.start_ms
            current.start_ms = previous.end_ms + gap_ms
            current.end_ms = max(current.end_ms, current.start_ms + max(duration, _EPSILON_MS))


def _extend_into_free_time(drafts: list[_Draft], rules: SubtitleRules) -> None:
    """Lengthen cues that are too short or too fast to read, into the free time around them."""
    gap_ms = math.ceil(rules.min_gap_s * 1000 - 1e-6)
    min_ms = math.ceil(rules.min_duration_s * 1000 - 1e-6)
    max_ms = math.floor(rules.max_duration_s * 1000 + 1e-6)
    for position, draft in enumerate(drafts):
        speed = draft.text_rules.max_chars_per_second
        reading_ms = math.ceil(1000 * reading_chars(draft.text_lines) / speed)
        wanted = min(max(min_ms, reading_ms), max_ms)
        missing = wanted - (draft.end_ms - draft.start_ms)
        if missing > 0:
            later = drafts[position + 1].start_ms - gap_ms if position + 1 < len(drafts) else None
            room_after = missing if later is None else max(0, later - draft.end_ms)
            draft.end_ms += min(missing, room_after)
            missing -= min(missing, room_after)
        if missing > 0:
            earliest = drafts[position - 1].end_ms + gap_ms if position else 0
            room_before = max(0, min(draft.start_ms - earliest, _MAX_LEAD_IN_MS))
            draft.start_ms -= min(missing, room_before)
        if draft.end_ms - draft.start_ms > max_ms:
            draft.end_ms = draft.start_ms + max_ms


def _breaks_line_limits(lines: Sequence[str], rules: SubtitleRules) -> set[str]:
    flags: set[str] = set()
    limit = rules.max_chars_per_line
    if any(text_width(line, wide_units=rules.wide_units) > limit for line in lines):
        flags.add("too_long_line")
    if len(lines) > rules.max_lines:
        flags.add("too_many_lines")
    return flags


def check_flags(
    lines: Sequence[str],
    duration_s: float,
    rules: SubtitleRules,
    *,
    text_rules: SubtitleRules | None = None,
    source_lines: Sequence[str] = (),
    source_rules: SubtitleRules | None = None,
    untranslated: bool = False,
) -> set[str]:
    """The subtitle rules a cue showing ``lines`` for ``duration_s`` breaks: the line limits
    and reading speed under ``text_rules`` (the rules of the language shown; ``rules`` when
    not given), the time on screen under ``rules``, the line limits of the source lines shown
    above a translation under ``source_rules``, and ``untranslated`` when it shows the source.
    The layout flags its cues with this, and Review re-checks an edited cue with it."""
    text_rules = text_rules or rules
    flags = _breaks_line_limits(lines, text_rules)
    if source_lines:
        flags |= _breaks_line_limits(source_lines, source_rules or rules)
    if duration_s < rules.min_duration_s - 1e-6:
        flags.add("too_short")
    if duration_s > rules.max_duration_s + 1e-6:
        flags.add("too_long")
    if reading_chars(lines) > text_rules.max_chars_per_second * duration_s + 1e-6:
        flags.add("cps")
    if untranslated:
        flags.add("untranslated")
    return flags


def wrap_text(text: str, rules: SubtitleRules) -> str:
    """Lines for typed text: the writer's own line breaks, or balanced lines within the
    rules (as the layout breaks a cue's lines)."""
    if "\n" in text:
        return "\n".join(line.strip() for line in text.split("\n") if line.strip())
    run = _run_for(text.strip(), rules)
    if not run.tokens:
        return ""
    return "\n".join(wrap_lines(run, 0, len(run.tokens), float(rules.max_chars_per_line)))


def _flags(draft: _Draft, rules: SubtitleRules) -> frozenset[str]:
    """The rules this cue breaks (text limits under the rules of the language shown)."""
    flags = check_flags(
        draft.text_lines,
        (draft.end_ms - draft.start_ms) / 1000,
        rules,
        text_rules=draft.text_rules,
        source_lines=draft.source_lines,
        source_rules=draft.source_rules,
        untranslated=draft.untranslated,
    )
    if any(w.suspect for w in draft.source_words):
        flags.add(SUSPECT)
    if draft.pivoted:
        flags.add(PIVOTED)
    return frozenset(flags)


def layout_cues(
    sentences: Sequence[Sentence],
    rules: SubtitleRules,
    *,
    bilingual: bool = False,
    source_rules: SubtitleRules | None = None,
) -> list[Cue]:
    """Turn translated sentences into subtitle cues.

    Args:
        sentences: The sentences in time order. One whose ``translation`` is ``None`` (or
            blank) is shown in its source text and its cues are flagged ``"untranslated"``.
        rules: The rules for the translation's language (see :func:`rules_for`).
        bilingual: Show the source words heard during each cue above its translation.
        source_rules: The rules for the source language, used to wrap source text; the
            defaults when not given.

    Returns:
        The cues in time order, indexed from 1; they never overlap and keep ``min_gap_s``
        between them. Each carries the names of the rules it breaks in ``flags``.
    """
    source_rules = source_rules or SubtitleRules()
    drafts: list[_Draft] = []
    for sentence in sentences:
        drafts.extend(_drafts_for_sentence(sentence, rules, source_rules, bilingual=bilingual))
    _separate(drafts, rules)
    _extend_into_free_time(drafts, rules)
    cues = [
        Cue(
            index=position,
            start=draft.start_ms / 1000,
            end=draft.end_ms / 1000,
            lines=tuple(draft.source_lines + draft.text_lines),
            source_text=join_words(draft.source_words, source_rules.language),
            flags=_flags(draft, rules),
            source_words=tuple(
                (w.text.strip(), round(w.probability, 3)) for w in draft.source_words
            ),
        )
        for position, draft in enumerate(drafts, start=1)
    ]
    flagged = sum(1 for cue in cues if cue.flags)
    log.info("laid out %d sentences as %d cues (%d flagged)", len(sentences), len(cues), flagged)
    return cues
