"""Recognition: the whole plan fanned out over every worker, reassembled in order."""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.store import JobStore, call_id
from vt_desktop.core.media import Segment, SegmentPlan
from vt_desktop.core.media.audio import Pcm, read_pcm
from vt_desktop.core.media.encode import encode_pcm
from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from vt_desktop.core.subtitles import TimedWord
from worker.protocol.asr import (
    DETECT_LANGUAGE,
    TRANSCRIBE,
    DetectLanguageParams,
    TranscribeParams,
    TranscribeResult,
)
from worker.protocol.errors import (
    BrokerError,
    Cancelled,
    ModelUnavailable,
    NoWorker,
    PoisonCall,
    RpcError,
)

log = logging.getLogger(__name__)
STAGE = "recognise"
#: Past this, a segment is sent as Opus so one call stays under MAX_AUDIO_BYTES (1 MiB).
FLAC_LIMIT = 900_000
#: Segments in flight per call the workers take at once: one batch being recognised and the
#: next already encoded and waiting in the queue, so a worker starts its next batch the moment
#: it acks the last one instead of idling while the client encodes more.
AHEAD = 2


#: Failures that are not the segment's own: every other segment would fail alike, so the job
#: stops (and says why) instead of leaving every segment a gap.
SYSTEMIC = (NoWorker, BrokerError, Cancelled, ModelUnavailable)
GAPS = "gaps"


class SegmentFailed(VtError, RuntimeError):
    """Raised when no segment of a job could be recognised; names the first and says why."""


def gap_record(seg: Segment, exc: RpcError) -> dict[str, object]:
    """How a segment left as a gap is stored (artifact ``gaps``, keyed by its index)."""
    return {"start": seg.start_s, "end": seg.end_s, "reason": exc.message,
            "poison": isinstance(exc, PoisonCall)}  # fmt: skip


def gaps_of(store: JobStore, job_id: str) -> dict[int, dict[str, object]]:
    """The segments a job's last run left as gaps, by index (a resume retries them)."""
    stored = store.artifact(job_id, GAPS)
    return {int(k): v for k, v in stored.items()} if isinstance(stored, dict) else {}


def stored_gaps(ctx: JobContext) -> dict[int, dict[str, object]]:
    """The segments the running job's last recognition left as gaps, by index."""
    return gaps_of(ctx.store, ctx.job_id)


def empty_result(language: str, seg: Segment) -> TranscribeResult:
    """The stand-in for a segment left as a gap: no words (nothing stored, so a later run
    of the job sends its call again)."""
    return TranscribeResult(
        language=language, language_probability=0.0, duration=seg.end_s - seg.start_s,
        segments=[], model="", device="", compute_s=0.0,
    )  # fmt: skip


def segment_name(seg: Segment) -> str:
    """``segment 5 (1:16–1:37)``, as messages name a segment."""
    return f"segment {seg.index + 1} ({_clock(seg.start_s)}–{_clock(seg.end_s)})"


def _clock(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes:d}:{sec:02d}"


def call_audio(ctx: JobContext, seg: Segment, pcm: Pcm) -> str:
    """A segment's samples as its call carries them: base64 of a file in the job's codec,
    Opus when the FLAC would pass ``FLAC_LIMIT``."""
    data = encode_pcm(pcm, codec=ctx.spec.segment_codec)
    if len(data) > FLAC_LIMIT:
        log.info(
            "job %s: segment %d is %d bytes as FLAC; sending Opus", ctx.job_id, seg.index, len(data)
        )
        data = encode_pcm(pcm, codec="opus")
    return base64.b64encode(data).decode("ascii")


def _encode_from_file(ctx: JobContext, path: Path, stream_index: int, seg: Segment) -> str:
    return call_audio(ctx, seg, read_pcm(path, stream_index, seg.start_s, seg.end_s))


async def _audio_of(ctx: JobContext, path: Path, stream_index: int, seg: Segment) -> str:
    return await asyncio.to_thread(_encode_from_file, ctx, path, stream_index, seg)


