"""A cue under review, the flags Review adds, and times as the reviewer reads and types them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vt_desktop.core.errors import VtError
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
)
from vt_desktop.core.subtitles.layout import check_flags

__all__ = [
    "EMPTY",
    "STALE",
    "ReviewCue",
    "ReviewError",
    "cue_flags",
    "describe_flag",
    "doubtful_spans",
    "format_time",
    "parse_time",
]

#: The flag of a cue with no text yet (a newly inserted one): files leave it out.
EMPTY = "empty"
#: The flag of a translation whose source text was edited since it was translated.
STALE = "stale"
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
        STALE: "its source text was changed after it was translated: re-translate it, or "
        "check it still says the same",
    }
    return sentences.get(flag, flag.replace("_", " "))


def cue_flags(
    cue: ReviewCue,
    rules: SubtitleRules,
    *,
    untranslated: bool,
    doubt_threshold: float | None = None,
) -> frozenset[str]:
    """The flags of ``cue`` now: the subtitle rules it breaks (the layout's
    :func:`check_flags`), plus what Review knows of it. A stand-in for a gap stays flagged
    ``unrecognised`` (and only that) until someone types its text; ``suspect`` and
    ``pivoted`` stay until the line is retyped; ``stale`` stays until it is translated
    again or retyped."""
    lines = cue.lines
    if UNRECOGNISED in cue.flags and not "".join(lines).strip():
        return frozenset({UNRECOGNISED})
    flags = check_flags(lines, cue.end - cue.start, rules, untranslated=untranslated)
    if not "".join(lines).strip():
        flags.add(EMPTY)
    if doubt_threshold is not None and doubtful(cue.words, doubt_threshold):
        flags.add(DOUBTFUL)
    if SUSPECT in cue.flags and cue.words:  # until someone retypes the line
        flags.add(SUSPECT)
    if PIVOTED in cue.flags and cue.words and not untranslated:  # until it is retyped
        flags.add(PIVOTED)
    if STALE in cue.flags:
        flags.add(STALE)
    return frozenset(flags)


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
