"""Translation: sentences in batches with context, per target language.

A batch that fails (a bad LLM reply, an engine error, a poison call) degrades to untranslated
lines with a warning; only the absence of any translation worker stops the job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from vt_desktop.core.subtitles import Sentence
from worker.protocol.errors import BrokerError, Cancelled, NoWorker, RpcError
from worker.protocol.mt import TRANSLATE, TranslateParams

log = logging.getLogger(__name__)
STAGE = "translate"
BATCH = 16
CONTEXT = 3


def _key(start: int, params: TranslateParams) -> str:
    """A stored-call key that changes with the batch's text: a resumed job whose sentences
    changed (a gap filled in) translates the changed batches again instead of reusing the
    results stored for other sentences at the same place."""
    digest = hashlib.sha1(params.model_dump_json().encode(), usedforsecurity=False)
    return f"{start // BATCH}-{digest.hexdigest()[:10]}"


def primary(lang: str) -> str:
    """``pt-BR`` → ``pt``."""
    return lang.split("-", maxsplit=1)[0].lower()


async def translate(
    ctx: JobContext, sentences: list[Sentence], source: str
) -> dict[str, list[Sentence]]:
    """Each target language → the sentences with their translations (None where it failed).

    Raises:
        NoWorker: no worker serves ``mt``.
    """
    out: dict[str, list[Sentence]] = {}
    targets = ctx.spec.targets
    total = max(1, len(targets) * ((len(sentences) + BATCH - 1) // BATCH))
    done = 0
    for lang in targets:
        if primary(lang) == primary(source):
            out[lang] = [replace(s, translation=s.text) for s in sentences]
            done += (len(sentences) + BATCH - 1) // BATCH
            continue
        texts: list[str | None] = [None] * len(sentences)
        starts = list(range(0, len(sentences), BATCH))

        async def one(start: int, lang: str = lang, texts: list[str | None] = texts) -> None:
            nonlocal done
            batch = sentences[start : start + BATCH]
            params = TranslateParams(
                engine=ctx.spec.engine,
                source_lang=source,
                target_lang=lang,
                sentences=[s.text for s in batch],
                context=[s.text for s in sentences[max(0, start - CONTEXT) : start]],
            )
            try:
                result = await ctx.call(TRANSLATE, params, f"mt-{lang}", _key(start, params))
            except (NoWorker, BrokerError, Cancelled):
                raise
            except RpcError as exc:
                ctx.warn(
                    STAGE,
                    f"{lang}: sentences {start + 1}–{start + len(batch)} left "
                    f"untranslated: {exc.message}",
                )
            else:
                for i, text in enumerate(result.translations):
                    texts[start + i] = text
                for w in result.warnings:
                    lines = ", ".join(str(start + i + 1) for i in w.indexes)
                    ctx.warn(STAGE, f"{lang}: sentence {lines} left untranslated: {w.message}")
            done += 1
            ctx.report(STAGE, done / total, f"translated {done} of {total} batches")

        await bounded_gather(starts, one, lambda: ctx.capacity("mt"))
        out[lang] = [replace(s, translation=t) for s, t in zip(sentences, texts, strict=True)]
    ctx.report(STAGE, 1.0)
    return out
