"""The ``asr`` service: detect the language of, and transcribe, one audio segment per call.

The model loads lazily on the first call and stays in memory. Transcribe calls that wait at
the same time (the worker consumes with prefetch > 1 on a GPU) share batched model calls;
with prefetch 1 each call runs alone, with no added latency either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from worker.engines.asr import (
    MicroBatcher,
    TranscribeRequest,
    Transcript,
    WhisperEngine,
    decode_segment,
)
from worker.engines.asr.device import COMPUTE_TYPES
from worker.engines.models import ModelManager
from worker.protocol.asr import (
    DETECT_LANGUAGE,
    TRANSCRIBE,
    DetectLanguageParams,
    DetectLanguageResult,
    LanguageProbability,
    Segment,
    TranscribeParams,
    TranscribeResult,
    Word,
)
from worker.protocol.errors import ModelUnavailable
from worker.services.base import BaseService, ServiceSettings, WorkerInfo, current_call, rpc_method

log = logging.getLogger(__name__)


class AsrSettings(ServiceSettings):
    """Settings of the ``asr`` service (one flat section of the worker's config file)."""

    model: str = Field(default="base", min_length=1, max_length=512)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "auto"
    cpu_threads: int = Field(default=0, ge=0, le=256, description="0: every core")
    #: Copies of the model on the CPU that recognise parts of a batch side by side, sharing
    #: ``cpu_threads``; 0 chooses (two when there are two threads or more). The copies share
    #: one set of weights; each adds only its working memory.
    replicas: int = Field(default=0, ge=0, le=16)
    batch_size: int = Field(default=8, ge=1, le=64)
    #: After an idle spell, how long a batch waits for one more call to arrive (each arrival
    #: waits again), and the most it waits in all; only when the worker takes several calls
    #: at once. See ``worker.engines.asr.micro_batcher``.
    batch_window_s: float = Field(default=0.25, ge=0.0, le=2.0)
    batch_gather_max_s: float = Field(default=1.0, ge=0.0, le=10.0)
    allow_download: bool = True

    @field_validator("compute_type")
    @classmethod
    def _known_compute_type(cls, value: str) -> str:
        if value not in COMPUTE_TYPES:
            raise ValueError(f"compute_type must be one of {', '.join(COMPUTE_TYPES)}")
        return value


@dataclass(frozen=True)
class _Job:
    model: str
    request: TranscribeRequest


class AsrService(BaseService):
    """Speech recognition with faster-whisper."""

    name = "asr"
    builtin = True
    Settings = AsrSettings

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        super().__init__(settings, worker)
        config = AsrSettings.model_validate(settings.model_dump())
        self.config = config
        self.models = ModelManager.for_worker_cache(
            worker.cache_dir, allow_download=config.allow_download
        )
        self.engine = WhisperEngine(
            self.models,
            default_model=config.model,
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            replicas=config.replicas,
        )
        self.batcher: MicroBatcher[_Job, Transcript] = MicroBatcher(
            self._run_batch,
            config.batch_size,
            key=lambda job: job.model,
            gather_s=config.batch_window_s if worker.prefetch > 1 else 0.0,
            max_gather_s=config.batch_gather_max_s if worker.prefetch > 1 else 0.0,
        )

    async def start(self) -> None:
        """Settle the device now, so presence tells the truth from the first heartbeat (with
        a GPU visible this is a tiny test load; without one it is instant)."""
        try:
            await self.run_blocking(self.engine.decide_device)
        except ModelUnavailable as exc:  # calls will answer with the same reason
            log.error("asr: %s", exc.message)

    async def stop(self) -> None:
        """Fail every call still waiting for a batch."""
        await self.batcher.close()

    def capabilities(self) -> dict[str, Any]:
        """Models usable offline, and where inference runs (with a notice when on the CPU)."""
        choice = self.engine.device_choice
        device = choice.device if choice else ("cpu" if self.config.device == "cpu" else "auto")
        return {
            "models": self.models.installed_names(),
            "device": device,
            "device_notice": choice.notice if choice else None,
        }

    @rpc_method(DETECT_LANGUAGE)
    async def detect_language(self, p: DetectLanguageParams) -> DetectLanguageResult:
        """Detect the language spoken in the segment.

        Raises:
            UnsupportedMedia: the audio cannot be decoded.
            ModelUnavailable: the model cannot be found or loaded.
        """
        current_call().check_cancelled()
        audio = await self.run_blocking(decode_segment, p.audio_bytes())
        guess = await self.run_blocking(self.engine.detect_language, audio, p.model)
        return DetectLanguageResult(
            language=guess.language,
            language_probability=guess.probability,
            candidates=[
                LanguageProbability(language=c, probability=q) for c, q in guess.candidates
            ],
            duration=guess.duration,
            model=guess.model,
        )

    @rpc_method(TRANSCRIBE)
    async def transcribe(self, p: TranscribeParams) -> TranscribeResult:
        """Transcribe (or translate to English) the segment; times in the result are absolute.

        Raises:
            UnsupportedMedia: the audio cannot be decoded.
            ModelUnavailable: the model cannot be found or loaded.
            InvalidParams: a non-English language asked of an English-only model.
            Cancelled: the call or its job was cancelled.
        """
        ctx = current_call()
        ctx.check_cancelled()
        self.batcher.announce()  # a batch about to start waits for this one's audio
        try:
            audio = await self.run_blocking(decode_segment, p.audio_bytes())
        finally:
            self.batcher.arrived()
        request = TranscribeRequest(
            audio=audio,
            language=p.language,
            check_language=p.check_language,
            task=p.task,
            word_timestamps=p.word_timestamps,
            initial_prompt=p.initial_prompt,
            beam_size=p.beam_size,
            checkpoint=ctx.check_cancelled,
            progress=lambda fraction: ctx.progress(fraction, "transcribing"),
            call_id=ctx.call_id,
        )
        transcript = await self.batcher.submit(_Job(p.model or self.config.model, request))
        log.info(
            "asr.transcribe id=%s %.1fs of audio in %.2fs (batch of %d)",
            ctx.call_id,
            transcript.duration,
            transcript.compute_s,
            transcript.batch_size,
        )
        return to_result(transcript, p.offset_s)

    async def _run_batch(self, jobs: list[_Job]) -> list[Transcript | Exception]:
        requests = [job.request for job in jobs]
        return await self.run_blocking(self.engine.transcribe_batch, requests, jobs[0].model)


def to_result(transcript: Transcript, offset_s: float) -> TranscribeResult:
    """The wire result of ``transcript``, every time moved to the recording's clock."""

    def at(t: float) -> float:
        return round(t + offset_s, 3)

    segments = [
        Segment(
            start=at(s.start),
            end=at(s.end),
            text=s.text,
            words=[
                Word(start=at(w.start), end=at(w.end), word=w.word, probability=w.probability)
                for w in s.words
            ],
            suspect=s.suspect,
        )
        for s in transcript.segments
    ]
    return TranscribeResult(
        language=transcript.language,
        language_probability=transcript.language_probability,
        duration=transcript.duration,
        segments=segments,
        model=transcript.model,
        device=transcript.device,
        compute_s=round(transcript.compute_s, 4),
        batch_size=transcript.batch_size,
    )
