"""Declarations of the ``mt`` service: translate batches of sentences, list engines and pairs.

Language codes are BCP-47 style (``en``, ``pt``, ``pt-BR``, ``zho-Hans``); engines match on the
primary subtag. In ``mt.languages`` the code ``"*"`` stands for "any language".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from worker.protocol.methods import Method

#: Most sentences one call may carry; the caller batches above this.
MAX_SENTENCES = 256
#: Longest sentence (characters) one call may carry.
MAX_SENTENCE_CHARS = 2000
#: Most previous sentences sent as context.
MAX_CONTEXT = 16
#: Most glossary entries.
MAX_GLOSSARY = 500
#: Longest glossary term or translation (characters).
MAX_TERM_CHARS = 200
#: Wildcard language code in ``mt.languages``.
ANY_LANGUAGE = "*"

LanguageCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$"),
]
EngineName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Sentence = Annotated[str, StringConstraints(max_length=MAX_SENTENCE_CHARS)]
Term = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TERM_CHARS)]


class TranslateParams(BaseModel):
    """Translate ``sentences`` from ``source_lang`` to ``target_lang`` with one engine.

    ``context`` holds the sentences that came just before (a hint for engines that read
    context; never translated). ``glossary`` maps a source term to the translation it must get.
    ``engine`` absent means the worker's default engine (its ``default_engine`` setting).
    ``model`` picks one model of an engine that has several (the ``ct2`` engine); empty picks
    the first model that supports the pair.
    """

    model_config = ConfigDict(extra="forbid")

    engine: EngineName | None = None
    model: Annotated[str, StringConstraints(max_length=200)] = ""
    source_lang: LanguageCode
    target_lang: LanguageCode
    sentences: list[Sentence] = Field(min_length=1, max_length=MAX_SENTENCES)
    context: list[Sentence] = Field(default_factory=list, max_length=MAX_CONTEXT)
    glossary: dict[Term, Term] = Field(default_factory=dict, max_length=MAX_GLOSSARY)

    @field_validator("glossary")
    @classmethod
    def _terms_are_not_blank(cls, glossary: dict[str, str]) -> dict[str, str]:
        for term, translation in glossary.items():
            if not term.strip() or not translation.strip():
                raise ValueError(f"glossary entry {term!r} → {translation!r} has a blank side")
        return glossary


class TranslationWarning(BaseModel):
    """Something that went wrong with some lines; ``indexes`` point into ``sentences``."""

    indexes: list[int]
    message: str


class TranslateResult(BaseModel):
    """Translations aligned 1:1 with the sentences sent; ``None`` marks an untranslated line."""

    translations: list[str | None]
    warnings: list[TranslationWarning] = Field(default_factory=list)
    engine: str
    model: str = ""
    compute_seconds: float = 0.0
    cached: int = 0


class LanguagesParams(BaseModel):
    """No params."""

    model_config = ConfigDict(extra="forbid")


class LanguagePairs(BaseModel):
    """Every pair of one of ``sources`` and a different one of ``targets``."""

    sources: list[str]
    targets: list[str]

    def covers(self, source: str, target: str) -> bool:
        """True when this group translates ``source`` into ``target`` (primary subtags)."""
        src, tgt = primary_subtag(source), primary_subtag(target)
        if src == tgt and ANY_LANGUAGE not in (src, tgt):
            return False
        sources = {primary_subtag(code) for code in self.sources}
        targets = {primary_subtag(code) for code in self.targets}
        return (ANY_LANGUAGE in sources or src in sources) and (
            ANY_LANGUAGE in targets or tgt in targets
        )


class EngineLanguages(BaseModel):
    """One engine, whether it can run here, its models and what it translates.

    ``takes_text`` is False for an engine that translates speech at the recognition step
    (``whisper``): ``mt.translate`` never picks it for a call that names no engine.
    """

    engine: str
    available: bool = True
    notice: str | None = None
    models: list[str] = Field(default_factory=list)
    pairs: list[LanguagePairs] = Field(default_factory=list)
    takes_text: bool = True

    def supports(self, source: str, target: str) -> bool:
        """True when the engine is available and translates ``source`` into ``target``."""
        return self.available and any(group.covers(source, target) for group in self.pairs)

    def offers(self) -> str:
        """The pairs in words: ``en → pt, pt → en``, ``any → any``, ``72 languages → …``."""
        words = [f"{_codes(g.sources)} → {_codes(g.targets)}" for g in self.pairs]
        return ", ".join(words) or "no language pairs"


def _codes(codes: list[str]) -> str:
    if ANY_LANGUAGE in codes:
        return "any"
    return "/".join(codes) if len(codes) <= 6 else f"{len(codes)} languages"


class LanguagesResult(BaseModel):
    """Every engine this worker knows, available or not, its default engine first."""

    engines: list[EngineLanguages]


def choose_engine(
    engines: Sequence[EngineLanguages], source: str, target: str, engine: str | None = None
) -> EngineLanguages | None:
    """The engine ``mt.translate`` uses for a pair, or ``None`` when none can.

    The one rule for both sides: the worker picks with it, and the app asks it of the worker's
    ``mt.languages`` answer before any work. ``engine`` names one engine (only it may serve);
    ``None`` is the automatic choice: the first engine, in the order of ``engines`` (the
    worker lists its default engine first), that is available, takes text and translates the
    pair. A target in the source's language needs no engine and is not asked about here.
    """
    for candidate in engines:
        if engine is not None and candidate.engine != engine:
            continue
        if (engine is not None or candidate.takes_text) and candidate.supports(source, target):
            return candidate
    return None


def primary_subtag(code: str) -> str:
    """The lower-cased primary language subtag of a code (``pt-BR`` → ``pt``)."""
    return code.replace("_", "-").split("-", 1)[0].lower()


TRANSLATE = Method("mt.translate", TranslateParams, TranslateResult)
LANGUAGES = Method("mt.languages", LanguagesParams, LanguagesResult)
