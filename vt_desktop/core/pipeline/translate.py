"""Translation: sentences in batches with context, per target language.

Before any work a job's targets are checked against what the workers serving can translate
(their ``mt.languages`` answer, judged by the wire's own ``choose_engine``): a target that no
engine translates from the spoken language fails the job with what to install, instead of
writing a file that holds the spoken text. A target in the spoken language needs no engine.

A batch that fails (a bad LLM reply, an engine error, a poison call) degrades to untranslated
lines with a warning; a worker that says it cannot translate the pair at all (invalid params)
and the absence of any translation worker stop the job.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

from vt_desktop.core.config import NO_WORKER_WAIT_S
from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.options import translates_speech
from vt_desktop.core.languages import primary_language as primary
from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from vt_desktop.core.subtitles import Sentence
from worker.catalogue.translation import suggest_downloads
from worker.protocol.errors import BrokerError, Cancelled, InvalidParams, NoWorker, RpcError
from worker.protocol.mt import (
    CONTEXT_SENTENCES,
    LANGUAGES,
    TRANSLATE,
    TRANSLATE_BATCH,
    EngineLanguages,
    LanguagesParams,
    TranslateParams,
    choose_engine,
)
from worker.transport.client import RpcClient

log = logging.getLogger(__name__)
STAGE = "translate"
BATCH = TRANSLATE_BATCH
CONTEXT = CONTEXT_SENTENCES
#: How long the workers get to answer what they translate.
LANGUAGES_TIMEOUT_S = 30.0
#: The other ways to a pair, after the downloads that would serve it.
OTHER_WAYS = (
    "(or *Models → Download* in the window; two models through English serve a pair too, and "
    "a CTranslate2 model of your own goes in models/ct2 of the workers' cache folder), or set "
    "a chat model endpoint for the llm engine (the mt service's llm_base_url and llm_model; in "
    "the window: Settings, Models & engines)"
)


def install_hint(source: str, targets: Sequence[str]) -> str:
    """What to do when no engine translates ``source`` into ``targets`` (the same words in the
    CLI and the window): the downloads that would, per pair, then the other ways."""
    downloads = "; ".join(f"for {source} → {t}: {suggest_downloads(source, t)}" for t in targets)
    return f"install one: {downloads} {OTHER_WAYS}"


class NoTranslationEngine(VtError, ValueError):
    """Raised when no engine of the workers serving translates a target from the spoken
    language (bad input: the job is refused, or fails before it translates anything)."""


def _key(start: int, params: TranslateParams) -> str:
    """A stored-call key that changes with the batch's text: a resumed job whose sentences
    changed (a gap filled in) translates the changed batches again instead of reusing the
    results stored for other sentences at the same place."""
    digest = hashlib.sha1(params.model_dump_json().encode(), usedforsecurity=False)
    return f"{start // BATCH}-{digest.hexdigest()[:10]}"


def refusal(
    engines: Sequence[EngineLanguages], source: str, targets: Sequence[str], engine: str | None
) -> str | None:
    """Why some of ``targets`` cannot be translated from ``source`` by ``engines`` (``engine``
    names the one asked for; ``None`` lets the workers choose), or ``None`` when all can."""
    missing = [
        t
        for t in targets
        if primary(t) != primary(source) and choose_engine(engines, source, t, engine) is None
    ]
    if not missing:
        return None
    pairs = ", ".join(f"{source} → {t}" for t in missing)
    if engine is None:
        offered = [f"{e.engine}: {e.offers()}" for e in engines if e.available and e.takes_text]
        return (
            f"no translation model for {pairs} (the workers offer "
            f"{'; '.join(offered) or 'no engine'}); {install_hint(source, missing)}"
        )
    named = next((e for e in engines if e.engine == engine), None)
    if named is None:
        names = ", ".join(e.engine for e in engines)
        return f"the workers have no translation engine {engine!r} (engines: {names})"
    if not named.available:
        return f"engine {engine!r} cannot run on the workers: {named.notice}"
    return (
        f"engine {engine!r} cannot translate {pairs} (it translates {named.offers()}); choose "
        f"another engine or leave the choice to the workers, or {install_hint(source, missing)}"
    )


async def engines_serving(
    rpc: RpcClient, worker_wait_s: float = NO_WORKER_WAIT_S
) -> list[EngineLanguages]:
    """What the translation workers serving now can do (a worker's ``mt.languages``),
    waiting a minute for one to come online.

    Raises:
        NoWorker: no worker serves ``mt`` within a minute.
        RpcError: the worker answered with an error.
    """
    waited = 0.0
    while True:
        try:
            result = await rpc.call(LANGUAGES, LanguagesParams(), timeout=LANGUAGES_TIMEOUT_S)
        except NoWorker:
            if waited >= worker_wait_s:
                raise
            await asyncio.sleep(1.0)
            waited += 1.0
        else:
            return result.engines


async def require_translatable(
    rpc: RpcClient,
    source: str,
    targets: Sequence[str],
    engine: str | None,
    *,
    worker_wait_s: float = NO_WORKER_WAIT_S,
) -> None:
    """Refuse a job whose ``targets`` the workers cannot translate from ``source`` with
    ``engine`` (``None``: the workers' choice). Whisper's own translation is judged by the
    runner (it happens at recognition).

    Raises:
        NoTranslationEngine: a target has no engine (the message names each pair and the fix).
        NoWorker: no worker serves ``mt`` within ``worker_wait_s``.
        RpcError: the worker answered with an error.
    """
    if translates_speech(engine) or all(primary(t) == primary(source) for t in targets):
        return
    why = refusal(await engines_serving(rpc, worker_wait_s), source, targets, engine)
    if why is not None:
        raise NoTranslationEngine(why)


def spoken(sentence: Sentence, source: str) -> str:
    """The language ``sentence`` was spoken in (``source``, the recording's, when unknown)."""
    return sentence.language or source


def runs_to_translate(
    sentences: Sequence[Sentence], source: str, target: str
) -> dict[str, list[int]]:
    """Per spoken language, the indexes of the sentences to translate into ``target``; a
    sentence already in ``target`` is kept as spoken."""
    runs: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        if primary(spoken(s, source)) != primary(target):
            runs[spoken(s, source)].append(i)
    return dict(runs)


async def translate(
    ctx: JobContext, sentences: list[Sentence], source: str
) -> dict[str, list[Sentence]]:
    """Each target language → the sentences with their translations (None where it failed).

    Each sentence is translated from the language it was spoken in (``source`` for those
    that carry none), in batches of one language with context from that language; one already
    in the target language, and every sentence of a transcript, is kept as spoken.

    Raises:
        NoWorker: no worker serves ``mt``.
    """
    targets = ctx.spec.targets
    plan = {
        lang: {} if ctx.spec.transcribe else runs_to_translate(sentences, source, lang)
        for lang in targets
    }
    progress = _Progress(
        ctx, max(1, sum(-(-len(ix) // BATCH) for runs in plan.values() for ix in runs.values()))
    )
    out: dict[str, list[Sentence]] = {}
    for lang in targets:
        into = _IntoTarget(ctx, sentences, lang, progress)
        for src, indexes in plan[lang].items():
            for i in indexes:
                into.texts[i] = None
            starts = list(range(0, len(indexes), BATCH))
            await bounded_gather(
                starts,
                partial(into.batch, src, indexes),
                lambda: ctx.in_flight("mt"),
                ctx.events.heard,
            )
        out[lang] = into.sentences()
    ctx.report(STAGE, 1.0)
    return out


@dataclass
class _Progress:
    ctx: JobContext
    total: int
    done: int = 0

    def batch_done(self) -> None:
        self.done += 1
        self.ctx.report(
            STAGE, self.done / self.total, f"translated {self.done} of {self.total} batches"
        )


class _IntoTarget:
    """The translation of a job's sentences into one target language, batch by batch."""

    def __init__(
        self, ctx: JobContext, sentences: list[Sentence], lang: str, progress: _Progress
    ) -> None:
        self.ctx, self.all, self.lang, self.progress = ctx, sentences, lang, progress
        self.texts: list[str | None] = [s.text for s in sentences]
        self.pivoted: set[int] = set()

    async def batch(self, src: str, indexes: list[int], start: int) -> None:
        """Translate ``indexes[start : start + BATCH]`` from ``src``, with the sentences of
        ``src`` just before them as context.

        Raises:
            NoWorker, BrokerError, Cancelled, InvalidParams: the job cannot translate at all.
        """
        ctx, lang = self.ctx, self.lang
        batch = indexes[start : start + BATCH]
        params = TranslateParams(
            engine=ctx.spec.engine,
            source_lang=src,
            target_lang=lang,
            sentences=[self.all[i].text for i in batch],
            context=[self.all[i].text for i in indexes[max(0, start - CONTEXT) : start]],
        )
        try:
            result = await ctx.call(TRANSLATE, params, f"mt-{lang}", _key(batch[0], params))
        except (NoWorker, BrokerError, Cancelled, InvalidParams):
            raise  # invalid params: the worker cannot translate the pair at all
        except RpcError as exc:
            ctx.warn(STAGE, f"{lang}: sentences {_numbers(batch)} left untranslated: {exc.message}")
        else:
            for i, text in zip(batch, result.translations, strict=False):
                self.texts[i] = text
            through = [batch[k] for k in result.pivoted if k < len(batch)]
            self.pivoted.update(through)
            if through:
                ctx.warn(
                    STAGE,
                    f"{lang}: sentences {_numbers(through)} translated from {src} through "
                    f"English ({result.engine}): no installed model translates {src} → {lang} "
                    "directly; their lines are flagged for review",
                )
            for w in result.warnings:
                lines = ", ".join(str(batch[k] + 1) for k in w.indexes if k < len(batch))
                ctx.warn(STAGE, f"{lang}: sentence {lines} left untranslated: {w.message}")
        self.progress.batch_done()

    def sentences(self) -> list[Sentence]:
        """The sentences with their translations (None where a batch failed)."""
        return [
            replace(s, translation=t, pivoted=i in self.pivoted)
            for i, (s, t) in enumerate(zip(self.all, self.texts, strict=True))
        ]


def _numbers(indexes: Sequence[int]) -> str:
    """``3–18`` for a consecutive run of sentence indexes, else ``3, 5, 9`` (1-based)."""
    if not indexes:
        return ""
    if list(indexes) == list(range(indexes[0], indexes[0] + len(indexes))):
        first, last = indexes[0] + 1, indexes[-1] + 1
        return f"{first}–{last}" if last > first else str(first)
    return ", ".join(str(i + 1) for i in indexes)
