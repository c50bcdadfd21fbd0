"""Editing a review session's cues as in a subtitle editor: split, merge, insert, delete, shift.

Each operation checks its input first (a refusal raises :class:`ReviewError` with the reason
and changes nothing), then replaces a run of rows in one step and saves the session's draft in
the job store, so a crash loses nothing. It returns a :class:`CueEdit`, the rows before and
after, which :func:`redo` and :func:`undo` put back exactly (the window's undo stack).
Qt-free, like the rest of the core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import pairwise

from vt_desktop.core.review.cues import ReviewCue, ReviewError, cue_flags, format_time
from vt_desktop.core.review.heard import MIN_PIECE_S, letters, word_times
from vt_desktop.core.review.session import ReviewSession
from vt_desktop.core.subtitles import WordConfidence
from vt_desktop.core.subtitles.layout import wrap_text

__all__ = [
    "CueEdit",
    "delete_cues",
    "edit_source",
    "edit_text",
    "edit_times",
    "insert_cue",
    "merge_with_next",
    "redo",
    "set_time",
    "shift_cues",
    "shift_from",
    "split_cue",
    "undo",
]

#: How long a newly inserted cue is (less when the gap is shorter).
NEW_CUE_S = 2.0
#: The shortest gap a new cue is put in, in seconds.
MIN_NEW_CUE_S = 0.2
_EPS = 0.0005


@dataclass(frozen=True, slots=True)
class CueEdit:
    """One change to a session's cues: rows ``first``... were ``before`` and are ``after``."""

    first: int
    before: tuple[ReviewCue, ...]
    after: tuple[ReviewCue, ...]


def redo(session: ReviewSession, edit: CueEdit) -> None:
    """Make ``edit`` again (saved at once).

    Raises:
        ReviewError: the rows are not as the edit left them before it was undone.
    """
    session.replace_cues(edit.first, edit.before, edit.after)


def undo(session: ReviewSession, edit: CueEdit) -> None:
    """Put the rows back as they were before ``edit`` (saved at once).

    Raises:
        ReviewError: the rows are not as the edit left them.
    """
    session.replace_cues(edit.first, edit.after, edit.before)


def _apply(session: ReviewSession, first: int, after: Iterable[ReviewCue], count: int) -> CueEdit:
    edit = CueEdit(first, tuple(session.cues[first : first + count]), tuple(after))
    redo(session, edit)
    return edit


def _cue(session: ReviewSession, row: int) -> ReviewCue:
    if not 0 <= row < len(session.cues):
        raise ReviewError(f"There is no cue {row + 1} (the job has {len(session.cues)}).")
    return session.cues[row]


def _flagged(session: ReviewSession, cue: ReviewCue, untranslated: bool) -> ReviewCue:
    flags = cue_flags(
        cue, session.rules, untranslated=untranslated, doubt_threshold=session.doubt_threshold
    )
    return replace(cue, flags=flags)


def _flat(text: str, spaceless: bool) -> str:
    """A cue's text on one line (its line breaks become spaces, or nothing when spaceless)."""
    parts = [line.strip() for line in text.split("\n") if line.strip()]
    return ("" if spaceless else " ").join(parts)


def _join(first: str, second: str, spaceless: bool) -> str:
    return ("" if spaceless else " ").join(part for part in (first, second) if part)


def _words_in(source: str, words: tuple[WordConfidence, ...], cut: int) -> int:
    """How many of ``words`` (the source's words, in order) lie before offset ``cut``."""
    at = count = 0
    for word, _p in words:
        found = source.find(word.strip(), at) if word.strip() else -1
        if found < 0 or found >= cut:
            break
        at = found + len(word.strip())
        count += 1
    return count


def _nearest_space(text: str, at: int) -> int:
    """The whitespace in ``text`` nearest offset ``at`` (``at`` itself when there is none)."""
    spaces = [i for i, ch in enumerate(text) if ch.isspace()]
    return min(spaces, key=lambda i: abs(i - at)) if spaces else at


