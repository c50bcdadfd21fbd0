"""Declarations of the ``mt`` service: translate batches of sentences, list engines and pairs.

Language codes are BCP-47 style (``en``, ``pt``, ``pt-BR``, ``zho-Hans``); engines match on the
primary subtag. In ``mt.languages`` the code ``"*"`` stands for "any language".

``plan_route`` is the one rule, for the worker and the app alike, that picks how a pair is
translated when the call names no engine: an installed direct pair, else a multilingual model,
else a pivot through English with two installed engines, else the LLM endpoint; a model whose
licence forbids commercial use (NLLB) only when nothing else can.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
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
#: The language a pair no engine translates directly goes through.
PIVOT_LANGUAGE = "en"
#: The translation engines a call may name (``whisper`` translates speech, at recognition).
ENGINE_NAMES: tuple[str, ...] = ("bergamot", "ct2", "llm", "whisper")
#: Sentences the app sends in one ``mt.translate`` call, and the batch a worker translates
#: at once unless its settings say otherwise (so one call is one batch).
TRANSLATE_BATCH = 16
#: Sentences before a batch that the app sends as its context, and that a worker passes
#: on (where its settings do not say otherwise).
CONTEXT_SENTENCES = 3

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
    """Translations aligned 1:1 with the sentences sent; ``None`` marks an untranslated line.

    A pair translated through English (``via`` = ``"en"``) names both engines and models
    (``ct2 → ct2``, ``opus-mt-pt-en → opus-mt-en-de``) and lists in ``pivoted`` the indexes of
    the lines that went through it (every translated line of the call).
    """

    translations: list[str | None]
    warnings: list[TranslationWarning] = Field(default_factory=list)
    engine: str
    model: str = ""
    compute_seconds: float = 0.0
    cached: int = 0
    via: str = ""
    pivoted: list[int] = Field(default_factory=list)


class LanguagesParams(BaseModel):
    """No params."""

    model_config = ConfigDict(extra="forbid")


class LanguagePairs(BaseModel):
    """Every pair of one of ``sources`` and a different one of ``targets``.

    ``model`` names the model of the engine that serves the group (empty: the engine's own);
    ``multilingual`` marks one model for many languages (M2M100, MADLAD, NLLB), which comes
    after a direct pair in the automatic choice; ``non_commercial`` marks a licence that
    forbids commercial use (NLLB's CC-BY-NC), chosen only when nothing else can.
    """

    sources: list[str]
    targets: list[str]
    model: str = ""
    multilingual: bool = False
    non_commercial: bool = False

    def covers(self, source: str, target: str) -> bool:
        """True when this group translates ``source`` into ``target`` (primary subtags)."""
        src, tgt = primary_subtag(source), primary_subtag(target)
        if src == tgt and ANY_LANGUAGE not in (src, tgt):
            return False
        sources, targets = _primaries(tuple(self.sources)), _primaries(tuple(self.targets))
        return (ANY_LANGUAGE in sources or src in sources) and (
            ANY_LANGUAGE in targets or tgt in targets
        )


@functools.lru_cache(maxsize=1024)
def _primaries(codes: tuple[str, ...]) -> frozenset[str]:
    """The primary subtags of ``codes`` (asked again and again while routes are planned)."""
    return frozenset(primary_subtag(code) for code in codes)


class EngineLanguages(BaseModel):
    """One engine, whether it can run here, its models and what it translates.

    ``takes_text`` is False for an engine that translates speech at the recognition step
    (``whisper``): ``mt.translate`` never picks it for a call that names no engine. ``default``
    marks the worker's default engine (its ``default_engine`` setting), tried first.
    """

    engine: str
    available: bool = True
    notice: str | None = None
    models: list[str] = Field(default_factory=list)
    pairs: list[LanguagePairs] = Field(default_factory=list)
    takes_text: bool = True
    default: bool = False

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


class RouteKind(StrEnum):
    """How a pair gets translated, in the order the automatic choice tries them."""

    DIRECT = "direct"
    MULTILINGUAL = "multilingual"
    PIVOT = "pivot"
    LLM = "llm"


@dataclass(frozen=True)
class RouteStep:
    """One translation: an engine (and its model, empty for its own) from one language to
    another."""

    engine: str
    model: str
    source: str
    target: str
    non_commercial: bool = False


@dataclass(frozen=True)
class Route:
    """How ``mt.translate`` translates a pair: one step, or two through English."""

    kind: RouteKind
    steps: tuple[RouteStep, ...]

    @property
    def engine(self) -> str:
        """The engine of the first step."""
        return self.steps[0].engine

    @property
    def non_commercial(self) -> bool:
        """True when a step runs a model whose licence forbids commercial use."""
        return any(step.non_commercial for step in self.steps)

    def describe(self) -> str:
        """The route in words: ``direct (bergamot)``, ``via English (ct2 opus-mt-pt-en, …)``."""
        names = ", ".join(f"{s.engine} {s.model}".strip() for s in self.steps)
        words = {
            RouteKind.DIRECT: "direct",
            RouteKind.MULTILINGUAL: "multilingual",
            RouteKind.PIVOT: "via English",
            RouteKind.LLM: "LLM",
        }[self.kind]
        licence = ", non-commercial licence" if self.non_commercial else ""
        return f"{words} ({names}{licence})"


def _tier(group: LanguagePairs) -> RouteKind:
    if ANY_LANGUAGE in group.targets and ANY_LANGUAGE in group.sources:
        return RouteKind.LLM
    return RouteKind.MULTILINGUAL if group.multilingual else RouteKind.DIRECT


@dataclass(frozen=True)
class _Scope:
    """Which groups may serve: one engine or any, one model or any, non-commercial or not."""

    engine: str | None
    model: str
    non_commercial: bool

    def groups(
        self, engines: Sequence[EngineLanguages]
    ) -> Iterator[tuple[EngineLanguages, LanguagePairs]]:
        """Every group that may serve, in the order of ``engines``."""
        for candidate in engines:
            if self.engine is not None and candidate.engine != self.engine:
                continue
            if not candidate.available or not (self.engine is not None or candidate.takes_text):
                continue
            for group in candidate.pairs:
                if self.model and group.model != self.model:
                    continue
                if group.non_commercial and not self.non_commercial:
                    continue
                yield candidate, group

    def one_step(
        self,
        engines: Sequence[EngineLanguages],
        pair: tuple[str, str],
        kinds: Sequence[RouteKind],
    ) -> Route | None:
        """The first group of the first of ``kinds`` that translates ``pair``."""
        source, target = pair
        for kind in kinds:
            for candidate, group in self.groups(engines):
                if _tier(group) is kind and group.covers(source, target):
                    step = RouteStep(
                        candidate.engine, group.model, source, target, group.non_commercial
                    )
                    return Route(kind, (step,))
        return None

    def pivot(self, engines: Sequence[EngineLanguages], pair: tuple[str, str]) -> Route | None:
        """``source → en → target`` with a direct or multilingual model for each step."""
        source, target = pair
        if self.model or PIVOT_LANGUAGE in (primary_subtag(source), primary_subtag(target)):
            return None
        into = self.one_step(engines, (source, PIVOT_LANGUAGE), _MODELS)
        out = self.one_step(engines, (PIVOT_LANGUAGE, target), _MODELS)
        if into is None or out is None:
            return None
        return Route(RouteKind.PIVOT, into.steps + out.steps)


_MODELS = (RouteKind.DIRECT, RouteKind.MULTILINGUAL)
_ALL = (RouteKind.DIRECT, RouteKind.MULTILINGUAL, RouteKind.LLM)


def plan_route(
    engines: Sequence[EngineLanguages],
    source: str,
    target: str,
    engine: str | None = None,
    model: str = "",
) -> Route | None:
    """How ``mt.translate`` translates ``source`` into ``target``, or ``None`` when nothing can.

    The one rule for both sides: the worker translates with it, and the app asks it of the
    worker's ``mt.languages`` answer before any work and to show the way per target. In order:
    the worker's default engine when it was set to one that translates the pair itself
    (``default``; out of the box Bergamot, a direct pair), then a direct pair (a model for this
    pair: Bergamot, Opus-MT), a multilingual model (M2M100, MADLAD), a pivot through English
    with two of those (``source → en → target``), the LLM endpoint; then the same again
    allowing models whose licence forbids commercial use (NLLB). Within a kind, ``engines``'
    order decides (the worker lists its default engine first).

    ``engine`` names the one engine that may serve (it may still pivot between two of its
    own models); ``model`` names its one model (no pivot then). A target in the source's
    language needs no engine and is not asked about here.
    """
    pair = (source, target)
    default = next((e.engine for e in engines if e.default), None) if engine is None else None
    for non_commercial in (False, True):
        scope = _Scope(engine, model, non_commercial)
        if default is not None:
            preferred = _Scope(default, model, non_commercial).one_step(engines, pair, _ALL)
            if preferred is not None:
                return preferred
        route = (
            scope.one_step(engines, pair, _MODELS)
            or scope.pivot(engines, pair)
            or scope.one_step(engines, pair, (RouteKind.LLM,))
        )
        if route is not None:
            return route
    return None


def choose_engine(
    engines: Sequence[EngineLanguages], source: str, target: str, engine: str | None = None
) -> EngineLanguages | None:
    """The engine of the first step of ``plan_route``'s route, or ``None`` when none can."""
    route = plan_route(engines, source, target, engine)
    if route is None:
        return None
    return next(e for e in engines if e.engine == route.engine)


def primary_subtag(code: str) -> str:
    """The lower-cased primary language subtag of a code (``pt-BR`` → ``pt``)."""
    return code.replace("_", "-").split("-", 1)[0].lower()


TRANSLATE = Method("mt.translate", TranslateParams, TranslateResult)
LANGUAGES = Method("mt.languages", LanguagesParams, LanguagesResult)
