"""The pipeline runner: intake → plan → recognise (fan-out) → sentences → translate → write.

Every call's result is stored the moment it arrives, so a run that is killed, cancelled or
paused and started again sends only the calls whose results are missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.jobs.options import translates_speech
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.languages import primary_language as primary
from vt_desktop.core.media import (
    MediaInfo,
    Segment,
    SegmentPlan,
    pick_audio_stream,
    probe,
)
from vt_desktop.core.pipeline.context import CallPolicy, JobContext
from vt_desktop.core.pipeline.dub import dub_outputs
from vt_desktop.core.pipeline.events import EtaClock, EventSink, stage_weights
from vt_desktop.core.pipeline.recognise import recognise, words_of
from vt_desktop.core.pipeline.streaming import plan_and_recognise
from vt_desktop.core.pipeline.translate import require_translatable, translate
from vt_desktop.core.pipeline.write import write_outputs
from vt_desktop.core.subtitles import Sentence, build_sentences
from worker.protocol.asr import TranscribeResult
from worker.protocol.errors import RpcError
from worker.transport.client import RpcClient
from worker.transport.events import EventStream

log = logging.getLogger(__name__)


class JobFailed(VtError, RuntimeError):
    """Raised when a job cannot finish; the message says why in plain words."""


def failure_message(exc: Exception) -> str | None:
    """What a job that ``exc`` ended tells the user, or None when ``exc`` is a bug.

    The app's own errors (:class:`VtError`) and the workers' (:class:`RpcError`) say why in
    plain words; so does an ``OSError`` (a file the job reads or writes could not be: a full
    disk, a folder it may not write to). Anything else is an internal error.
    """
    if isinstance(exc, RpcError):
        return exc.message
    if isinstance(exc, VtError | OSError):
        return str(exc)
    return None


@dataclass(frozen=True)
class JobOutcome:
    """What one run of a job produced and what it cost on the wire."""

    outputs: list[Path]
    calls_sent: int
    results_reused: int
    warnings: list[str]


def _languages_of(sentences: list[Sentence], language: str) -> list[str]:
    """The languages the sentences were spoken in: the recording's first, then the others
    in order of appearance."""
    found = dict.fromkeys([language, *(s.language or language for s in sentences)])
    return list(found)


class PipelineRunner:
    """Runs jobs from the store against the workers behind ``rpc``."""

    def __init__(
        self,
        rpc: RpcClient,
        events: EventStream,
        store: JobStore,
        *,
        max_file_size: int,
        sink: EventSink | None = None,
        policy: CallPolicy | None = None,
    ) -> None:
        self.rpc = rpc
        self.events = events
        self.store = store
        self.max_file_size = max_file_size
        self.sink = sink
        self.policy = policy or CallPolicy()
        self.contexts: dict[str, JobContext] = {}
        #: Jobs whose cancellation means "the app is closing", not "the user cancelled".
        self.interrupted: set[str] = set()
        self._leaving: set[asyncio.Future[None]] = set()

    async def run(self, job_id: str) -> JobOutcome:
        """Run (or resume) one job to its end, sending only calls whose results are missing.

        Raises:
            JobFailed: the job failed (its state in the store says so too, and its outputs
                are removed): with the message of the app's or a worker's error, or
                ``internal error: …`` for any other exception (its traceback is logged).
            asyncio.CancelledError: the job was cancelled (workers told, outputs removed).
        """
        record = self.store.get(job_id)
        ctx = JobContext(job_id, record.spec, self.rpc, self.events, self.store, self.sink,
                         policy=self.policy)  # fmt: skip
        ctx.clock = EtaClock(stage_weights(dub=record.spec.dub))
        # Each run says its warnings afresh: what failed before is tried again (a gap, an
        # untranslated batch), and what is reused from the store warns again as it is read.
        reused = self.store.result_count(job_id)
        self.contexts[job_id] = ctx
        self.store.update(job_id, state=JobState.RUNNING, error=None, warnings=[])
        try:
            outputs = await self._stages(ctx)
        except asyncio.CancelledError:
            if job_id in self.interrupted:  # the app is closing: keep the job to resume
                self.interrupted.discard(job_id)
                self.store.update(job_id, state=JobState.QUEUED)
            else:
                await self._cancelled(ctx)
            raise
        except Exception as exc:
            message = failure_message(exc)
            if message is None:
                log.exception("job %s: internal error in stage %s", job_id, ctx.clock_stage)
                message = f"internal error: {type(exc).__name__}: {exc} (traceback in the log)"
            self._remove_written(ctx)  # a failed job leaves no part of its outputs behind
            self.store.update(job_id, state=JobState.FAILED, error=message)
            ctx.report(ctx.clock_stage, ctx.clock.done.get(ctx.clock_stage, 0.0), message, "ERROR")
            raise JobFailed(message) from exc
        finally:
            self.contexts.pop(job_id, None)
            if not self.contexts:  # no job of this client calls the workers now
                self._leave_soon()
        self.store.update(
            job_id, state=JobState.DONE, progress=1.0, outputs=[str(p) for p in outputs]
        )
        note = f"; {len(ctx.warnings)} warning(s)" if ctx.warnings else ""
        ctx.report("write", 1.0, f"done: {len(outputs)} file(s) written{note}")
        log.info(
            "job %s done: %d call(s) sent, %d result(s) reused", job_id, ctx.calls_sent, reused
        )
        return JobOutcome(outputs, ctx.calls_sent, reused, list(ctx.warnings))

    def _leave_soon(self) -> None:
        """Tell the workers this client has no calls left (``RpcClient.leave``), without
        holding up the job's end: the other clients sharing them take its share."""
        task = asyncio.ensure_future(self.rpc.leave())
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)

    async def settle(self) -> None:
        """Let the ``leave`` messages sent as jobs ended go out before the link closes
        (each is bounded by its own timeout)."""
        if self._leaving:
            await asyncio.gather(*self._leaving, return_exceptions=True)

    async def _stages(self, ctx: JobContext) -> list[Path]:
        if translates_speech(ctx.spec.engine) and (
            others := [t for t in ctx.spec.targets if primary(t) != "en"]
        ):
            raise JobFailed(
                f"the whisper engine translates speech into English only; choose another "
                f"engine for {', '.join(others)}"
            )
        if ctx.spec.source_language:  # a target no engine translates is refused before work
            await require_translatable(
                self.rpc, ctx.spec.source_language, ctx.spec.targets, ctx.spec.engine,
                worker_wait_s=self.policy.worker_wait_s,
            )  # fmt: skip
        ctx.clock_stage = "intake"
        info = await asyncio.to_thread(probe, ctx.spec.input, max_size=self.max_file_size)
        ctx.report("intake", 1.0, f"{info.container}, {info.duration_s:.1f} s")
        ctx.clock_stage = "plan"
        stream = (
            ctx.spec.audio_stream
            if ctx.spec.audio_stream is not None
            else pick_audio_stream(info, [ctx.spec.source_language or ""]).index
        )
        plan = self._stored_plan(ctx, info, stream)
        language: str | None = None
        results: list[TranscribeResult] = []
        if plan is None:  # plan and recognise at once; keep the plan for a resume
            plan, language, results = await plan_and_recognise(ctx, info, stream)
            self._store_plan(ctx, plan)
        elif plan.segments:
            ctx.clock_stage = "recognise"
            language, results = await recognise(ctx, plan, None)
        if not plan.segments or language is None:
            ctx.warn("recognise", "no speech was found: the subtitles are empty")
            return await write_outputs(ctx, info, {lang: [] for lang in ctx.spec.targets})
        if ctx.spec.transcribe and not ctx.spec.targets:  # a transcript: the spoken language
            ctx.spec = self.store.set_targets(ctx.job_id, [language])
        sentences = build_sentences(words_of(results, plan.speech), language)
        spoken = _languages_of(sentences, language)
        if len(spoken) > 1:
            counts = Counter(s.language or language for s in sentences)
            heard = ", ".join(f"{code} ({counts[code]} sentences)" for code in spoken)
            ctx.report("recognise", 1.0, f"spoken languages: {heard}")
        if not ctx.spec.source_language and not ctx.spec.transcribe:
            # Now the spoken languages are known (a recording may hold several): check that
            # each of them translates into each target before anything is translated.
            for spoken_in in spoken:
                targets = [t for t in ctx.spec.targets if primary(t) != primary(spoken_in)]
                await require_translatable(
                    self.rpc, spoken_in, targets, ctx.spec.engine,
                    worker_wait_s=self.policy.worker_wait_s,
                )  # fmt: skip
        ctx.clock_stage = "translate"
        if translates_speech(ctx.spec.engine) and not ctx.spec.transcribe:
            per_lang = await self._whisper_translate(ctx, plan, language)
        else:
            per_lang = await translate(ctx, sentences, language)
        ctx.clock_stage = "write"
        outputs = await write_outputs(ctx, info, per_lang)
        if ctx.spec.dub:
            ctx.clock_stage = "dub"
            outputs = list(
                dict.fromkeys([*outputs, *await dub_outputs(ctx, info, stream, per_lang)])
            )
        return outputs

    async def _whisper_translate(
        self, ctx: JobContext, plan: SegmentPlan, language: str
    ) -> dict[str, list[Sentence]]:
        """Whisper's own translation into English, done by a second recognition pass."""
        _, results = await recognise(ctx, plan, language, task="translate", stage="translate")
        english = build_sentences(words_of(results, plan.speech), "en")
        return {t: [replace(s, translation=s.text) for s in english] for t in ctx.spec.targets}

    def _stored_plan(self, ctx: JobContext, info: MediaInfo, stream: int) -> SegmentPlan | None:
        stored = self.store.artifact(ctx.job_id, "plan")
        if not isinstance(stored, dict):
            return None
        segments = tuple(Segment(i, a, b) for i, (a, b) in enumerate(stored["segments"]))
        speech = tuple((a, b) for a, b in stored.get("speech", []))
        ctx.report("plan", 1.0, f"{len(segments)} segment(s) (stored plan)")
        return SegmentPlan(
            info.path, stream, stored["duration_s"], stored["speech_s"], segments, speech
        )

    def _store_plan(self, ctx: JobContext, plan: SegmentPlan) -> None:
        self.store.put_artifact(ctx.job_id, "plan", {
            "duration_s": plan.duration_s,
            "speech_s": plan.speech_s,
            "segments": [[s.start_s, s.end_s] for s in plan.segments],
            "speech": [list(run) for run in plan.speech],
        })  # fmt: skip

    async def _cancelled(self, ctx: JobContext) -> None:
        with contextlib.suppress(Exception):
            await self.rpc.cancel(job_id=ctx.job_id)
        self._remove_written(ctx)
        self.store.update(ctx.job_id, state=JobState.CANCELLED)
        ctx.report(
            ctx.clock_stage, ctx.clock.done.get(ctx.clock_stage, 0.0), "cancelled", "WARNING"
        )

    @staticmethod
    def _remove_written(ctx: JobContext) -> None:
        for path in ctx.written:
            with contextlib.suppress(OSError):
                path.unlink()

    def pause(self, job_id: str) -> None:
        """Stop sending new calls of a running job (calls in flight still finish and count)."""
        if (ctx := self.contexts.get(job_id)) is not None:
            ctx.resume.clear()
            self.store.update(job_id, state=JobState.PAUSED)

    def unpause(self, job_id: str) -> None:
        """Let a paused job send calls again."""
        if (ctx := self.contexts.get(job_id)) is not None:
            ctx.resume.set()
            self.store.update(job_id, state=JobState.RUNNING)
