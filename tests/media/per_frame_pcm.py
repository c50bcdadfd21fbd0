"""A segment's reading and FLAC encoding as they were before frames were resampled in
batches (one resampler call per decoded frame) and samples scaled in place. Kept as the
reference the new code is held to (``tests/unit/test_batched_pcm.py``) and measured against
(``bench/segment_read_cpu.py``)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from vt_desktop.core.media._container import audio_stream_of, open_input
from vt_desktop.core.media.audio import (
    _GAP_TOLERANCE_S,
    PCM_RATE,
    Pcm,
    _frames_from,
    _take,
    decode_frames,
)


def pcm_from_frames(
    frames: Iterable[av.AudioFrame], *, rate: int, origin_s: float
) -> Iterator[Pcm]:
    """``vt_desktop.core.media.audio.pcm_from_frames`` before batching, unchanged."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    cursor: int | None = None
    for frame in frames:
        at = None if frame.time is None else round((frame.time - origin_s) * rate)
        if cursor is None:
            cursor = at if at is not None else 0
            if cursor > 0:
                yield np.zeros(cursor, dtype=np.float32)
        elif at is not None and at - cursor > _GAP_TOLERANCE_S * rate:
            if at > 0:
                yield np.zeros(at - max(cursor, 0), dtype=np.float32)
            cursor = at
        for out in resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            kept = samples[max(0, -cursor) :]
            cursor += samples.size
            if kept.size:
                yield kept
    if cursor is None:
        return
    for out in resampler.resample(None):
        samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        kept = samples[max(0, -cursor) :]
        cursor += samples.size
        if kept.size:
            yield kept


def read_pcm(path: Path, stream_index: int, start_s: float, end_s: float, rate: int) -> Pcm:
    """``read_pcm`` before batching (the same seeking, the per-frame resampling)."""
    wanted = round((end_s - start_s) * rate)
    with open_input(path) as container:
        stream = audio_stream_of(container, stream_index, path)
        frames = _frames_from(container, stream, path, start_s)
        if frames is None:
            with open_input(path) as from_start:
                stream = audio_stream_of(from_start, stream_index, path)
                frames = decode_frames(from_start, stream, path)
                return _take(pcm_from_frames(frames, rate=rate, origin_s=start_s), wanted)
        return _take(pcm_from_frames(frames, rate=rate, origin_s=start_s), wanted)


def iter_pcm(path: Path, stream_index: int, rate: int) -> Pcm:
    """The whole stream, read before batching."""
    with open_input(path) as container:
        stream = audio_stream_of(container, stream_index, path)
        runs = list(pcm_from_frames(decode_frames(container, stream, path), rate=rate,
                                    origin_s=0.0))  # fmt: skip
    return np.concatenate(runs) if runs else np.zeros(0, dtype=np.float32)


def encode_flac(pcm: Pcm) -> bytes:
    """``encode_pcm(pcm, codec="flac")`` as it was (16-bit samples made in three copies)."""
    samples = np.round(np.clip(pcm.reshape(1, -1), -1.0, 1.0) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("flac", rate=PCM_RATE, layout="mono")
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = PCM_RATE
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
