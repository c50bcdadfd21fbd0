"""Word error rate (jiwer) and word alignment for comparing transcripts."""

from __future__ import annotations

import difflib
import re

import jiwer

_WORD = re.compile(r"[a-z0-9']+")


def norm_words(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return _WORD.findall(text.lower().replace("’", "'"))


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words (jiwer's,
    on words already normalised; with no reference words, the count of words heard)."""
    if not reference:
        return float(len(hypothesis))
    return float(jiwer.wer(" ".join(reference), " ".join(hypothesis)))


def matched_pairs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Index pairs of words that the two sequences share, in order."""
    pairs: list[tuple[int, int]] = []
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        pairs += [(block.a + k, block.b + k) for k in range(block.size)]
    return pairs
