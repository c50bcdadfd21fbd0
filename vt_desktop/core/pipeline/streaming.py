"""Plan and recognise at once: segments go to the workers as the VAD finds them.

The plan of a long file takes a second or more of the client's CPU; recognition need not
wait for it. The first segment's call leaves after ~30 s of audio has been analysed, and the
plan, once complete, is stored so a resumed job does not analyse the file again.

Each segment's call audio is encoded in the planning thread from the samples the plan has
just decoded, so the file is decoded once, not twice. The planner waits while the workers
are behind (a few segments ready is enough), so encoded audio never piles up in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.media import MediaInfo, Segment, SegmentPlan, pick_audio_stream, probe
from vt_desktop.core.media.envelope import envelope_path
from vt_desktop.core.media.plan import SegmentStream
from vt_desktop.core.pipeline.context import JobContext, wait_for_room
from vt_desktop.core.pipeline.recognise import AHEAD, SegmentRecogniser, call_audio, settle_gaps
from worker.protocol.asr import TranscribeResult
from worker.transport.client import RpcClient
from worker.transport.events import EventStream

log = logging.getLogger(__name__)
#: A segment and its call's audio (None: stored already, or to be read from the file again).
Item = tuple[Segment, str | None] | BaseException | None
#: Seconds of the planner's decoded audio kept at hand to cut segments from (9 MB of samples):
#: a segment is found well within this of the newest audio unless a long silence follows it.
KEEP_S = 150.0


class PlanAbandoned(Exception):
    """Raised inside the planning thread to stop it when the job is cancelled."""


async def plan_and_recognise(
    ctx: JobContext, info: MediaInfo, stream_index: int
) -> tuple[SegmentPlan, str | None, list[TranscribeResult]]:
    """The plan, the spoken language (None when nobody speaks) and every segment's result.

    Segments that fail on their own are left as gaps (see ``SegmentRecogniser.segment``).

    Raises:
        SegmentFailed: no segment could be recognised.
        IntakeError: the audio cannot be decoded.
    """
    return await _Streaming(ctx, info, stream_index).run()


class _Streaming:
    def __init__(self, ctx: JobContext, info: MediaInfo, stream_index: int) -> None:
        self.ctx = ctx
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.stop = threading.Event()
        self.total_s = max(info.duration_s, 1e-6)
        self.analysed = 0.0
        self.stream = SegmentStream(
            info.path, stream_index, on_progress=self._progress, keep_s=KEEP_S,
            envelope_to=envelope_path(ctx.store.path.parent, ctx.job_id),  # Review's waveform
        )  # fmt: skip
        self.rec = SegmentRecogniser(ctx, info.path, stream_index)
        self.stored = ctx.store.stored_keys(ctx.job_id, self.rec.kind)
        # Segments planned and encoded but not yet taken by the event loop: the planner
        # waits when the workers fall behind, so encoded audio never piles up in memory.
        self.room = threading.Semaphore(max(2, ctx.capacity("asr")))
        self.reused = 0
        self.segments: list[Segment] = []
        self.results: dict[int, TranscribeResult] = {}
        self.running: set[asyncio.Task[None]] = set()

    def _progress(self, seconds: float) -> None:  # in the planning thread
        if self.stop.is_set():
            raise PlanAbandoned
        self.analysed = seconds
        self.loop.call_soon_threadsafe(self.ctx.report, "plan", min(1.0, seconds / self.total_s))

    def _produce(self) -> None:  # in the planning thread
        put = self.queue.put_nowait
        try:
            for seg in self.stream:
                while not self.room.acquire(timeout=0.1):
                    if self.stop.is_set():
                        raise PlanAbandoned
                self.loop.call_soon_threadsafe(put, (seg, self._audio(seg)))
            self.loop.call_soon_threadsafe(put, None)
        except PlanAbandoned:
            pass
        except BaseException as exc:  # handed to the event loop, raised there
            self.loop.call_soon_threadsafe(put, exc)

    def _audio(self, seg: Segment) -> str | None:  # in the planning thread
        """The segment's call audio, encoded from the samples the plan has just decoded
        (decoding the file a second time cost more than the encoding); None when its result
        is stored or the samples are no longer at hand."""
        if str(seg.index) in self.stored or (pcm := self.stream.pcm(seg)) is None:
            return None
        self.reused += 1
        return call_audio(self.ctx, seg, pcm)

    def _expected(self) -> int:
        """Segments so far, scaled up by how much of the file is still to analyse."""
        share = self.analysed / self.total_s
        found = len(self.segments)
        return max(found, round(found / share) if share > 0.05 else 0)

    async def _one(self, seg: Segment, language: str, audio: str | None = None) -> None:
        self.results[seg.index] = await self.rec.segment(seg, language, self._expected(), audio)

    async def _make_room(self) -> None:
        while len(self.running) >= self.ctx.in_flight("asr", AHEAD):
            # re-read at each heartbeat too: a new job's first calls are half the capacity
            # until a worker lists this client, which it says at once (JobContext.in_flight)
            done = await wait_for_room(self.running, self.ctx.events.heard)
            self.running -= done
            for task in done:
                task.result()

    async def _send(self, held: list[tuple[Segment, str | None]], language: str) -> None:
        """Start recognising the ``held`` segments (as room allows) and empty the list.

        Several at once are all encoded first and then sent together: sent as each encoding
        finished, the calls of a video's first wave reached the worker up to half a second
        apart and the first one ran alone.
        """
        if len(held) > 1:  # one at a time: side by side, they fought over the GIL
            held[:] = [(seg, audio or await self.rec.encoded(seg)) for seg, audio in held]
        for seg, audio in held:
            await self._make_room()
            self.running.add(asyncio.create_task(self._one(seg, language, audio)))
        held.clear()

    async def run(self) -> tuple[SegmentPlan, str | None, list[TranscribeResult]]:
        producer = asyncio.ensure_future(asyncio.to_thread(self._produce))
        language: str | None = None
        # The first wave waits until it fills the workers (or the plan ends): sent one by one
        # as the VAD finds them, the first segment ran alone and the rest waited a whole model
        # call for it (on a CPU a batch of one recognises half as much audio per second).
        held: list[tuple[Segment, str | None]] = []
        try:
            while (item := await self.queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                self.room.release()
                seg, audio = item
                self.segments.append(seg)
                language = language or await self.rec.language(seg, audio)
                held.append(item)
                if len(held) == len(self.segments) < self.ctx.capacity("asr"):
                    continue
                await self._send(held, language)
            if language is not None:
                await self._send(held, language)
            for task in asyncio.as_completed(self.running):
                await task
        finally:
            self.stop.set()
            for task in self.running:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self.running, producer, return_exceptions=True)
        plan = self.stream.plan(tuple(self.segments))
        settle_gaps(self.ctx, plan.segments, self.rec.gaps)
        log.debug("job %s: %d of %d segment(s) encoded from the plan's samples",
                  self.ctx.job_id, self.reused, len(plan.segments))  # fmt: skip
        self.ctx.report("plan", 1.0, f"{len(plan.segments)} segment(s), "
                                     f"{plan.speech_s:.0f} s of speech")  # fmt: skip
        return plan, language, [self.results[s.index] for s in plan.segments]


async def transcribe_file(
    rpc: RpcClient,
    events: EventStream,
    store: JobStore,
    path: Path,
    *,
    model: str | None = None,
    language: str | None = None,
    max_file_size: int = 1 << 40,
) -> tuple[SegmentPlan, list[TranscribeResult]]:
    """The fan-out step on its own: plan a file and recognise all of it over every worker,
    segments leaving as the plan finds them.

    Results are stored under a fresh job in ``store`` as they arrive.

    Raises:
        IntakeError: the file cannot be used.
        SegmentFailed: no segment could be recognised.
    """
    info = await asyncio.to_thread(probe, path, max_size=max_file_size)
    stream = pick_audio_stream(info).index
    spec = JobSpec(
        input=path, targets=["en"], out_dir=path.parent, model=model, source_language=language
    )
    job_id = store.create_job(spec)
    ctx = JobContext(job_id, spec, rpc, events, store)
    plan, _, results = await plan_and_recognise(ctx, info, stream)
    return plan, results
