"""A Whisper model in memory, and what the one-segment and batched decodes share.

``whisper`` loads models and transcribes a segment alone; ``batched_decode`` runs several
segments through one model call. Both take a ``LoadedWhisper``, turn faster-whisper's segments
into ours with ``segment_from_whisper``, decode a suspect segment again with ``redecode`` and
keep to the same limits (``BATCHABLE_MAX_S``, ``SWITCH_P``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from worker.engines.asr.types import Checkpoint, SpeechSegment, TranscribeRequest, WordTiming

#: Segments longer than one Whisper window are transcribed alone (a batch chunk is one window).
BATCHABLE_MAX_S = 30.0
#: faster-whisper's default temperatures: a window whose decode fails its checks (compression
#: ratio, log-probability) is decoded again, hotter.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
#: A part of a recording is transcribed in another language than the one expected only when
#: the model is at least this sure of it. Whole clips of real speech score 0.93-1.0 in their
#: language; the first 2.5 s of the same clips often score under 0.8 and name another.
SWITCH_P = 0.8


@dataclass(frozen=True)
class Replica:
    """One copy of a model in memory, with the pipeline that batches it and the lock that
    serialises its use (the batched pipeline keeps state)."""

    model: Any  # faster_whisper.WhisperModel
    pipeline: Any  # faster_whisper.BatchedInferencePipeline
    lock: threading.Lock


@dataclass(frozen=True)
class LoadedWhisper:
    """A model in memory with the pipeline that batches it.

    ``lock`` serialises transcriptions of this model (the batched pipeline keeps state).
    ``spares`` are further copies on the CPU: a batch is split over all copies, which run
    side by side with ``threads`` threads each on one shared set of weights (see
    ``whisper.WhisperEngine`` and ``whisper._sharing_weights``).
    """

    name: str
    model: Any  # faster_whisper.WhisperModel
    pipeline: Any  # faster_whisper.BatchedInferencePipeline
    device: str
    multilingual: bool
    load_s: float
    lock: threading.Lock
    spares: tuple[Replica, ...] = field(default=())

    @property
    def replicas(self) -> tuple[Replica, ...]:
        """Every copy, the first one first."""
        return (Replica(self.model, self.pipeline, self.lock), *self.spares)


def redecode(
    model: Any, request: TranscribeRequest, language: str, checkpoint: Checkpoint | None = None
) -> list[SpeechSegment]:
    """``request``'s audio decoded afresh, for a call whose first decode looks invented.

    Sequential ``WhisperModel.transcribe`` with the temperature fallback, conditioned on
    nothing said earlier: neither on its own previous windows nor on the prompt (text said
    before the segment, which is how a loop in the prompt becomes a loop in the text).
    ``checkpoint`` is called between decoded segments.
    """
    segments_iter, _ = model.transcribe(
        request.audio,
        language=language,
        task=request.task,
        beam_size=request.beam_size,
        word_timestamps=request.word_timestamps,
        temperature=list(FALLBACK_TEMPERATURES),
        condition_on_previous_text=False,
        vad_filter=False,
    )
    segments = []
    for raw in segments_iter:
        segments.append(segment_from_whisper(raw, 0.0))
        if checkpoint is not None:
            checkpoint()
    return segments


def segment_from_whisper(raw: Any, shift: float) -> SpeechSegment:
    """A faster-whisper segment as ours, its times moved back by ``shift`` seconds."""
    words = [
        WordTiming(
            start=max(0.0, round(float(w.start) - shift, 3)),
            end=max(0.0, round(float(w.end) - shift, 3)),
            word=str(w.word),
            probability=float(w.probability),
        )
        for w in (raw.words or [])
    ]
    return SpeechSegment(
        start=max(0.0, round(float(raw.start) - shift, 3)),
        end=max(0.0, round(float(raw.end) - shift, 3)),
        text=str(raw.text).strip(),
        words=words,
        avg_logprob=float(raw.avg_logprob),
        no_speech_prob=float(raw.no_speech_prob),
    )
