"""What the speech engine takes and gives back (times relative to the segment's start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from worker.engines.asr.audio import SAMPLE_RATE, Samples

Checkpoint = Callable[[], None]
ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class TranscribeRequest:
    """One segment to transcribe and how.

    ``checkpoint`` raises (Cancelled, DeadlinePassed) to stop work; it is called between
    decoded segments. ``progress`` receives the fraction of the audio done. ``call_id`` names
    the call in the engine's log lines. ``check_hallucinations`` False gives the segments as
    the model decoded them, unchecked (for comparisons; see ``hallucination``).
    ``check_language`` with a ``language`` given: the segment is transcribed in the language
    it is confidently spoken in when that is another (a recording in several languages).
    """

    audio: Samples
    language: str | None = None
    check_language: bool = False
    task: str = "transcribe"
    word_timestamps: bool = True
    initial_prompt: str | None = None
    beam_size: int = 5
    checkpoint: Checkpoint | None = None
    progress: ProgressFn | None = None
    call_id: str = "-"
    check_hallucinations: bool = True

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return float(self.audio.shape[0]) / SAMPLE_RATE


@dataclass(frozen=True)
class WordTiming:
    """One word with its times in seconds from the start of the segment."""

    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class SpeechSegment:
    """One stretch of recognised speech, times in seconds from the start of the segment.

    ``avg_logprob`` and ``no_speech_prob`` are the decoder's own figures for the window the
    segment came from (faster-whisper's); ``suspect`` says why the segment may be invented
    (None: nothing found; see ``hallucination``).
    """

    start: float
    end: float
    text: str
    words: list[WordTiming] = field(default_factory=list)
    avg_logprob: float = field(default=0.0, compare=False)
    no_speech_prob: float = field(default=0.0, compare=False)
    suspect: str | None = None


@dataclass(frozen=True)
class Transcript:
    """The recognised speech of one segment and what it cost."""

    language: str
    language_probability: float
    duration: float
    segments: list[SpeechSegment]
    model: str
    device: str
    compute_s: float
    batch_size: int = 1


@dataclass(frozen=True)
class LanguageGuess:
    """The detected language, its probability, and the best candidates."""

    language: str
    probability: float
    candidates: list[tuple[str, float]]
    duration: float
    model: str
