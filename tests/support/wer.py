"""Word error rate and word alignment for comparing transcripts."""

from __future__ import annotations

import difflib
import re

_WORD = re.compile(r"[a-z0-9']+")


def norm_words(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return _WORD.findall(text.lower().replace("’", "'"))


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    prev = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref != hyp))
        prev = cur
    return prev[-1] / max(1, len(reference))


def matched_pairs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Index pairs of words that the two sequences share, in order."""
    pairs: list[tuple[int, int]] = []
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        pairs += [(block.a + k, block.b + k) for k in range(block.size)]
    return pairs