class SegmentRecogniser:
    """Recognises single segments of one job's audio (stored results are reused, unsent)."""

    def __init__(
        self,
        ctx: JobContext,
        path: Path,
        stream_index: int,
        *,
        task: Literal["transcribe", "translate"] = "transcribe",
        stage: str = STAGE,
    ) -> None:
        self.ctx, self.path, self.stream_index = ctx, path, stream_index
        self.task, self.stage = task, stage
        self.kind = "asr" if task == "transcribe" else "asr-en"
        self.verb = "recognised" if task == "transcribe" else "translated"
        self.done = 0
        #: Segments of this run that failed on their own (a crash, bad audio): left as gaps.
        self.gaps: dict[int, dict[str, object]] = {}

    def known_language(self) -> str | None:
        """The spoken language without a call: the user's choice, or the one stored."""
        if self.ctx.spec.source_language:
            return self.ctx.spec.source_language
        stored = self.ctx.store.artifact(self.ctx.job_id, "language")
        return stored if isinstance(stored, str) else None

    async def language(self, first: Segment, audio: str | None = None) -> str:
        """The spoken language: the user's choice, or detected once on the first segment
        (``audio``: its encoded audio when the caller has it already)."""
        ctx = self.ctx
        if known := self.known_language():
            return known
        audio = audio or await _audio_of(ctx, self.path, self.stream_index, first)
        params = DetectLanguageParams(audio=audio, offset_s=first.start_s, model=ctx.spec.model)
        result = await ctx.call(DETECT_LANGUAGE, params, "lang", 0)
        ctx.store.put_artifact(ctx.job_id, "language", result.language)
        ctx.report(
            STAGE, 0.0, f"spoken language: {result.language} (p={result.language_probability:.2f})"
        )
        return result.language

    async def encoded(self, seg: Segment) -> str | None:
        """The segment's audio for its call (base64), or None when its result is stored."""
        if self.ctx.store.result(call_id(self.ctx.job_id, self.kind, seg.index)) is not None:
            return None
        return await _audio_of(self.ctx, self.path, self.stream_index, seg)

    async def segment(
        self, seg: Segment, language: str, total: int, audio: str | None = None
    ) -> TranscribeResult:
        """One segment's result (from the store when it is there); ``audio`` is its encoded
        audio when the caller has it already.

        A segment that fails on its own (it crashed its workers until it was given up, or
        its audio would not decode) is left as a gap: a warning names it, its result is
        empty, and nothing is stored, so ``vt jobs resume`` sends just its call again.

        Raises:
            NoWorker, BrokerError, Cancelled, ModelUnavailable: no segment can be recognised.
        """
        ctx = self.ctx
        stored = ctx.store.result(call_id(ctx.job_id, self.kind, seg.index))
        if stored is not None:
            result = TranscribeResult.model_validate(stored)
        else:
            params = TranscribeParams(
                audio=audio or await _audio_of(ctx, self.path, self.stream_index, seg),
                offset_s=seg.start_s, language=language, model=ctx.spec.model,
                word_timestamps=True, task=self.task,
                # Not forced by the user: a part in another language is heard in its own.
                check_language=not ctx.spec.source_language,
            )  # fmt: skip
            try:
                result = await ctx.call(TRANSCRIBE, params, self.kind, seg.index)
            except SYSTEMIC:
                raise
            except RpcError as exc:
                self.gaps[seg.index] = gap_record(seg, exc)
                ctx.warn(
                    self.stage,
                    f"{segment_name(seg)} could not be {self.verb} and is left as a gap: "
                    f"{exc.message} ('vt jobs resume {ctx.job_id}', or Retry gaps on the Jobs "
                    f"page, sends it again)",
                )
                result = empty_result(language, seg)
        for part in result.segments:
            if part.suspect:
                ctx.warn(
                    self.stage,
                    f"{segment_name(seg)}: the text at {_clock(part.start)} may be invented "
                    f"({part.suspect}); its lines are flagged for review",
                )
        self.done += 1
        ctx.report(self.stage, min(1.0, self.done / max(total, 1)),
                   f"{self.verb} {self.done} of {total} segments")  # fmt: skip
        return result


