"""Glossary terms for engines that cannot take instructions (NMT models).

Before translating, each glossary term found in a sentence is replaced by a placeholder the
model copies through untouched (``ZQX0``, ``ZQX1``: checked with the Bergamot en↔pt models,
which mangle bracketed or underscored markers); after translating, each placeholder is replaced
by the term's required translation. A placeholder the model dropped or duplicated makes the
protection fail, and the caller then translates the plain sentence and warns.

LLM engines get the glossary in their prompt instead (see ``glossary_prompt_lines``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_PLACEHOLDER = "ZQX{}"
_PLACEHOLDER_RE = re.compile(r"ZQX(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ProtectedSentence:
    """A sentence with glossary terms swapped for placeholders, and what each stands for."""

    text: str
    replacements: tuple[str, ...]  # index n → translation of the term behind placeholder n
    terms: tuple[str, ...]  # index n → the source term found

    @property
    def protects_anything(self) -> bool:
        """True when at least one glossary term was found."""
        return bool(self.replacements)


def glossary_hash(glossary: Mapping[str, str]) -> str:
    """A short stable digest of a glossary (part of translation cache keys)."""
    if not glossary:
        return ""
    canonical = json.dumps(sorted(glossary.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _term_pattern(glossary: Mapping[str, str]) -> re.Pattern[str] | None:
    terms = sorted((t.strip() for t in glossary if t.strip()), key=len, reverse=True)
    if not terms:
        return None
    alternatives = "|".join(re.escape(term) for term in terms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def protect(sentence: str, glossary: Mapping[str, str]) -> ProtectedSentence:
    """Swap every glossary term in ``sentence`` (whole words, any case) for a placeholder."""
    pattern = _term_pattern(glossary)
    if pattern is None or _PLACEHOLDER_RE.search(sentence):
        return ProtectedSentence(sentence, (), ())
    lowered = {term.strip().lower(): translation for term, translation in glossary.items()}
    replacements: list[str] = []
    terms: list[str] = []

    def swap(match: re.Match[str]) -> str:
        terms.append(match.group(0))
        replacements.append(lowered[match.group(0).lower()])
        return _PLACEHOLDER.format(len(replacements) - 1)

    return ProtectedSentence(pattern.sub(swap, sentence), tuple(replacements), tuple(terms))


def restore(translated: str, protected: ProtectedSentence) -> str | None:
    """Put each term's translation where its placeholder came through.

    Returns:
        The restored translation, or ``None`` when a placeholder was lost, repeated or invented
        by the model (the caller then translates the plain sentence).
    """
    found = [int(m.group(1)) for m in _PLACEHOLDER_RE.finditer(translated)]
    if sorted(found) != list(range(len(protected.replacements))):
        return None
    return _PLACEHOLDER_RE.sub(lambda m: protected.replacements[int(m.group(1))], translated)


def translate_with_glossary(
    sentence: str, glossary: Mapping[str, str], translate: Callable[[str], str]
) -> tuple[str, str | None]:
    """Translate one sentence keeping glossary terms, falling back to a plain translation.

    Returns:
        The translation, and a warning message when the glossary could not be applied.
    """
    protected = protect(sentence, glossary)
    if not protected.protects_anything:
        return translate(sentence), None
    restored = restore(translate(protected.text), protected)
    if restored is not None:
        return restored, None
    terms = ", ".join(repr(term) for term in dict.fromkeys(protected.terms))
    warning = f"glossary term(s) {terms} could not be kept; translated without the glossary"
    return translate(sentence), warning


def glossary_prompt_lines(glossary: Mapping[str, str]) -> list[str]:
    """The glossary as prompt lines for engines that follow instructions."""
    return [
        f"- {json.dumps(term, ensure_ascii=False)} → {json.dumps(tr, ensure_ascii=False)}"
        for term, tr in sorted(glossary.items())
    ]
