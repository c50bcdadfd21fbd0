"""Decode one audio stream of a media file to mono float32 PCM, streaming or by time window.

Both functions place samples on the stream's own clock (sample ``i`` is at ``i / rate``
seconds of presentation time), so a window read with :func:`read_pcm` lines up with the same
samples of :func:`iter_pcm`. A stream that starts late is led in with silence, gaps in its
timestamps are filled with silence, and a few damaged packets are skipped rather than ending
the job.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Iterator
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
_MAYBE_GAP = _GAP_TOLERANCE_S / 2  # past this the gathered frames are resampled to judge it
_BATCH_S = 1.0  # a stream read whole (planning) holds about this much more than before
_SLACK_S = 0.05  # a window's first batch runs this far past its end (the resampler's delay)
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
                runs = pcm_from_frames(frames, rate=rate, origin_s=start_s, until_s=end_s)
                return _take(runs, wanted)
        return _take(pcm_from_frames(frames, rate=rate, origin_s=start_s, until_s=end_s), wanted)


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
    frames: Iterable[av.AudioFrame], *, rate: int, origin_s: float, until_s: float | None = None
) -> Iterator[Pcm]:
    """Resample decoded frames to mono float32 laid out on the clock from ``origin_s``.

    Samples before ``origin_s`` are dropped; silence fills any lead-in before the first frame
    and any gap in the frames' timestamps longer than a few tens of milliseconds.

    Frames are resampled a batch at a time, not one by one: a stream's frames are small
    (1024 samples of AAC, ~470 to a 30 s segment) and a resampler call cost more than its
    conversion. The first batch runs to ``until_s`` (a window's end: the window is
    resampled at once), later ones hold ``_BATCH_S`` of audio each. The samples are the
    same as the frames resampled one by one: the resampler is one stream either way. (The
    frames' ``pts`` are cleared as they are gathered.)

    Yields:
        Runs of samples whose concatenation is the PCM from ``origin_s`` on.
    """
    batch = _Batch(rate)
    cursor: int | None = None  # origin-relative index of the next sample the resampler gives
    flush_at = _BATCH_S * rate if until_s is None else (until_s - origin_s + _SLACK_S) * rate
    for frame in frames:
        time_s = frame.time
        at = None if time_s is None else round((time_s - origin_s) * rate)
        if cursor is None:
            cursor = at if at is not None else 0
            if cursor > 0:
                yield np.zeros(cursor, dtype=np.float32)
        elif at is not None and at - (cursor + batch.pending(rate)) > _MAYBE_GAP * rate:
            cursor = yield from batch.flush(cursor)  # the gap is judged on the exact cursor
            if at - cursor > _GAP_TOLERANCE_S * rate:
                if at > 0:
                    yield np.zeros(at - max(cursor, 0), dtype=np.float32)
                cursor = at
        if not batch.fits(frame):
            cursor = yield from batch.flush(cursor)
        batch.add(frame)
        if cursor + batch.pending(rate) >= flush_at:
            cursor = yield from batch.flush(cursor)
            flush_at = cursor + _BATCH_S * rate
    if cursor is not None:
        cursor = yield from batch.flush(cursor)
        yield from batch.drain(cursor)


class _Batch:
    """Decoded frames gathered for one resampler call (all of one format, layout and rate)."""

    def __init__(self, rate: int) -> None:
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self.fifo: av.AudioFifo | None = None
        self.kind: tuple[str, str, int] = ("", "", 0)

    def pending(self, rate: int) -> float:
        """Samples at ``rate`` the gathered frames will give (about: the resampler holds
        back a few)."""
        if self.fifo is None:
            return 0.0
        return self.fifo.samples * rate / max(self.kind[2], 1)

    def fits(self, frame: av.AudioFrame) -> bool:
        return self.fifo is None or self._kind(frame) == self.kind

    def add(self, frame: av.AudioFrame) -> None:
        if self.fifo is None:
            self.fifo, self.kind = av.AudioFifo(), self._kind(frame)
        frame.pts = None  # jitter the clock tolerates would fail the fifo's pts check
        self.fifo.write(frame)

    def flush(self, cursor: int) -> Generator[Pcm, None, int]:
        """Resample the gathered frames; yield what lies past the origin; the new cursor."""
        fifo, self.fifo = self.fifo, None
        joined = None if fifo is None else fifo.read()
        if joined is None:
            return cursor
        return (yield from self._out(self.resampler.resample(joined), cursor))

    def drain(self, cursor: int) -> Generator[Pcm, None, int]:
        """The samples the resampler still holds at the end of the stream."""
        return (yield from self._out(self.resampler.resample(None), cursor))

    @staticmethod
    def _out(frames: list[av.AudioFrame], cursor: int) -> Generator[Pcm, None, int]:
        for out in frames:
            samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            kept = samples[max(0, -cursor) :]
            cursor += samples.size
            if kept.size:
                yield kept
        return cursor

    @staticmethod
    def _kind(frame: av.AudioFrame) -> tuple[str, str, int]:
        return frame.format.name, frame.layout.name, frame.sample_rate


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
