"""Pack a segment of speech into a small in-memory audio file for an ASR call, and back.

Ogg/Opus at 24 kbit/s (about 90 KB for 30 s) is the default: Whisper's accuracy on it is
indistinguishable from the original at that rate for speech. FLAC is lossless at roughly
five to seven times the size. Output is bit-exact for the same input (FFmpeg's ``bitexact``
flags: no random Ogg serial number, no encoder version string), so a resent call carries the
same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import av
import numpy as np
from av.audio.stream import AudioStream

from vt_desktop.core.media._container import audio_stream_of, open_input_bytes
from vt_desktop.core.media.audio import PCM_RATE, Pcm, decode_frames, pcm_from_frames, read_pcm
from vt_desktop.core.media.errors import NoAudioStreamError

if TYPE_CHECKING:
    from vt_desktop.core.media.plan import Segment

__all__ = ["OPUS_BIT_RATE", "SegmentCodec", "decode_segment_bytes", "encode_pcm", "encode_segment"]

SegmentCodec = Literal["opus", "flac"]

OPUS_BIT_RATE = 24_000
"""Bits per second of Opus segments: transparent for speech recognition, tiny on the wire."""

_FORMATS: dict[str, tuple[str, str, str]] = {
    # codec -> (container format, FFmpeg encoder, sample format fed to it)
    "opus": ("ogg", "libopus", "flt"),
    "flac": ("flac", "flac", "s16"),
}
_BITEXACT = {"fflags": "+bitexact"}
_SEGMENT_LABEL = Path("<segment bytes>")


def encode_segment(
    path: Path, stream_index: int, segment: Segment, *, codec: SegmentCodec = "opus"
) -> bytes:
    """Decode one segment of a media file and encode it as a small audio file in memory.

    Args:
        path: The media file.
        stream_index: The container's index of the audio stream.
        segment: The stretch to encode.
        codec: ``"opus"`` (Ogg/Opus, 24 kbit/s) or ``"flac"``; both 16 kHz mono.

    Returns:
        The bytes of a complete ``.ogg`` or ``.flac`` file.

    Raises:
        IntakeError: The source cannot be opened or decoded.
    """
    pcm = read_pcm(path, stream_index, segment.start_s, segment.end_s)
    return encode_pcm(pcm, codec=codec)


def encode_pcm(pcm: Pcm, *, codec: SegmentCodec = "opus", rate: int = PCM_RATE) -> bytes:
    """Encode mono float32 samples as an Ogg/Opus or FLAC file in memory.

    Raises:
        ValueError: Unknown codec, or no samples.
    """
    if codec not in _FORMATS:
        raise ValueError(f"unknown segment codec {codec!r}; use 'opus' or 'flac'")
    if pcm.size == 0:
        raise ValueError("cannot encode an empty segment")
    container_format, encoder, sample_format = _FORMATS[codec]
    samples = np.clip(pcm.reshape(1, -1), -1.0, 1.0)
    if sample_format == "s16":  # scaled and rounded in place: one float copy, not three
        samples *= 32767
        samples = np.rint(samples, out=samples).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format, options=_BITEXACT) as out:
        stream = cast(AudioStream, out.add_stream(encoder, rate=rate, layout="mono"))
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        if codec == "opus":
            stream.bit_rate = OPUS_BIT_RATE
        frame = av.AudioFrame.from_ndarray(samples, format=sample_format, layout="mono")
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def decode_segment_bytes(data: bytes, *, rate: int = PCM_RATE) -> Pcm:
    """Decode the bytes of an encoded segment back to mono float32 samples.

    Raises:
        IntakeError: The bytes are not a decodable audio file.
    """
    with open_input_bytes(data, _SEGMENT_LABEL) as container:
        if not container.streams.audio:
            raise NoAudioStreamError(_SEGMENT_LABEL, "the bytes carry no audio stream.")
        stream = audio_stream_of(container, container.streams.audio[0].index, _SEGMENT_LABEL)
        frames = decode_frames(container, stream, _SEGMENT_LABEL)
        runs = list(pcm_from_frames(frames, rate=rate, origin_s=0.0))
    return np.concatenate(runs) if runs else np.zeros(0, dtype=np.float32)
