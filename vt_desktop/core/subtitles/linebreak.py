"""Choosing where text breaks, between cues and between the lines of a cue.

Both problems are the same: split a run of tokens into a given number of pieces, each within
a width, so that pieces are balanced and breaks fall at good points (after punctuation, before
a conjunction, not after an article). A small dynamic programme finds the best split.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

from vt_desktop.core.subtitles.text import Token, ends_clause, ends_sentence, text_width

__all__ = [
    "TokenRun",
    "best_partition",
    "ceil_div",
    "pieces_of",
    "split_wide_tokens",
    "wrap_lines",
]


def _word_set(*groups: str) -> frozenset[str]:
    """A set of words from space-separated groups (one group per language reads well)."""
    return frozenset(" ".join(groups).split())


_CONJUNCTIONS = _word_set(
    "and but or because so that which who whom whose when while although though if than "
    "e mas ou porque que quando como pois enquanto "
    "y pero o porque cuando aunque donde "
    "et mais ou parce quand comme donc lorsque "
    "und aber oder weil dass wenn als ob denn "
    "ma perché che quando mentre anche",
)
_WEAK_LINE_ENDINGS = _word_set(
    "the a an of to in on at for with by from my your his her its our their this "
    "o os as um uma de do da dos das em no na nos nas para com por "
    "el la los las un una del en con "
    "le les une du des au aux à "
    "der die das ein eine den dem des zu mit von im",
)
_STRIP = "\"'“”‘’«»()[]{}.,;:!?¡¿"

MID_WORD_PENALTY = 40.0


class TokenRun:
    """Tokens with their widths measured once, so any piece's width costs O(1).

    Attributes:
        tokens: The tokens.
        spaceless: Breaking between two tokens without a space is normal (zh, ja, th).
        wide_units: Widths are counted in full-width units.
    """

    def __init__(self, tokens: Sequence[Token], *, spaceless: bool, wide_units: bool) -> None:
        self.tokens = tuple(tokens)
        self.spaceless = spaceless
        self.wide_units = wide_units
        space = text_width(" ", wide_units=wide_units)
        self._prefix, self._spaces = [0.0], [0.0]
        for token in self.tokens:
            self._prefix.append(self._prefix[-1] + text_width(token.text, wide_units=wide_units))
            self._spaces.append(self._spaces[-1] + (space if token.space_before else 0.0))

    def width(self, start: int, stop: int) -> float:
        """Width of tokens[start:stop] joined on one line."""
        if stop <= start:
            return 0.0
        return (
            self._prefix[stop] - self._prefix[start] + self._spaces[stop] - self._spaces[start + 1]
        )

    def text(self, start: int, stop: int) -> str:
        """tokens[start:stop] joined on one line."""
        parts: list[str] = []
        for position in range(start, stop):
            if position > start and self.tokens[position].space_before:
                parts.append(" ")
            parts.append(self.tokens[position].text)
        return "".join(parts)

    def break_penalty(self, position: int) -> float:
        """How bad it is to break just before tokens[position] (0 = ideal)."""
        before, after = self.tokens[position - 1], self.tokens[position]
        if not after.space_before and not self.spaceless:
            return MID_WORD_PENALTY
        if ends_sentence(before.text):
            return 0.0
        if ends_clause(before.text):
            return 1.0
        if after.text.strip(_STRIP).lower() in _CONJUNCTIONS:
            return 2.0
        if before.text.strip(_STRIP).lower() in _WEAK_LINE_ENDINGS:
            return 8.0
        return 5.0

    def line_count(self, start: int, stop: int, limit: float) -> int:
        """The fewest lines tokens[start:stop] fill at ``limit`` width (first fit is optimal)."""
        lines, line_start = 1, start
        for position in range(start + 1, stop):
            if self.width(line_start, position + 1) > limit:
                lines, line_start = lines + 1, position
        return lines


def split_wide_tokens(tokens: Sequence[Token], limit: float, *, wide_units: bool) -> list[Token]:
    """Cut any token wider than a line into line-sized pieces (joined without spaces)."""
    result: list[Token] = []
    for token in tokens:
        if text_width(token.text, wide_units=wide_units) <= limit:
            result.append(token)
            continue
        piece, first = "", True
        for char in token.text:
            if piece and text_width(piece + char, wide_units=wide_units) > limit:
                result.append(Token(piece, token.space_before if first else False))
                piece, first = "", False
            piece += char
        result.append(Token(piece, token.space_before if first else False))
    return result


def best_partition(
    run: TokenRun,
    start: int,
    stop: int,
    *,
    pieces: int,
    fits: Callable[[int, int], bool],
    piece_cost: Callable[[int, int], float],
) -> list[int] | None:
    """Split tokens[start:stop] into ``pieces`` non-empty pieces at the lowest total cost.

    Args:
        run: The measured tokens.
        start: First token.
        stop: One past the last token.
        pieces: How many pieces.
        fits: Whether tokens[i:j] is an allowed piece (must get harder as a piece grows).
        piece_cost: Cost of tokens[i:j] as one piece (imbalance, say).

    Returns:
        The start index of every piece after the first, or ``None`` when no split fits.
    """
    count = stop - start
    if pieces < 1 or pieces > count:
        return None
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, -1)}]
    for piece in range(1, pieces + 1):
        layer: dict[int, tuple[float, int]] = {}
        for end in range(piece, count + 1):
            for begin in range(end - 1, piece - 2, -1):
                if not fits(start + begin, start + end):
                    break
                previous = best[piece - 1].get(begin)
                if previous is None:
                    continue
                cost = previous[0] + piece_cost(start + begin, start + end)
                if begin:
                    cost += run.break_penalty(start + begin)
                if end not in layer or cost < layer[end][0]:
                    layer[end] = (cost, begin)
        best.append(layer)
    if count not in best[pieces]:
        return None
    cuts: list[int] = []
    end = count
    for piece in range(pieces, 1, -1):
        end = best[piece][end][1]
        cuts.append(start + end)
    return sorted(cuts)


def wrap_lines(run: TokenRun, start: int, stop: int, limit: float) -> list[str]:
    """Break tokens[start:stop] into the fewest balanced lines of at most ``limit`` width.

    Uses one line when the text fits, and otherwise as many lines as the width needs: the
    caller checks the count against its line limit (and flags a cue that breaks it).
    """
    needed = run.line_count(start, stop, limit)
    lines = max(needed, 1)
    total = run.width(start, stop)

    def fits(i: int, j: int) -> bool:
        return j - i == 1 or run.width(i, j) <= limit

    def cost(i: int, j: int) -> float:
        return 10.0 * ((run.width(i, j) - total / lines) / max(limit, 1.0)) ** 2

    cuts = best_partition(
        run, start, stop, pieces=min(lines, stop - start), fits=fits, piece_cost=cost
    )
    if cuts is None:  # cannot happen for a first-fit count, but never lose text
        cuts = []
    return [run.text(i, j) for i, j in pieces_of(start, stop, cuts)]


def pieces_of(start: int, stop: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    """The (start, stop) token ranges that ``cuts`` make of tokens[start:stop]."""
    bounds = [start, *cuts, stop]
    return list(itertools.pairwise(bounds))


def ceil_div(numerator: float, denominator: float) -> int:
    """Smallest integer n with n * denominator >= numerator (at least 1)."""
    return max(1, math.ceil(numerator / denominator - 1e-9))
