"""One ``mt.translate`` call's sentences through the translation cache and an engine, batch by
batch (warnings mapped back to the call's indexes), and two such steps through English."""

from __future__ import annotations

import time

from worker.call import current_call
from worker.engines.mt.base import BatchResult, BatchWarning, MtEngine, check_cancelled
from worker.engines.mt.cache import CacheKey, TranslationCache
from worker.engines.mt.glossary import glossary_hash
from worker.engines.mt.llm import EndpointUnreachable
from worker.protocol.mt import Route, TranslateParams, TranslateResult, TranslationWarning


class TranslationJob:
    """One ``mt.translate`` call: cache lookups, batches, warnings mapped to call indexes."""

    def __init__(self, p: TranslateParams, engine: MtEngine, cache: TranslationCache) -> None:
        self.p = p
        self.engine = engine
        self.cache = cache
        self.results: list[str | None] = [None] * len(p.sentences)
        self.warnings: list[TranslationWarning] = []
        self.cached = 0
        self.compute_seconds = 0.0
        self._glossary = glossary_hash(p.glossary)

    def _key(self, sentence: str) -> CacheKey:
        return CacheKey(
            self.engine.name, self.engine.model_id, self.p.source_lang, self.p.target_lang,
            self._glossary, sentence,
        )  # fmt: skip

    def _pending(self) -> dict[str, list[int]]:
        """Sentences still to translate → their indexes (duplicates translated once)."""
        pending: dict[str, list[int]] = {}
        for index, sentence in enumerate(self.p.sentences):
            if not sentence.strip():
                self.results[index] = sentence
            elif (hit := self.cache.get(self._key(sentence))) is not None:
                self.results[index] = hit
                self.cached += 1
            else:
                pending.setdefault(sentence, []).append(index)
        return pending

    def _context_before(self, index: int, size: int) -> list[str]:
        return (list(self.p.context) + list(self.p.sentences[:index]))[-size:] if size else []

    async def run(
        self, batch_size: int, context_size: int, span: tuple[float, float] = (0.0, 1.0)
    ) -> None:
        """Translate what the cache lacks, reporting progress from ``span[0]`` to ``span[1]``."""
        pending = list(self._pending().items())
        for start in range(0, len(pending), batch_size):
            check_cancelled()
            batch = pending[start : start + batch_size]
            first_index = batch[0][1][0]
            began = time.perf_counter()
            result = await self._translate(
                [s for s, _ in batch], self._context_before(first_index, context_size)
            )
            self.compute_seconds += time.perf_counter() - began
            self._absorb(batch, result)
            done = (start + len(batch)) / len(pending)
            _progress(span[0] + (span[1] - span[0]) * done, "translating")

    async def _translate(self, sentences: list[str], context: list[str]) -> BatchResult:
        try:
            return await self.engine.translate_batch(
                sentences, self.p.source_lang, self.p.target_lang,
                context=context, glossary=self.p.glossary,
            )  # fmt: skip
        except EndpointUnreachable as exc:
            if not any(r is not None for r in self.results):
                raise
            return BatchResult([None] * len(sentences), [_warn_all(sentences, exc.message)])

    def _absorb(self, batch: list[tuple[str, list[int]]], result: BatchResult) -> None:
        for (sentence, indexes), text in zip(batch, result.translations, strict=True):
            for index in indexes:
                self.results[index] = text
            if text is not None:
                self.cache.put(self._key(sentence), text)
        for warning in result.warnings:
            indexes = sorted(i for b in warning.indexes for i in batch[b][1])
            self.warnings.append(TranslationWarning(indexes=indexes, message=warning.message))


def _warn_all(sentences: list[str], message: str) -> BatchWarning:
    return BatchWarning(tuple(range(len(sentences))), f"not translated: {message}")


def _progress(fraction: float, message: str) -> None:
    try:
        ctx = current_call()
    except LookupError:
        return
    ctx.progress(fraction, message)


async def translate_through(  # noqa: PLR0917 (the two steps' engines and batch sizes)
    p: TranslateParams,
    route: Route,
    engines: tuple[MtEngine, MtEngine],
    cache: TranslationCache,
    batch_sizes: tuple[int, int],
    context_size: int,
) -> TranslateResult:
    """Two steps: ``source → en`` with the first engine, ``en → target`` with the second.

    Glossary terms are protected through the first step as their final translation and
    kept as they are through the second. Lines the first step left untranslated stay so.
    """
    first, second = route.steps
    into, out = engines
    p1 = p.model_copy(update={"target_lang": first.target})
    job1 = TranslationJob(p1, into, cache)
    await job1.run(batch_sizes[0], context_size, (0.0, 0.5))
    english = [i for i, text in enumerate(job1.results) if text is not None]
    results: list[str | None] = [None] * len(p.sentences)
    warnings = list(job1.warnings)
    compute, cached = job1.compute_seconds, job1.cached
    if english:
        p2 = TranslateParams.model_construct(
            engine=second.engine,
            model=second.model,
            source_lang=second.source,
            target_lang=p.target_lang,
            sentences=[job1.results[i] or "" for i in english],
            context=[],
            glossary={t: t for t in p.glossary.values()},
        )
        job2 = TranslationJob(p2, out, cache)
        await job2.run(batch_sizes[1], 0, (0.5, 1.0))
        for local, index in enumerate(english):
            results[index] = job2.results[local]
        for warning in job2.warnings:
            indexes = [english[i] for i in warning.indexes]
            message = f"{second.source} → {second.target} step: {warning.message}"
            warnings.append(TranslationWarning(indexes=indexes, message=message))
        compute, cached = compute + job2.compute_seconds, cached + job2.cached
    return TranslateResult(
        translations=results,
        warnings=warnings,
        engine=f"{into.name} → {out.name}",
        model=f"{into.model_id} → {out.model_id}",
        compute_seconds=round(compute, 4),
        cached=cached,
        via=first.target,
        pivoted=[i for i, t in enumerate(results) if t is not None and t.strip()],
    )