def _after_letters(text: str, count: int, spaceless: bool) -> int:
    """Where ``text`` is cut after its first ``count`` letters (see ``letters``): before the
    next letter, back to the space before it unless ``spaceless`` (punctuation stays with the
    word it follows)."""
    seen = 0
    for i, ch in enumerate(text):
        if ch.casefold().isalnum() and (seen := seen + len(ch.casefold())) > count:
            space = -1 if spaceless else max(text.rfind(c, 0, i) for c in " \n\t")
            return space if space >= 0 else i
    return len(text)


def split_cue(session: ReviewSession, row: int, at: int) -> CueEdit:
    """Split cue ``row`` in two where the cursor stands in its text (offset ``at``).

    The time is divided in proportion to the characters on each side. When the cue's source
    is still spelt by timed words (:func:`~vt_desktop.core.review.heard.word_times`: the
    job's recognition, or the line's recognition again after *Recognise again*), the moment
    moves to the nearest pause between two of those words and the source is cut between
    them. When the source no longer matches any (retyped), the moment stays proportional and
    the source is cut at the space nearest the same share of its characters: the old words'
    pauses belong to a text the cue no longer has. The words' confidences follow the source.

    Raises:
        ReviewError: no such cue, the cursor is at the very start or end of the text (one
            part would be empty), or the cue is too short to leave two parts.
    """
    cue = _cue(session, row)
    number, spaceless = row + 1, session.rules.spaceless
    head, tail = _flat(cue.text[:at], spaceless), _flat(cue.text[at:], spaceless)
    if not head or not tail:
        side = "before" if not head else "after"
        raise ReviewError(
            f"Cue {number}: put the cursor between two words to split it; there is no text "
            f"{side} the cursor."
        )
    duration = cue.end - cue.start
    if duration < 2 * MIN_PIECE_S:
        raise ReviewError(
            f"Cue {number} is on screen for {duration:.3f} s: too short to split in two "
            f"(each part needs {MIN_PIECE_S:g} s)."
        )
    share = len("".join(head.split())) / len("".join((head + tail).split()))
    moment = cue.start + duration * share
    source, timed = cue.source, word_times(session, cue)
    pauses = [
        ((a.end + b.start) / 2, k)
        for k, (a, b) in enumerate(pairwise(timed), start=1)
        if cue.start + MIN_PIECE_S <= (a.end + b.start) / 2 <= cue.end - MIN_PIECE_S
    ]
    if pauses:
        moment, k = min(pauses, key=lambda p: abs(p[0] - moment))
        cut = _after_letters(source, len(letters("".join(w.text for w in timed[:k]))), spaceless)
    else:
        moment = min(max(moment, cue.start + MIN_PIECE_S), cue.end - MIN_PIECE_S)
        cut = round(len(source) * (moment - cue.start) / duration)
        cut = cut if spaceless else _nearest_space(source, cut)
    sources = (source[:cut].strip(), source[cut:].strip())
    kept = _words_in(source, cue.words, cut)
    untranslated = "untranslated" in cue.flags
    parts = []
    for text, said, words, times in (
        (head, sources[0], cue.words[:kept], (cue.start, moment)),
        (tail, sources[1], cue.words[kept:], (moment, cue.end)),
    ):
        lines = tuple(wrap_text(said, session.rules).split("\n")) if cue.source_lines else ()
        piece = replace(
            cue, start=times[0], end=times[1], text=wrap_text(text, session.rules),
            source=said, words=words, source_lines=lines if said else (),
        )  # fmt: skip
        parts.append(_flagged(session, piece, untranslated))
    return _apply(session, row, parts, 1)


