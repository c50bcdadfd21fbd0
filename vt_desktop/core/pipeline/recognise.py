"""Recognition: the whole plan fanned out over every worker, reassembled in order."""

from __future__ import annotations

import asyncio
import base64
import logging

from vt_desktop.core.media import Segment, SegmentPlan, encode_segment
from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from vt_desktop.core.subtitles import TimedWord
from worker.protocol.asr import (
    DETECT_LANGUAGE,
    TRANSCRIBE,
    DetectLanguageParams,
    TranscribeParams,
    TranscribeResult,
)
from worker.protocol.errors import RpcError

log = logging.getLogger(__name__)
STAGE = "recognise"


class SegmentFailed(RuntimeError):
    """Raised when one segment could not be recognised; names it and says why."""


def _clock(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes:d}:{sec:02d}"


async def _audio_of(ctx: JobContext, plan: SegmentPlan, seg: Segment) -> str:
    data = await asyncio.to_thread(
        encode_segment, plan.path, plan.stream_index, seg, codec=ctx.spec.segment_codec
    )
    return base64.b64encode(data).decode("ascii")


async def detect_language(ctx: JobContext, plan: SegmentPlan) -> str:
    """The spoken language: the user's choice, or detected once on the first segment."""
    if ctx.spec.source_language:
        return ctx.spec.source_language
    stored = ctx.store.artifact(ctx.job_id, "language")
    if isinstance(stored, str):
        return stored
    seg = plan.segments[0]
    params = DetectLanguageParams(
        audio=await _audio_of(ctx, plan, seg), offset_s=seg.start_s, model=ctx.spec.model
    )
    result = await ctx.call(DETECT_LANGUAGE, params, "lang", 0)
    ctx.store.put_artifact(ctx.job_id, "language", result.language)
    ctx.report(
        STAGE, 0.0, f"spoken language: {result.language} (p={result.language_probability:.2f})"
    )
    return result.language


async def recognise(ctx: JobContext, plan: SegmentPlan, language: str) -> list[TranscribeResult]:
    """Transcribe every segment, as many in flight as the workers take; results in order.

    Raises:
        SegmentFailed: a segment failed on every try (the message names it and says why).
    """
    results: dict[int, TranscribeResult] = {}
    total = len(plan.segments)

    async def one(seg: Segment) -> None:
        params = TranscribeParams(
            audio=await _audio_of(ctx, plan, seg),
            offset_s=seg.start_s,
            language=language,
            model=ctx.spec.model,
            word_timestamps=True,
        )
        try:
            results[seg.index] = await ctx.call(TRANSCRIBE, params, "asr", seg.index)
        except RpcError as exc:
            if exc.code == -32800:
                raise
            raise SegmentFailed(
                f"segment {seg.index + 1} of {total} ({_clock(seg.start_s)}–{_clock(seg.end_s)}) "
                f"could not be recognised: {exc.message}"
            ) from exc
        ctx.report(STAGE, len(results) / total, f"recognised {len(results)} of {total} segments")

    done_before = [
        s for s in plan.segments if ctx.store.result(f"{ctx.job_id}.asr.{s.index}") is not None
    ]
    for seg in done_before:
        await one(seg)  # from the store: no call is sent
    missing = [s for s in plan.segments if s.index not in results]
    await bounded_gather(missing, one, lambda: ctx.capacity("asr"))
    return [results[s.index] for s in plan.segments]


def words_of(results: list[TranscribeResult]) -> list[TimedWord]:
    """All recognised words in time order, as the subtitle layout takes them."""
    words: list[TimedWord] = []
    last_end = 0.0
    for res in results:
        for seg in res.segments:
            for w in seg.words:
                start = max(w.start, last_end)
                end = max(w.end, start)
                words.append(TimedWord(w.word, start, end, w.probability))
                last_end = start
    return words
