"""Declarations of the ``asr`` service: language detection and transcription of one segment.

A call carries one short audio segment as base64 of a compact encoded file (Ogg/Opus, FLAC,
WAV…; at most ``MAX_AUDIO_BYTES`` once decoded from base64) plus ``offset_s``, the segment's
start in the whole recording, so every time in a result is absolute.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from worker.protocol.methods import Method

#: The largest encoded audio segment one call may carry (bytes, before base64).
MAX_AUDIO_BYTES = 1 << 20
#: The longest base64 text that can hold ``MAX_AUDIO_BYTES``.
MAX_AUDIO_BASE64_CHARS = 4 * ((MAX_AUDIO_BYTES + 2) // 3)
#: Offsets beyond two days are a caller's bug, not a recording.
MAX_OFFSET_S = 172_800.0

#: The language codes Whisper knows (its tokenizer's list).
# fmt: off
WHISPER_LANGUAGES: frozenset[str] = frozenset((
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy",
    "da", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw",
    "he", "hi", "hr", "ht", "hu", "hy", "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn",
    "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi", "mk", "ml", "mn", "mr", "ms", "mt",
    "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru", "sa", "sd", "si",
    "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl",
    "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh", "yue",
))
# fmt: on

#: A model: a catalogue name (``base``, ``large-v3``), a Hugging Face repo id, or a directory.
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


def _decode_base64_audio(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("audio must be standard base64 (A-Z a-z 0-9 + /, padded with =)") from None
    if not data:
        raise ValueError("audio is empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise ValueError(f"audio is {len(data)} bytes; one call carries at most {MAX_AUDIO_BYTES}")
    return data


class AudioSegmentParams(BaseModel):
    """One encoded audio segment and where it starts in the whole recording."""

    model_config = ConfigDict(extra="forbid", strict=True)

    audio: str = Field(
        min_length=4,
        max_length=MAX_AUDIO_BASE64_CHARS,
        description="base64 of an encoded audio file (Ogg/Opus, FLAC, WAV…), at most 1 MiB",
    )
    offset_s: float = Field(default=0.0, ge=0.0, le=MAX_OFFSET_S)
    model: ModelName | None = Field(
        default=None, description="model to use; None means the worker's configured model"
    )

    @field_validator("audio")
    @classmethod
    def _audio_is_base64(cls, value: str) -> str:
        _decode_base64_audio(value)
        return value

    def audio_bytes(self) -> bytes:
        """The encoded audio file carried by this call."""
        return _decode_base64_audio(self.audio)


def _known_language(value: str | None) -> str | None:
    if value is not None and value not in WHISPER_LANGUAGES:
        raise ValueError(f"unknown language code {value!r}; use a Whisper code such as 'en'")
    return value


class DetectLanguageParams(AudioSegmentParams):
    """Detect the spoken language of a segment (its first 30 seconds)."""


class LanguageProbability(BaseModel):
    """One candidate language and the model's probability for it."""

    language: str
    probability: float


class DetectLanguageResult(BaseModel):
    """The most likely language and the next best candidates."""

    language: str
    language_probability: float
    candidates: list[LanguageProbability]
    duration: float
    model: str


class TranscribeParams(AudioSegmentParams):
    """Transcribe (or translate to English) one segment."""

    language: str | None = Field(default=None, description="Whisper code; None detects it")
    check_language: bool = Field(
        default=False,
        description=(
            "with a language given: check what each part of the segment is spoken in too, "
            "and transcribe a part confidently in another language in that language (the "
            "result's language says which)"
        ),
    )
    task: Literal["transcribe", "translate"] = "transcribe"
    word_timestamps: bool = True
    initial_prompt: str | None = Field(
        default=None, max_length=2000, description="text said before this segment, for context"
    )
    beam_size: int = Field(default=5, ge=1, le=10)

    @field_validator("language")
    @classmethod
    def _language_is_known(cls, value: str | None) -> str | None:
        return _known_language(value)


class Word(BaseModel):
    """One recognised word with absolute times in seconds."""

    start: float
    end: float
    word: str
    probability: float


class Segment(BaseModel):
    """One recognised stretch of speech with absolute times in seconds.

    ``suspect`` is set when the worker's checks found the text may be invented (a loop,
    text that compresses too well, a decode the model itself doubted where it heard no
    speech, words where the voice detector heard none) and kept it because speech lies
    under it; it says why in plain words, e.g. "repeats 'thank you' 6 times". Suspect
    segments with no speech under them are not sent at all.
    """

    start: float
    end: float
    text: str
    words: list[Word] = Field(default_factory=list)
    suspect: str | None = Field(
        default=None, description="why the text may be invented; None: nothing found"
    )


class TranscribeResult(BaseModel):
    """What was said in the segment, where, and what it cost."""

    language: str
    language_probability: float
    duration: float
    segments: list[Segment]
    model: str
    device: str
    compute_s: float = Field(description="this call's share of inference time, seconds")
    batch_size: int = Field(default=1, description="how many calls shared the model call")


DETECT_LANGUAGE = Method("asr.detect_language", DetectLanguageParams, DetectLanguageResult)
TRANSCRIBE = Method("asr.transcribe", TranscribeParams, TranscribeResult)
