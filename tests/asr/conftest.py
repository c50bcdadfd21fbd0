"""Shared fixtures for the speech tests: one model cache and one engine per session.

Models load once per test session (loading base takes ~1.5 s on two cores). No test may reach
the network: HF_HUB_OFFLINE is set before anything imports huggingface_hub.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "2")

import av
import numpy as np
import pytest

from tests.support.media import JFK, decode_mono, espeak
from worker.engines.asr import WhisperEngine, decode_segment
from worker.engines.models import ModelManager

GERMAN_TEXT = (
    "Guten Morgen. Ich heiße Anna und ich wohne in Berlin. "
    "Heute ist das Wetter sehr schön, und wir gehen in den Park."
)
SPANISH_TEXT = "Buenos días. Me llamo Carlos y vivo en Madrid. Hoy hace muy buen tiempo."


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker cache dir shared by the session's engine (base is assembled here once)."""
    return tmp_path_factory.mktemp("worker-cache")


@pytest.fixture(scope="session")
def manager(model_cache: Path) -> ModelManager:
    return ModelManager.for_worker_cache(str(model_cache))


@pytest.fixture(scope="session")
def engine(manager: ModelManager) -> WhisperEngine:
    """A CPU engine, two threads, tiny.en by default; base loads on first use."""
    return WhisperEngine(manager, default_model="tiny.en", device="cpu", cpu_threads=2)


def encode_segment(samples: np.ndarray, codec: str = "flac") -> bytes:
    """Encode 16 kHz mono samples compactly, as the pipeline sends a segment (FLAC or Opus)."""
    buffer = io.BytesIO()
    fmt, rate, sample_fmt = ("flac", 16000, "s16") if codec == "flac" else ("ogg", 48000, "flt")
    pcm = resample_linear(samples, rate)
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream("flac" if codec == "flac" else "libopus", rate=rate, layout="mono")
        data = (np.clip(pcm, -1, 1) * 32767).astype(np.int16) if sample_fmt == "s16" else pcm
        frame_size = 960
        for start in range(0, len(data), frame_size):
            block = np.ascontiguousarray(data[start : start + frame_size].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(block, format=sample_fmt, layout="mono")
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def resample_linear(samples: np.ndarray, rate: int) -> np.ndarray:
    """16 kHz float32 samples resampled (linearly; fine for speech tests) to ``rate``."""
    if rate == 16000:
        return samples.astype(np.float32)
    positions = np.arange(int(len(samples) * rate / 16000)) * 16000 / rate
    resampled: np.ndarray = np.interp(positions, np.arange(len(samples)), samples)
    return resampled.astype(np.float32)


@pytest.fixture(scope="session")
def jfk_samples() -> np.ndarray:
    samples: np.ndarray = decode_mono(JFK)
    return samples


@pytest.fixture(scope="session")
def jfk_bytes(jfk_samples: np.ndarray) -> bytes:
    """JFK as a 16 kHz mono FLAC segment (the shared file is 44.1 kHz stereo, 1.1 MB)."""
    return encode_segment(jfk_samples)


@pytest.fixture(scope="session")
def jfk_audio(jfk_bytes: bytes):
    return decode_segment(jfk_bytes)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def german_wav(speech_dir: Path) -> Path:
    return espeak(speech_dir / "de.wav", GERMAN_TEXT, voice="de")


@pytest.fixture(scope="session")
def spanish_wav(speech_dir: Path) -> Path:
    return espeak(speech_dir / "es.wav", SPANISH_TEXT, voice="es")


@pytest.fixture(scope="session")
def jfk_twice_bytes(jfk_samples: np.ndarray) -> bytes:
    """22 s as FLAC: JFK, a second of silence, JFK again (several decoded segments)."""
    silence = np.zeros(16000, dtype=np.float32)
    return encode_segment(np.concatenate([jfk_samples, silence, jfk_samples]))