def merge_with_next(session: ReviewSession, row: int) -> CueEdit:
    """Make cue ``row`` and the next one a single cue, from the first's start to the
    second's end, their texts (and sources) joined.

    Raises:
        ReviewError: no such cue, or it is the last one.
    """
    first = _cue(session, row)
    if row + 1 >= len(session.cues):
        raise ReviewError(f"Cue {row + 1} is the last one: there is no next cue to merge it with.")
    second = session.cues[row + 1]
    spaceless = session.rules.spaceless
    text = _join(_flat(first.text, spaceless), _flat(second.text, spaceless), spaceless)
    source = _join(first.source, second.source, spaceless)
    merged = ReviewCue(
        first.start, second.end, wrap_text(text, session.rules) if text else "", source,
        first.flags | second.flags,
        tuple(wrap_text(source, session.rules).split("\n"))
        if (first.source_lines or second.source_lines) and source else (),
        first.words + second.words,
    )  # fmt: skip
    untranslated = "untranslated" in first.flags or "untranslated" in second.flags
    return _apply(session, row, [_flagged(session, merged, untranslated)], 2)


def insert_cue(session: ReviewSession, after: int) -> CueEdit:
    """Put a new cue with no text in the gap after cue ``after`` (``-1``: before the first),
    from the end of that cue, :data:`NEW_CUE_S` long or up to the next cue.

    Raises:
        ReviewError: no such cue, or the gap is shorter than :data:`MIN_NEW_CUE_S`.
    """
    cues = session.cues
    if not -1 <= after < len(cues):
        raise ReviewError(f"There is no cue {after + 1} (the job has {len(cues)}).")
    start = cues[after].end if after >= 0 else 0.0
    limit = cues[after + 1].start if after + 1 < len(cues) else session.duration_s
    if limit is None:
        limit = start + NEW_CUE_S
    if limit - start < MIN_NEW_CUE_S - _EPS:
        where = (
            f"after cue {after + 1}, which ends at {format_time(start)}"
            if after >= 0
            else ("before the first cue")
        )
        until = (
            f"cue {after + 2} starts at {format_time(limit)}"
            if after + 1 < len(cues)
            else f"the video ends at {format_time(limit)}"
        )
        raise ReviewError(
            f"There is no room for a new cue {where}: {until}. Shorten or shift a cue first "
            f"(a new cue needs {MIN_NEW_CUE_S:g} s)."
        )
    cue = ReviewCue(start, min(start + NEW_CUE_S, limit), "")
    return _apply(session, after + 1, [_flagged(session, cue, False)], 0)


def delete_cues(session: ReviewSession, rows: Iterable[int]) -> CueEdit:
    """Remove the cues ``rows``.

    Raises:
        ReviewError: no rows, no such cue, or every cue would go (a track needs one).
    """
    chosen = sorted(set(rows))
    if not chosen:
        raise ReviewError("Select the cues to delete first.")
    for row in chosen:
        _cue(session, row)
    if len(chosen) == len(session.cues):
        raise ReviewError(
            f"The job's {len(chosen)} cue(s) cannot all be deleted: the subtitles need at "
            "least one. Edit the text instead."
        )
    first, last = chosen[0], chosen[-1]
    kept = [session.cues[r] for r in range(first, last + 1) if r not in chosen]
    return _apply(session, first, kept, last - first + 1)


