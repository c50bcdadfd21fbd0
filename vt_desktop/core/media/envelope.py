"""The audio's envelope for the Review page's waveform: the lowest and highest sample per 10 ms.

A 15-minute job's envelope is 90,000 bins (360 KB as the ``.npy`` file kept in the job's
folder). It is built from the PCM blocks the segment planner decodes anyway
(:class:`EnvelopeBuilder`), so a job's audio is not decoded a second time for it; a job run
before envelopes were kept gets one decode, once (:func:`job_envelope`), which is then kept.

The waveform draws one column per pixel: :meth:`Envelope.columns` folds the bins in view into
per-pixel lows and highs, so drawing costs the same whatever the length of the job.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vt_desktop.core.media.audio import PCM_RATE, Pcm, iter_pcm
from vt_desktop.core.media.intake import pick_audio_stream, probe

__all__ = [
    "BIN_S",
    "ENVELOPE_FILE",
    "Envelope",
    "EnvelopeBuilder",
    "compute_envelope",
    "envelope_path",
    "job_envelope",
    "load_envelope",
    "save_envelope",
]

log = logging.getLogger(__name__)

BIN_S = 0.01
"""Seconds of audio per bin of an envelope."""
ENVELOPE_FILE = "envelope-10ms.npy"
"""The envelope's file name in a job's folder (the bin length is in the name)."""
JOBS_FOLDER = "jobs"
"""The folder of the data dir (beside the job store) that holds a folder per job."""
_BIN = round(BIN_S * PCM_RATE)
_NO_SIZE_LIMIT = 1 << 62

Levels = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Envelope:
    """The lowest and highest sample of each ``BIN_S`` of a stream, in -1..1.

    Attributes:
        lows: The lowest sample per bin.
        highs: The highest sample per bin (as long as ``lows``).
    """

    lows: Levels
    highs: Levels

    @property
    def duration_s(self) -> float:
        """Seconds the envelope covers."""
        return self.lows.size * BIN_S

    def columns(self, start_s: float, seconds_per_px: float, width: int) -> tuple[Levels, Levels]:
        """The lows and highs of ``width`` pixel columns from ``start_s``, each column
        ``seconds_per_px`` wide (zero where a column lies outside the audio).

        Zoomed in past one bin per pixel, a column shows the bin it falls in.
        """
        lows = np.zeros(max(0, width), dtype=np.float32)
        highs = np.zeros_like(lows)
        n = self.lows.size
        if width <= 0 or n == 0 or seconds_per_px <= 0:
            return lows, highs
        edges = (start_s + np.arange(width + 1) * seconds_per_px) / BIN_S
        first = np.floor(edges[:-1]).astype(np.int64)
        inside = (first < n) & (edges[1:] > 0)
        if not inside.any():
            return lows, highs
        starts = np.clip(first[inside], 0, n - 1)
        lo, hi = int(starts[0]), int(min(n, max(starts[-1] + 1, math.ceil(edges[-1]))))
        offsets = starts - lo
        lows[inside] = np.minimum.reduceat(self.lows[lo:hi], offsets)
        highs[inside] = np.maximum.reduceat(self.highs[lo:hi], offsets)
        return lows, highs


@dataclass(slots=True)
class EnvelopeBuilder:
    """Builds an envelope from consecutive PCM blocks at ``PCM_RATE`` (any block sizes)."""

    _rest: Pcm = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _lows: list[Levels] = field(default_factory=list)
    _highs: list[Levels] = field(default_factory=list)

    def add(self, block: Pcm) -> None:
        """Take the next samples of the stream."""
        samples = np.concatenate((self._rest, block)) if self._rest.size else block
        whole = samples.size // _BIN * _BIN
        if whole:
            bins = samples[:whole].reshape(-1, _BIN)
            self._lows.append(bins.min(axis=1).astype(np.float32, copy=False))
            self._highs.append(bins.max(axis=1).astype(np.float32, copy=False))
        self._rest = samples[whole:].copy()

    def envelope(self) -> Envelope:
        """The envelope of every sample taken so far (a last, partial bin included)."""
        lows, highs = list(self._lows), list(self._highs)
        if self._rest.size:
            lows.append(np.array([self._rest.min()], dtype=np.float32))
            highs.append(np.array([self._rest.max()], dtype=np.float32))
        if not lows:
            empty = np.zeros(0, dtype=np.float32)
            return Envelope(empty, empty.copy())
        return Envelope(np.concatenate(lows), np.concatenate(highs))


def envelope_of(blocks: Iterable[Pcm]) -> Envelope:
    """The envelope of PCM blocks at ``PCM_RATE``."""
    builder = EnvelopeBuilder()
    for block in blocks:
        builder.add(block)
    return builder.envelope()


def compute_envelope(path: Path, stream_index: int) -> Envelope:
    """Decode an audio stream once, streaming, into its envelope.

    Raises:
        IntakeError: the file cannot be opened or its audio decoded.
    """
    return envelope_of(iter_pcm(path, stream_index, block_s=10.0))


def save_envelope(envelope: Envelope, path: Path) -> None:
    """Write ``envelope`` to ``path`` atomically (a temporary file, then a rename).

    Raises:
        OSError: the folder cannot be made or the file written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as out:
        np.save(out, np.stack((envelope.lows, envelope.highs)).astype(np.float16))
    os.replace(partial, path)


def load_envelope(path: Path) -> Envelope | None:
    """The envelope kept at ``path``; None when there is none or it cannot be read."""
    try:
        levels = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("envelope %s unreadable (%s); it will be made again", path, exc)
        return None
    if levels.ndim != 2 or levels.shape[0] != 2:
        log.warning("envelope %s has shape %s; it will be made again", path, levels.shape)
        return None
    levels = levels.astype(np.float32)
    return Envelope(levels[0].copy(), levels[1].copy())


def envelope_path(data_dir: Path, job_id: str) -> Path:
    """Where job ``job_id``'s envelope is kept (``data_dir``: the job store's folder)."""
    return data_dir / JOBS_FOLDER / job_id / ENVELOPE_FILE


def job_envelope(
    kept: Path, source: Path, stream_index: int | None = None, language: str | None = None
) -> Envelope:
    """A job's envelope: the one kept at ``kept`` (see :func:`envelope_path`), else made from
    ``source`` (one decode of the stream the job used: ``stream_index``, or the one chosen
    for ``language``) and kept there for the next time. Slow then: call it in a thread.

    Raises:
        IntakeError: there is none kept and the source cannot be decoded.
    """
    if (envelope := load_envelope(kept)) is not None:
        return envelope
    if stream_index is None:
        info = probe(source, max_size=_NO_SIZE_LIMIT)
        stream_index = pick_audio_stream(info, [language or ""]).index
    envelope = compute_envelope(source, stream_index)
    try:
        save_envelope(envelope, kept)
    except OSError as exc:
        log.warning("envelope not kept at %s: %s", kept, exc)
    return envelope
