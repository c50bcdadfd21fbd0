"""Real recordings for the media tests, built once per session from jfk.flac and espeak-ng."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.support.media import decode_mono, join_talk, write_wav
from tests.support.media import speech_clips as build_clips

RATE = 16000


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
    return build_clips(tmp_path_factory.mktemp("espeak"), RATE)


@pytest.fixture(scope="session")
def recording(tmp_path_factory, speech_clips) -> Recording:
    """Over three minutes of speech with pauses of 0.5-1.4 s and one 6 s silence."""
    samples, clips, long_silence = join_talk(speech_clips, 190.0, RATE)
    path = write_wav(tmp_path_factory.mktemp("recording") / "talk.wav", samples, RATE)
    return Recording(path, decode_mono(path, RATE), tuple(clips), long_silence)
