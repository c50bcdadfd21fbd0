"""Real recordings for the media tests, built once per session from jfk.flac and espeak-ng."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.support.media import JFK, decode_mono, espeak, write_wav

RATE = 16000

SENTENCES = (
    "The weather report says it will rain all afternoon in the valley.",
    "Please remember to lock the back door before you leave the house.",
    "Our train was delayed by twenty minutes because of a signal failure.",
    "She planted tomatoes, beans and sunflowers along the garden fence.",
    "The museum opens at nine and closes at five on weekdays.",
    "Every student must hand in the essay by Friday at noon.",
    "A cup of strong coffee helps me think in the early morning.",
    "The old bridge was repaired last summer after the flood.",
)
PAUSES_S = (0.6, 1.1, 0.8, 1.4, 0.7, 1.0, 0.5, 1.2, 0.9)
LONG_SILENCE_S = 6.0


@dataclass(frozen=True)
class Recording:
    """A recording with known layout: where each spoken clip and the long silence are."""

    path: Path
    samples: np.ndarray
    clips: tuple[tuple[float, float], ...]
    long_silence: tuple[float, float]


@pytest.fixture(scope="session")
def speech_clips(tmp_path_factory) -> list[np.ndarray]:
    """jfk.flac and eight espeak-ng sentences, as 16 kHz mono."""
    folder = tmp_path_factory.mktemp("espeak")
    clips = [decode_mono(JFK, RATE)]
    for number, sentence in enumerate(SENTENCES):
        clips.append(decode_mono(espeak(folder / f"s{number}.wav", sentence), RATE))
    return clips


@pytest.fixture(scope="session")
def recording(tmp_path_factory, speech_clips) -> Recording:
    """Over three minutes of speech with pauses of 0.5-1.4 s and one 6 s silence."""
    parts: list[np.ndarray] = [np.zeros(RATE // 2, dtype=np.float32)]
    clips: list[tuple[float, float]] = []
    at = RATE // 2
    long_silence = (0.0, 0.0)
    turn = 0
    while at < 190 * RATE:
        clip = speech_clips[turn % len(speech_clips)]
        clips.append((at / RATE, (at + clip.size) / RATE))
        parts.append(clip)
        at += clip.size
        pause = LONG_SILENCE_S if turn == 12 else PAUSES_S[turn % len(PAUSES_S)]
        if turn == 12:
            long_silence = (at / RATE, at / RATE + pause)
        parts.append(np.zeros(round(pause * RATE), dtype=np.float32))
        at += round(pause * RATE)
        turn += 1
    samples = np.concatenate(parts)
    path = write_wav(tmp_path_factory.mktemp("recording") / "talk.wav", samples, RATE)
    return Recording(path, decode_mono(path, RATE), tuple(clips), long_silence)
