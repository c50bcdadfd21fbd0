"""Merge recognised words into sentences, so translation sees whole thoughts.

Speech recognition returns words grouped by audio segment, and a segment edge often falls in
the middle of a sentence. Translating such fragments gives poor results, so the words of all
segments are merged, in order, and split again where a sentence really ends: at sentence
punctuation, at a long pause, or (for a stream without punctuation) at a length cap.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vt_desktop.core.subtitles.model import Sentence, TimedWord
from vt_desktop.core.subtitles.text import ends_clause, ends_sentence, is_spaceless

__all__ = ["SentenceLimits", "build_sentences", "join_words"]

log = logging.getLogger(__name__)

_ORDER_TOLERANCE_S = 0.05


@dataclass(frozen=True, slots=True)
class SentenceLimits:
    """Where a sentence is cut when punctuation does not cut it first.

    Attributes:
        max_pause_s: A silence longer than this between two words ends a sentence.
        max_words: A sentence never holds more words than this.
        max_chars: A sentence's text never grows longer than this (in code points).
    """

    max_pause_s: float = 1.5
    max_words: int = 40
    max_chars: int = 240

    def __post_init__(self) -> None:
        if not self.max_pause_s > 0:
            raise ValueError(f"max_pause_s must be positive, got {self.max_pause_s!r}")
        if self.max_words < 1:
            raise ValueError(f"max_words must be at least 1, got {self.max_words!r}")
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {self.max_chars!r}")


def _glues_to_previous(raw: str) -> bool:
    """Whether a word written without a leading space attaches to the word before (``,000``)."""
    if raw[:1].isspace():
        return False
    category = unicodedata.category(raw[0])
    return category.startswith("P") and category not in ("Ps", "Pi")


def join_words(words: Sequence[TimedWord], language: str | None = None) -> str:
    """Join recognised words into text with the language's spacing.

    Args:
        words: The words in order, as the recogniser gives them.
        language: The language code (``"en"``, ``"zh"``); zh, ja, th and other languages
            written without spaces are joined without them.

    Returns:
        The text, without leading or trailing whitespace.
    """
    if is_spaceless(language):
        return "".join(word.text.strip() for word in words)
    parts: list[str] = []
    for word in words:
        stripped = word.text.strip()
        if not stripped:
            continue
        if parts and not _glues_to_previous(word.text):
            parts.append(" ")
        parts.append(stripped)
    return "".join(parts)


def _checked_words(words: Iterable[TimedWord]) -> list[TimedWord]:
    """The non-empty words, after checking that their times make sense."""
    kept: list[TimedWord] = []
    for position, word in enumerate(words):
        if not isinstance(word, TimedWord):
            raise TypeError(f"word {position} is a {type(word).__name__}, not a TimedWord")
        if not (math.isfinite(word.start) and math.isfinite(word.end)):
            raise ValueError(f"word {position} {word.text!r} has a time that is not finite")
        if word.start < 0 or word.end < word.start:
            raise ValueError(
                f"word {position} {word.text!r} has impossible times "
                f"{word.start:.3f}-{word.end:.3f} s (negative, or ends before it starts)"
            )
        if kept and word.start < kept[-1].start - _ORDER_TOLERANCE_S:
            raise ValueError(
                f"word {position} {word.text!r} at {word.start:.3f} s comes before the previous "
                f"word at {kept[-1].start:.3f} s: words must be given in time order"
            )
        if word.text.strip():
            kept.append(word)
    return kept


def _cap_split_point(current: Sequence[TimedWord]) -> int:
    """How many of the current words to emit when a sentence hits the length cap.

    Prefers the last clause boundary (comma, semicolon, …) in the second half of the words,
    so a run-on stream splits at a natural point; otherwise emits everything.
    """
    for position in range(len(current) - 1, len(current) // 2 - 1, -1):
        if ends_clause(current[position].text):
            return position + 1
    return len(current)


def build_sentences(
    words: Iterable[TimedWord],
    language: str | None = None,
    limits: SentenceLimits | None = None,
) -> list[Sentence]:
    """Merge words from any number of recognised segments into sentences.

    A sentence ends after a word with sentence punctuation (``. ! ? … 。 ！ ？`` and friends;
    not after ``Dr.`` or an initial), before a pause longer than ``limits.max_pause_s``, where
    the words' language changes, and at the ``limits`` length caps (at the last comma when
    there is one). A sentence's language is its words' (``language`` when they have none).

    Args:
        words: All recognised words of the media, in time order, across segments.
        language: The source language code (for words that carry none); decides how words
            are joined.
        limits: Pause and length limits; the defaults suit subtitles.

    Returns:
        The sentences in order, indexed from 0, each holding its words.

    Raises:
        ValueError: A word has times that are not finite, negative, reversed, or out of order.
        TypeError: An item is not a :class:`TimedWord`.
    """
    limits = limits or SentenceLimits()
    groups: list[list[TimedWord]] = []
    current: list[TimedWord] = []
    current_chars = 0
    for word in _checked_words(words):
        if current and (
            word.start - current[-1].end > limits.max_pause_s
            or word.language != current[-1].language  # another language, another sentence
        ):
            groups.append(current)
            current, current_chars = [], 0
        word_chars = len(word.text.strip()) + 1
        if current and (
            len(current) >= limits.max_words or current_chars + word_chars > limits.max_chars
        ):
            emitted = _cap_split_point(current)
            groups.append(current[:emitted])
            current = current[emitted:]
            current_chars = sum(len(w.text.strip()) + 1 for w in current)
        current.append(word)
        current_chars += word_chars
        if ends_sentence(word.text):
            groups.append(current)
            current, current_chars = [], 0
    if current:
        groups.append(current)
    sentences = [
        Sentence(
            index=index,
            text=join_words(group, group[0].language or language),
            start=group[0].start,
            end=max(word.end for word in group),
            words=tuple(group),
            language=group[0].language or language,
        )
        for index, group in enumerate(groups)
    ]
    log.debug("merged %d words into %d sentences", sum(map(len, groups)), len(sentences))
    return sentences
