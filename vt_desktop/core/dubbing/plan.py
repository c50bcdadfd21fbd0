"""Which lines are dubbed and the slot of each: from its cue's start to just before the next.

A line is one subtitle cue of the target language (laid out without the source lines). It
starts at its own cue time, always: nothing is carried over from one line to the next, so
drift cannot accumulate. Its preferred length is the cue's; its hard limit is the next cue's
start less a small guard, so two voices never run into each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vt_desktop.core.subtitles import Cue

#: Silence kept between a line's end and the next cue's start.
GUARD_S = 0.05
#: A slot shorter than this cannot hold a word: the line is not dubbed.
MIN_SLOT_S = 0.2


@dataclass(frozen=True)
class DubLine:
    """One line to speak, its cue number and its slot (seconds of the media)."""

    cue: int
    start: float
    end: float
    limit: float
    text: str
    speaker: str | None = None

    @property
    def target_s(self) -> float:
        """The length the line should have: its cue's."""
        return self.end - self.start

    @property
    def max_s(self) -> float:
        """The longest the line may be: up to the guard before the next cue."""
        return self.limit - self.start


def spoken_text(cue: Cue) -> str:
    """The cue's lines as one spoken sentence (line breaks are layout, not pauses)."""
    return " ".join(line.strip() for line in cue.lines if line.strip())


def plan_lines(
    cues: Sequence[Cue], media_end_s: float, guard_s: float = GUARD_S
) -> tuple[list[DubLine], list[Cue]]:
    """The lines to dub, and the cues left out (untranslated, blank, or no room).

    Args:
        cues: The target language's cues, in time order, without source lines.
        media_end_s: The end of the media: the last line's limit.
        guard_s: Silence kept before the next cue.
    """
    ordered = sorted(cues, key=lambda c: c.start)
    lines: list[DubLine] = []
    skipped: list[Cue] = []
    for position, cue in enumerate(ordered):
        following = ordered[position + 1].start if position + 1 < len(ordered) else media_end_s
        limit = max(cue.start, following - guard_s)
        end = min(cue.end, limit)
        text = spoken_text(cue)
        if "untranslated" in cue.flags or not text or limit - cue.start < MIN_SLOT_S:
            skipped.append(cue)
            continue
        lines.append(DubLine(cue.index, cue.start, end, limit, text))
    return lines, skipped
