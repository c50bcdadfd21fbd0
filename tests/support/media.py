"""Build test media at run time from real speech (jfk.flac, espeak-ng) with PyAV."""

from __future__ import annotations

import csv
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

#: The media the tests use, kept in the repository (origins and licences in SOURCES.md there).
DATA = Path(__file__).resolve().parents[1] / "data"
JFK = DATA / "jfk.flac"
SPEECH = DATA / "speech"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def decode_mono(path: Path, rate: int = 16000) -> np.ndarray:
    """Decode the first audio stream of ``path`` to float32 mono at ``rate``."""
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """Write float32 mono samples as 16-bit PCM WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def espeak(path: Path, text: str, voice: str = "en") -> Path:
    """Speak ``text`` with espeak-ng into a WAV file."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is missing: apt-get install -y espeak-ng")
    subprocess.run([exe, "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def make_video(
    path: Path,
    audio: Path | None = JFK,
    *,
    seconds: float | None = None,
    size: tuple[int, int] = (160, 120),
    fps: int = 10,
) -> Path:
    """Mux a small H.264 video (moving gradient) with ``audio`` as AAC into MP4/MKV.

    The video lasts as long as the audio unless ``seconds`` is given; ``audio=None`` makes a
    video without an audio stream.
    """
    samples = decode_mono(audio, 48000) if audio is not None else None
    if seconds is not None:
        duration = seconds
    else:
        duration = len(samples) / 48000 if samples is not None else 2.0
    w, h = size
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        as_ = out.add_stream("aac", rate=48000, layout="mono") if samples is not None else None
        ramp = np.linspace(0, 255, w, dtype=np.float32)
        for i in range(int(duration * fps)):
            img = np.empty((h, w, 3), dtype=np.uint8)
            img[..., 0] = (ramp + i * 7) % 256
            img[..., 1] = 96
            img[..., 2] = (255 - ramp).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
        if as_ is not None and samples is not None:
            n = int(duration * 48000)
            pcm = np.zeros(n, dtype=np.float32)
            pcm[: min(n, len(samples))] = samples[:n]
            step = 1024
            for start in range(0, n, step):
                block = pcm[start : start + step].reshape(1, -1)
                aframe = av.AudioFrame.from_ndarray(block, format="flt", layout="mono")
                aframe.sample_rate = 48000
                aframe.pts = start
                for packet in as_.encode(aframe):
                    out.mux(packet)
            for packet in as_.encode(None):
                out.mux(packet)
    return path


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


def speech_clips(folder: Path, rate: int = 16000) -> list[np.ndarray]:
    """jfk.flac and eight espeak-ng sentences, as mono float32 at ``rate``."""
    clips = [decode_mono(JFK, rate)]
    for number, sentence in enumerate(SENTENCES):
        clips.append(decode_mono(espeak(folder / f"s{number}.wav", sentence), rate))
    return clips


def join_talk(
    clips: list[np.ndarray], seconds: float = 190.0, rate: int = 16000
) -> tuple[np.ndarray, list[tuple[float, float]], tuple[float, float]]:
    """Real and synthetic speech joined with pauses of 0.5-1.4 s and one 6 s silence.

    Returns the samples, where each clip lies (s), and where the long silence lies (s).
    """
    parts: list[np.ndarray] = [np.zeros(rate // 2, dtype=np.float32)]
    where: list[tuple[float, float]] = []
    at = rate // 2
    long_silence = (0.0, 0.0)
    turn = 0
    while at < seconds * rate:
        clip = clips[turn % len(clips)]
        where.append((at / rate, (at + clip.size) / rate))
        parts.append(clip)
        at += clip.size
        pause = LONG_SILENCE_S if turn == 12 else PAUSES_S[turn % len(PAUSES_S)]
        if turn == 12:
            long_silence = (at / rate, at / rate + pause)
        parts.append(np.zeros(round(pause * rate), dtype=np.float32))
        at += round(pause * rate)
        turn += 1
    return np.concatenate(parts), where, long_silence


def make_talk_video(path: Path, seconds: float = 190.0) -> Path:
    """A small video carrying over three minutes of real and synthetic English speech."""
    folder = path.parent / f".{path.stem}-parts"
    folder.mkdir(parents=True, exist_ok=True)
    samples, _, _ = join_talk(speech_clips(folder), seconds)
    wav = write_wav(folder / "talk.wav", samples)
    return make_video(path, wav, size=(96, 64), fps=5)


def garbage_audio_mkv(path: Path) -> Path:
    """An MKV whose one AAC stream holds random bytes: it probes, but will not decode."""
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        for number in range(120):
            packet = av.Packet(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
            packet.stream = stream
            packet.pts = packet.dts = number * 1024
            packet.time_base = Fraction(1, 48000)
            out.mux(packet)
    return path


@dataclass(frozen=True)
class RealTalk:
    """Real recordings joined with pauses: the samples (16 kHz mono), each recording's
    samples, where it lies (s) and what is said in it (its corpus's reference text)."""

    samples: np.ndarray
    clips: list[np.ndarray]
    where: list[tuple[float, float]]
    texts: list[str]


def real_talk(lang: str, *, repeats: int = 1, seed: int = 7, rate: int = 16000) -> RealTalk:
    """The real recordings of ``lang`` in ``tests/data/speech`` (``repeats`` times each,
    shuffled by ``seed`` when repeated) joined with 0.7-1.0 s pauses after 0.5 s of silence."""
    with (SPEECH / "MANIFEST.tsv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["lang"] == lang]
    rng = np.random.default_rng(seed)
    order = list(range(len(rows))) * repeats
    if repeats > 1:
        order = [order[i] for i in rng.permutation(len(order))]
    decoded = {i: decode_mono(SPEECH / rows[i]["file"], rate) for i in set(order)}
    parts: list[np.ndarray] = [np.zeros(rate // 2, dtype=np.float32)]
    where: list[tuple[float, float]] = []
    at = rate // 2
    for i in order:
        clip = decoded[i]
        pause = np.zeros(round(rng.uniform(0.7, 1.0) * rate), dtype=np.float32)
        where.append((at / rate, (at + clip.size) / rate))
        parts += [clip, pause]
        at += clip.size + pause.size
    return RealTalk(
        np.concatenate(parts),
        [decoded[i] for i in order],
        where,
        [rows[i]["reference_text"] for i in order],
    )
