"""Decode the compact audio file a call carries into the samples Whisper reads.

The pipeline sends 16 kHz mono 16-bit FLAC: those samples are read as they are, with no
resampler in the way (faster than ``faster_whisper.decode_audio``, and bit-identical);
anything else goes through ``decode_audio``, which converts every format and rate."""

from __future__ import annotations

import io
import logging

import numpy as np
import numpy.typing as npt

from worker.protocol.errors import UnsupportedMedia

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
#: One call is one segment of about 30 s; anything this long is a caller's bug.
MAX_SEGMENT_S = 300.0
#: Shorter than this holds no word.
MIN_SEGMENT_S = 0.05

Samples = npt.NDArray[np.float32]


def decode_segment(data: bytes) -> Samples:
    """Decode an encoded audio file (Ogg/Opus, FLAC, WAV, …) to 16 kHz mono float32.

    Raises:
        UnsupportedMedia: the bytes are not decodable audio, hold no audio stream, or the
            audio is empty or longer than ``MAX_SEGMENT_S``.
    """
    try:
        samples = _as_sent(data)
        if samples is None:
            from faster_whisper import decode_audio

            samples = decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many kinds for bad input; all mean "cannot decode"
        log.info("audio segment refused: %s: %s", type(exc).__name__, exc)
        raise UnsupportedMedia(
            "cannot decode the audio segment: it is not an audio file PyAV/FFmpeg can read "
            "(send Ogg/Opus, FLAC or WAV)"
        ) from None
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    seconds = audio.shape[0] / SAMPLE_RATE
    if seconds < MIN_SEGMENT_S:
        raise UnsupportedMedia(f"the audio segment holds only {seconds:.3f} s of sound")
    if seconds > MAX_SEGMENT_S:
        raise UnsupportedMedia(
            f"the audio segment lasts {seconds:.0f} s; split it into segments of at most "
            f"{MAX_SEGMENT_S:.0f} s (about 30 s is best)"
        )
    return audio


def _as_sent(data: bytes) -> Samples | None:
    """The samples of 16 kHz mono 16-bit audio, read without resampling, scaled as
    ``decode_audio`` scales them; None for any other layout, rate or sample format.

    Raises:
        av.error.FFmpegError: the bytes are not decodable audio.
    """
    import av

    with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        if ctx.sample_rate != SAMPLE_RATE or ctx.channels != 1 or ctx.format.name not in _S16:
            return None
        blocks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks).astype(np.float32) / 32768.0


_S16 = ("s16", "s16p")
