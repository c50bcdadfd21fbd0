"""Decode one audio stream of a media file to mono float32 PCM, streaming or by time window.

Both functions place samples on the stream's own clock (sample ``i`` is at ``i / rate``
seconds of presentation time), so a window read with :func:`read_pcm` lines up with the same
samples of :func:`iter_pcm`. A stream that starts late is led in with silence, gaps in its
timestamps are filled with silence, and a few damaged packets are skipped rather than ending
the job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import av.container
import numpy as np
import numpy.typing as npt

from vt_desktop.core.media._container import audio_stream_of, open_input
from vt_desktop.core.media.errors import AudioUndecodableError, CorruptMediaError

__all__ = ["PCM_RATE", "Pcm", "decode_frames", "iter_pcm", "pcm_from_frames", "read_pcm"]

log = logging.getLogger(__name__)

Pcm = npt.NDArray[np.float32]

PCM_RATE = 16000
"""Sample rate of the PCM the speech models take (Whisper and Silero VAD)."""

_GAP_TOLERANCE_S = 0.05
_MAX_BAD_PACKETS_IN_A_ROW = 25
_SEEK_PREROLL_S = 0.5


def iter_pcm(
    path: Path, stream_index: int, *, rate: int = PCM_RATE, block_s: float = 30.0
) -> Iterator[Pcm]:
    """Decode an audio stream from its start as blocks of mono float32 samples.

    Memory stays bounded by one block, whatever the length of the file.

    Args:
        path: The media file.
        stream_index: The container's index of the audio stream (``AudioStream.index``).
        rate: Output sample rate in Hz.
        block_s: Length of each block in seconds; the last block may be shorter.

    Yields:
        Consecutive 1-D float32 arrays of ``round(block_s * rate)`` samples in -1..1.

    Raises:
        IntakeError: The file cannot be opened, has no such audio stream, or its audio
            cannot be decoded.
    """
    block_len = round(block_s * rate)
    if block_len <= 0:
        raise ValueError(f"block_s must be positive, got {block_s}")
    with open_input(path) as container:
        stream = audio_stream_of(container, stream_index, path)
        frames = decode_frames(container, stream, path)
        yield from _fixed_blocks(pcm_from_frames(frames, rate=rate, origin_s=0.0), block_len)


def read_pcm(
    path: Path, stream_index: int, start_s: float, end_s: float, *, rate: int = PCM_RATE
) -> Pcm:
    """Decode just the window ``[start_s, end_s)`` of an audio stream.

    The file is seeked close to ``start_s`` first, so reading a window late in a long file
    costs about as much as reading one at its start.

    Args:
        path: The media file.
        stream_index: The container's index of the audio stream.
        start_s: Window start in seconds (>= 0).
        end_s: Window end in seconds (> ``start_s``).
        rate: Output sample rate in Hz.

    Returns:
        ``round((end_s - start_s) * rate)`` mono float32 samples, fewer only when the stream
        ends inside the window.

    Raises:
        ValueError: The window is empty or starts before zero.
        IntakeError: The file cannot be opened or decoded.
    """
    if not 0.0 <= start_s < end_s:
        raise ValueError(f"need 0 <= start_s < end_s, got start_s={start_s}, end_s={end_s}")
    wanted = round((end_s - start_s) * rate)
    with open_input(path) as container:
        stream = audio_stream_of(container, stream_index, path)
        frames = _frames_from(container, stream, path, start_s)
        if frames is None:  # seeking missed: decode from the beginning instead
            with open_input(path) as from_start:
                stream = audio_stream_of(from_start, stream_index, path)
                frames = decode_frames(from_start, stream, path)
                return _take(pcm_from_frames(frames, rate=rate, origin_s=start_s), wanted)
        return _take(pcm_from_frames(frames, rate=rate, origin_s=start_s), wanted)


def decode_frames(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, path: Path
) -> Iterator[av.AudioFrame]:
    """Decode the frames of ``stream``, skipping isolated damaged packets.

    Raises:
        AudioUndecodableError: Many packets in a row fail, or none decodes at all.
        CorruptMediaError: The container itself cannot be read further.
    """
    bad_in_a_row = bad_total = 0
    decoded_any = False
    try:
        for packet in container.demux(stream):
            try:
                frames = stream.decode(packet)
            except av.error.FFmpegError as exc:
                bad_in_a_row += 1
                bad_total += 1
                if bad_in_a_row > _MAX_BAD_PACKETS_IN_A_ROW:
                    raise _undecodable(path, stream, exc) from None
                continue
            bad_in_a_row = 0
            decoded_any = decoded_any or bool(frames)
            yield from frames
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(
            path, f"reading it failed part way through (FFmpeg says: {exc.strerror})."
        ) from None
    if bad_total and not decoded_any:
        raise AudioUndecodableError(
            path, f"none of the data of audio stream #{stream.index} could be decoded."
        )
    if bad_total:
        log.warning("skipped %d damaged audio packets in %s", bad_total, path)


def pcm_from_frames(
    frames: Iterable[av.AudioFrame], *, rate: int, origin_s: float
) -> Iterator[Pcm]:
    """Resample decoded frames to mono float32 laid out on the clock from ``origin_s``.

    Samples before ``origin_s`` are dropped; silence fills any lead-in before the first frame
    and any gap in the frames' timestamps longer than a few tens of milliseconds.

    Yields:
        Runs of samples whose concatenation is the PCM from ``origin_s`` on.
    """
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    cursor: int | None = None  # origin-relative index of the next sample the resampler gives
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


def _frames_from(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    path: Path,
    start_s: float,
) -> Iterator[av.AudioFrame] | None:
    """Seek near ``start_s`` and return the frames from there, or None if the seek overshot."""
    frames = decode_frames(container, stream, path)
    if start_s <= _SEEK_PREROLL_S or stream.time_base is None:
        return frames
    try:
        target = int((start_s - _SEEK_PREROLL_S) / stream.time_base)
        container.seek(target, stream=stream, backward=True)
    except av.error.FFmpegError:
        log.debug("seek to %.3fs failed in %s; decoding from the start", start_s, path)
        return None
    first = next(frames, None)
    if first is None or first.time is None or first.time > start_s:
        return None
    return _chain_one(first, frames)


def _chain_one(first: av.AudioFrame, rest: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame]:
    yield first
    yield from rest


def _take(runs: Iterator[Pcm], wanted: int) -> Pcm:
    parts: list[Pcm] = []
    have = 0
    for run in runs:
        parts.append(run[: wanted - have])
        have += parts[-1].size
        if have >= wanted:
            break
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts)


def _fixed_blocks(runs: Iterator[Pcm], block_len: int) -> Iterator[Pcm]:
    pending: list[Pcm] = []
    pending_len = 0
    for run in runs:
        pending.append(run)
        pending_len += run.size
        while pending_len >= block_len:
            joined = np.concatenate(pending)
            yield joined[:block_len]
            rest = joined[block_len:]
            pending, pending_len = ([rest], rest.size) if rest.size else ([], 0)
    if pending_len:
        yield np.concatenate(pending)


def _undecodable(
    path: Path, stream: av.audio.stream.AudioStream, exc: av.error.FFmpegError
) -> AudioUndecodableError:
    return AudioUndecodableError(
        path,
        f"audio stream #{stream.index} ({stream.codec_context.name}) will not decode "
        f"(FFmpeg says: {exc.strerror}). The file may be damaged or copy-protected.",
    )
