"""Render the dubbed track: the voice over the original (ducked) or alone, streamed to files.

The original is decoded block by block (never the whole film in memory), each block is
ducked under the voice with short ramps and the voice is added; the same samples go to every
output at once: AAC in ``.m4a`` (the standalone file, and what MP4 outputs carry) and Opus in
``.mka`` (what MKV outputs carry: Matroska keeps Opus's encoder delay exact, but shifts AAC by
its 1024-sample priming, 21 ms).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal, cast

import av
import numpy as np
from av.audio.stream import AudioStream

from vt_desktop.core.dubbing.timeline import RATE, Samples, Timeline
from vt_desktop.core.media import iter_pcm
from vt_desktop.core.subtitles.atomic import atomic_output

log = logging.getLogger(__name__)

DubMode = Literal["duck", "replace"]
DUCK_DB = -12.0
RAMP_S = 0.08
BLOCK_S = 10.0
_ENCODERS = {".m4a": ("mp4", "aac", 128_000), ".mka": ("matroska", "libopus", 96_000)}
#: No perceptual noise substitution: its decoder draws noise from a state carried across
#: frames, so packets swapped in for a re-dubbed line would change the noise in every later
#: frame; without it, Review's re-dub leaves the rest of the track the same to the sample.
_OPTIONS = {"aac": {"aac_pns": "0"}}


class _TrackWriter:
    """Encodes float32 mono blocks into one audio file (frames cut to the codec's size)."""

    def __init__(self, container: Any, codec: str, bit_rate: int) -> None:
        self.container = container
        stream = container.add_stream(codec, rate=RATE, layout="mono", options=_OPTIONS.get(codec))
        self.stream = cast(AudioStream, stream)
        self.stream.bit_rate = bit_rate
        self.pending = np.zeros(0, dtype=np.float32)
        self.pts = 0

    def _encode(self, block: Samples) -> None:
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.pts
        self.pts += block.size
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def write(self, block: Samples) -> None:
        size = self.stream.codec_context.frame_size or 1024
        self.pending = np.concatenate([self.pending, block])
        whole = (self.pending.size // size) * size
        for start in range(0, whole, size):
            self._encode(self.pending[start : start + size])
        self.pending = self.pending[whole:]

    def close(self) -> None:
        if self.pending.size:
            self._encode(self.pending)
        for packet in self.stream.encode(None):
            self.container.mux(packet)


def _original_blocks(source: Path, stream: int, mode: DubMode) -> Iterator[Samples]:
    if mode == "duck":
        yield from iter_pcm(source, stream, rate=RATE, block_s=BLOCK_S)


def _mixed_blocks(
    source: Path, stream: int, timeline: Timeline, mode: DubMode, duration_s: float
) -> Iterator[Samples]:
    """The track block by block: as long as the original, or the voice if that is longer."""
    position = 0
    for block in _original_blocks(source, stream, mode):
        gain = timeline.duck_gain(position, block.size, DUCK_DB, RAMP_S)
        yield np.clip(block * gain + timeline.voice(position, block.size), -1.0, 1.0)
        position += block.size
    total = max(timeline.end, round(duration_s * RATE))
    step = round(BLOCK_S * RATE)
    while position < total:
        count = min(step, total - position)
        yield np.clip(timeline.voice(position, count), -1.0, 1.0)
        position += count


def render_track(
    source: Path,
    stream: int,
    timeline: Timeline,
    outputs: list[Path],
    *,
    mode: DubMode = "duck",
    duration_s: float = 0.0,
    language: str = "und",
) -> list[Path]:
    """Write the dubbed track to every output (``.m4a`` AAC or ``.mka`` Opus), atomically.

    Args:
        source: The media whose audio is ducked (unused in ``replace`` mode).
        stream: The container index of that audio stream.
        timeline: The placed voice.
        outputs: Files to write; their suffix picks the codec.
        mode: ``duck`` lowers the original by 12 dB under the voice; ``replace`` drops it.
        duration_s: The media's length (the track lasts at least this long).
        language: ISO 639-2 tag written into the files.

    Raises:
        ValueError: an output suffix is not ``.m4a`` or ``.mka``.
        IntakeError: the original audio cannot be decoded.
    """
    for path in outputs:
        if path.suffix not in _ENCODERS:
            raise ValueError(f"cannot write a dubbed track to {path.name}: use .m4a or .mka")
    with ExitStack() as stack:
        writers = []
        for path in outputs:
            fmt, codec, bit_rate = _ENCODERS[path.suffix]
            temporary = stack.enter_context(atomic_output(path))
            container = stack.enter_context(av.open(str(temporary), "w", format=fmt))
            writer = _TrackWriter(container, codec, bit_rate)
            writer.stream.metadata["language"] = language
            writers.append(writer)
        for block in _mixed_blocks(source, stream, timeline, mode, duration_s):
            for writer in writers:
                writer.write(block.astype(np.float32))
        for writer in writers:
            writer.close()
    log.info("dubbed track (%s) written to %s", mode, ", ".join(p.name for p in outputs))
    return outputs
