"""Text helpers shared by sentence merging and cue layout: spacing, punctuation and width.

A subtitle line is measured in display columns, not code points: an East Asian wide character
(``unicodedata.east_asian_width`` ``W``/``F``) fills the space of two Latin ones. Combining
marks take no space of their own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = [
    "CLAUSE_END",
    "SENTENCE_END",
    "SPACELESS_LANGUAGES",
    "Token",
    "base_language",
    "ends_sentence",
    "is_spaceless",
    "is_wide",
    "join_tokens",
    "tokenize",
]

SPACELESS_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "yue", "bo"})
SENTENCE_END = frozenset(".!?…。！？‼⁇⁈⁉؟।॥።\u037e")  # the last is the Greek question mark
CLAUSE_END = frozenset(",;:，、；：–—")
_CLOSERS = frozenset("\"'”’»)]}」』）】〕〉》")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "jr",
        "sr",
        "sra",
        "dra",
        "no",
        "nr",
        "approx",
        "fig",
        "u.s",
        "u.k",
        "z.b",
        "bzw",
        "p.ex",
        "av",
    }
)


@dataclass(frozen=True, slots=True)
class Token:
    """An unbreakable piece of text and whether a space separates it from the one before."""

    text: str
    space_before: bool


def base_language(language: str | None) -> str:
    """The primary subtag of a language code, lower-cased (``"pt-BR"`` -> ``"pt"``)."""
    if not language:
        return ""
    return language.replace("_", "-").split("-", 1)[0].strip().lower()


def is_spaceless(language: str | None) -> bool:
    """Whether the language writes words without spaces between them (zh, ja, th, …)."""
    return base_language(language) in SPACELESS_LANGUAGES


def is_wide(char: str) -> bool:
    """Whether a character is East Asian wide or full-width."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


def _is_closing_punctuation(char: str) -> bool:
    return unicodedata.category(char) in ("Pe", "Pf", "Po") or char in _CLOSERS


def ends_sentence(word: str) -> bool:
    """Whether a word (with its attached punctuation) ends a sentence.

    Known abbreviations (``Dr.``, ``e.g.``) and single-letter initials (``J.``) do not.
    """
    core = word.strip()
    while core and core[-1] in _CLOSERS:
        core = core[:-1]
    if not core or core[-1] not in SENTENCE_END:
        return False
    if core[-1] == ".":
        stem = core.rstrip(".").lower()
        if stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha() and core != "..."):
            return core.endswith("...")
    return True


def ends_clause(word: str) -> bool:
    """Whether a word ends with clause punctuation (comma, semicolon, colon, dash, …)."""
    core = word.strip()
    while core and core[-1] in _CLOSERS:
        core = core[:-1]
    return bool(core) and core[-1] in CLAUSE_END


def _is_latin_word_char(char: str) -> bool:
    """Letters and digits of Latin-script words, which stay whole even in spaceless text."""
    return ord(char) < 0x250 and char.isalnum()


def _split_characters(chunk: str) -> list[str]:
    """Split a spaceless chunk into characters, keeping what must stay together.

    Combining marks and closing punctuation stay with the character before, opening
    punctuation with the character after, and Latin words and numbers stay whole.
    """
    pieces: list[str] = []
    pending_open = ""
    for char in chunk:
        category = unicodedata.category(char)
        joins_previous = _is_mark(char) or _is_closing_punctuation(char)
        continues_word = bool(pieces) and _is_latin_word_char(char)
        continues_word = continues_word and _is_latin_word_char(pieces[-1][-1])
        if pieces and not pending_open and (joins_previous or continues_word):
            pieces[-1] += char
        elif category in ("Ps", "Pi"):
            pending_open += char
        else:
            pieces.append(pending_open + char)
            pending_open = ""
    if pending_open:
        if pieces:
            pieces[-1] += pending_open
        else:
            pieces.append(pending_open)
    return pieces


def tokenize(text: str, *, spaceless: bool) -> list[Token]:
    """Split text into the smallest pieces a line or cue may break between.

    Args:
        text: The text to split.
        spaceless: Break between characters too (zh, ja, th), not only at spaces.

    Returns:
        The tokens in order; joining them with :func:`join_tokens` gives back the text with
        its runs of whitespace collapsed to single spaces.
    """
    tokens: list[Token] = []
    for chunk in text.split():
        pieces = _split_characters(chunk) if spaceless else [chunk]
        for position, piece in enumerate(pieces):
            tokens.append(Token(piece, space_before=position == 0 and bool(tokens)))
    return tokens


def join_tokens(tokens: list[Token] | tuple[Token, ...]) -> str:
    """Join tokens into text, dropping the space before the first one."""
    parts: list[str] = []
    for position, token in enumerate(tokens):
        if position and token.space_before:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def text_width(text: str, *, wide_units: bool) -> float:
    """The width of a line of text against a line-length limit.

    Args:
        text: The line.
        wide_units: Count in full-width units (the CJK convention: a wide character is 1 and a
            narrow one 0.5); otherwise count in narrow columns (a wide character is 2).

    Returns:
        The width; combining marks count 0.
    """
    columns = 0
    for char in text:
        if _is_mark(char) or unicodedata.category(char) == "Cf":
            continue
        columns += 2 if is_wide(char) else 1
    return columns / 2 if wide_units else float(columns)