def shift_cues(session: ReviewSession, rows: Iterable[int], offset: float) -> CueEdit:
    """Move the cues ``rows`` later (``offset`` > 0) or earlier by ``offset`` seconds.

    Raises:
        ReviewError: no rows, no such cue, an offset of 0 (or not a number), or a shifted
            cue would start before 0, end past the video or overlap a cue not shifted (the
            message says how far the cues can move).
    """
    chosen = sorted(set(rows))
    if not chosen:
        raise ReviewError("Select the cues to shift first.")
    for row in chosen:
        _cue(session, row)
    if not math.isfinite(offset) or abs(offset) < 0.001:
        raise ReviewError("Give an offset other than 0, in seconds (e.g. 0.5 or -1.2).")
    cues, picked = session.cues, set(chosen)
    for row in chosen:
        cue, number = cues[row], row + 1
        start, end = cue.start + offset, cue.end + offset
        if offset < 0 and (row == 0 or row - 1 not in picked):
            floor = cues[row - 1].end if row > 0 else 0.0
            if start < floor - _EPS:
                most = _room_back(session, chosen)
                reason = (
                    f"would overlap cue {number - 1}, which ends at {format_time(floor)}"
                    if row > 0
                    else "would start before the video does"
                )
                raise ReviewError(
                    f"Shifting by {offset:+.3f} s: cue {number} {reason}. The selected cues "
                    f"can move back by {most:.3f} s at most."
                )
        if offset > 0 and (row + 1 == len(cues) or row + 1 not in picked):
            ceiling = cues[row + 1].start if row + 1 < len(cues) else session.duration_s
            if ceiling is not None and end > ceiling + _EPS:
                most = _room_forward(session, chosen)
                reason = (
                    f"would overlap cue {number + 1}, which starts at {format_time(ceiling)}"
                    if row + 1 < len(cues)
                    else f"would end past the end of the video ({format_time(ceiling)})"
                )
                raise ReviewError(
                    f"Shifting by {offset:+.3f} s: cue {number} {reason}. The selected cues "
                    f"can move forward by {most:.3f} s at most."
                )
    first, last = chosen[0], chosen[-1]
    after = [
        replace(cues[r], start=cues[r].start + offset, end=cues[r].end + offset)
        if r in picked
        else cues[r]
        for r in range(first, last + 1)
    ]
    return _apply(session, first, after, last - first + 1)


def _room_back(session: ReviewSession, rows: list[int]) -> float:
    cues, picked = session.cues, set(rows)
    return max(
        0.0,
        min(
            cues[r].start - (cues[r - 1].end if r > 0 else 0.0)
            for r in rows
            if r == 0 or r - 1 not in picked
        ),
    )


def _room_forward(session: ReviewSession, rows: list[int]) -> float:
    cues, picked = session.cues, set(rows)
    limits = [
        (cues[r + 1].start if r + 1 < len(cues) else session.duration_s, cues[r].end)
        for r in rows
        if r + 1 == len(cues) or r + 1 not in picked
    ]
    return max(0.0, min((c - e for c, e in limits if c is not None), default=math.inf))


def shift_from(session: ReviewSession, row: int, offset: float) -> CueEdit:
    """Move cue ``row`` and every cue after it by ``offset`` seconds (see
    :func:`shift_cues`)."""
    _cue(session, row)
    return shift_cues(session, range(row, len(session.cues)), offset)


def _single(session: ReviewSession, row: int, change: Callable[[], ReviewCue]) -> CueEdit | None:
    before = _cue(session, row)
    after = change()
    return None if after == before else CueEdit(row, (before,), (after,))


def edit_text(session: ReviewSession, row: int, text: str) -> CueEdit | None:
    """:meth:`ReviewSession.edit_text` as an undoable edit (None when nothing changed)."""
    return _single(session, row, lambda: session.edit_text(row, text))


def edit_source(session: ReviewSession, row: int, text: str) -> CueEdit | None:
    """:meth:`ReviewSession.edit_source` (retyped source text) as an undoable edit (None when
    nothing changed)."""
    return _single(session, row, lambda: session.edit_source(row, text))


def edit_times(session: ReviewSession, row: int, field: str, text: str) -> CueEdit | None:
    """:meth:`ReviewSession.edit_time_text` as an undoable edit (None when nothing changed)."""
    return _single(session, row, lambda: session.edit_time_text(row, field, text))


def set_time(session: ReviewSession, row: int, field: str, seconds: float) -> CueEdit | None:
    """Set the ``"start"`` or ``"end"`` of cue ``row`` to ``seconds`` (the player's position)
    as an undoable edit (see :meth:`ReviewSession.edit_times`)."""
    before = _cue(session, row)
    start, end = (seconds, before.end) if field == "start" else (before.start, seconds)
    return _single(session, row, lambda: session.edit_times(row, start, end))