class EncodedAhead:
    """The segments' call audio, encoded in plan order, one at a time, up to ``room()``
    segments ahead of the calls that take it.

    Encoded inside each call's task, a segment's encoding counted against the calls in
    flight: a fast worker's call is short enough that the next call was often still being
    encoded when the worker finished the last, and the worker idled for much of the job
    (``bench/asr_throughput.py`` measures the calls' rate). One at a time, because side by
    side the encodings fought over the GIL (see ``streaming``).
    """

    def __init__(
        self, rec: SegmentRecogniser, segments: Sequence[Segment], room: Callable[[], int]
    ) -> None:
        self.rec, self.segments, self.room = rec, list(segments), room
        self.ready: dict[int, asyncio.Future[str | None]] = {}
        self.taken = 0
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self._encode())

    def _future(self, seg: Segment) -> asyncio.Future[str | None]:
        if seg.index not in self.ready:
            self.ready[seg.index] = asyncio.get_running_loop().create_future()
        return self.ready[seg.index]

    async def _encode(self) -> None:
        for ahead, seg in enumerate(self.segments):
            while ahead - self.taken >= self.room():
                self.wake.clear()
                await self.wake.wait()
            fut = self._future(seg)
            try:
                audio = await self.rec.encoded(seg)
            except Exception as exc:  # the call that takes it raises it, as if it had read it
                if not fut.done():
                    fut.set_exception(exc)
                continue
            if not fut.done():
                fut.set_result(audio)

    async def peek(self, seg: Segment) -> str | None:
        """The segment's call audio once it is encoded, left for the call that takes it."""
        return await asyncio.shield(self._future(seg))

    async def take(self, seg: Segment) -> str | None:
        """The segment's call audio (None: its result is stored).

        Raises:
            IntakeError: the audio cannot be read.
        """
        fut = self._future(seg)
        self.taken += 1
        self.wake.set()
        try:
            return await fut
        finally:
            self.ready.pop(seg.index, None)

    async def close(self) -> None:
        """Stop encoding (the job has ended, or failed)."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        for fut in self.ready.values():  # encoded, never taken: the job stopped first
            if fut.done() and not fut.cancelled():
                fut.exception()


def last_wave_longest_first(segments: Sequence[Segment], capacity: int) -> list[Segment]:
    """The order the segments' calls leave in: the plan's, but the last ``capacity`` (the
    last wave, one call for each worker) longest first.

    The job ends when its last call ends. In plan order a long segment can be among the last
    taken and keep one worker busy while every other idles; longest first, the last wave's
    short calls fill in behind the long ones (list scheduling's LPT rule, on the tail only so
    that results still come in about the plan's order). Simulated on the 286 segments of
    ``bench/fanout_scaling.py`` at 64 workers: the tail costs 4.5 s over the ideal 30 s in plan
    order, 3.0 s so (LPT over the whole plan: 2.9 s); no change at 1 to 4 workers.
    """
    cut = max(0, len(segments) - max(1, capacity))
    return [*segments[:cut], *sorted(segments[cut:], key=lambda s: -s.duration_s)]


async def recognise(
    ctx: JobContext,
    plan: SegmentPlan,
    language: str | None,
    *,
    task: Literal["transcribe", "translate"] = "transcribe",
    stage: str = STAGE,
) -> tuple[str, list[TranscribeResult]]:
    """Transcribe (or translate to English) every segment, as many in flight as the workers
    take; the spoken language and the results in segment order.

    ``language`` None: it is detected first (``SegmentRecogniser.language``) on the first
    segment's audio, while the segments behind it are already being encoded for their calls
    (awaited before, the detection held back the whole first wave: 0.9 s of a 36 s job at 64
    workers in ``bench/fanout_scaling.py``).

    Raises:
        SegmentFailed: a segment failed on every try (the message names it and says why).
    """
    rec = SegmentRecogniser(ctx, plan.path, plan.stream_index, task=task, stage=stage)
    results: dict[int, TranscribeResult] = {}
    total = len(plan.segments)
    order = last_wave_longest_first(plan.segments, ctx.capacity("asr"))
    ahead = EncodedAhead(rec, order, lambda: max(2, ctx.capacity("asr")))
    try:
        if language is None:
            first = plan.segments[0]
            language = rec.known_language() or await rec.language(first, await ahead.peek(first))
        spoken = language

        async def one(seg: Segment) -> None:
            results[seg.index] = await rec.segment(seg, spoken, total, await ahead.take(seg))

        await bounded_gather(order, one, lambda: ctx.in_flight("asr", AHEAD), ctx.events.heard)
    finally:
        await ahead.close()
    settle_gaps(ctx, plan.segments, rec.gaps, task)
    return language, [results[s.index] for s in plan.segments]


def settle_gaps(
    ctx: JobContext,
    segments: Sequence[Segment],
    gaps: dict[int, dict[str, object]],
    task: Literal["transcribe", "translate"] = "transcribe",
) -> None:
    """Store which segments this run left as gaps (none: a resumed run filled them all).

    Raises:
        SegmentFailed: every segment failed: there is nothing to subtitle.
    """
    if segments and len(gaps) == len(segments):
        first = segments[0]
        raise SegmentFailed(
            f"no segment could be recognised; {segment_name(first)}: {gaps[first.index]['reason']}"
        )
    if task == "transcribe":
        ctx.store.put_artifact(ctx.job_id, GAPS, {str(k): v for k, v in sorted(gaps.items())})


def snap_to_speech(
    start: float, end: float, speech: Sequence[tuple[float, float]]
) -> tuple[float, float]:
    """A word placed in a pause moves to where the speech resumes.

    Recognisers put the first word after a pause too early, often wholly inside the silence;
    the VAD knows where speech really resumes. Words inside a run of speech are left alone,
    and so is a word in a pause that no speech follows closely (within 2 s).
    """
    if not speech:
        return start, end
    k = bisect.bisect_right([a for a, _ in speech], start)
    if k > 0 and start < speech[k - 1][1]:
        return start, end
    if k < len(speech) and speech[k][0] - start <= 2.0:
        resume = speech[k][0]
        return resume, max(end, resume + min(end - start, 0.3))
    return start, end


def words_of(
    results: list[TranscribeResult], speech: Sequence[tuple[float, float]] = ()
) -> list[TimedWord]:
    """All recognised words in time order, as the subtitle layout takes them."""
    words: list[TimedWord] = []
    last_start = 0.0
    for res in results:
        for seg in res.segments:
            for w in seg.words:
                snapped, end = snap_to_speech(w.start, w.end, speech)
                start = max(snapped, last_start)
                end = max(end, start)
                words.append(
                    TimedWord(w.word, start, end, w.probability, seg.suspect, res.language)
                )
                last_start = start
    return words
