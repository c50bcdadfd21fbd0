"""Decode the compact audio file a call carries into the samples Whisper reads."""

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
    from faster_whisper import decode_audio

    try:
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
