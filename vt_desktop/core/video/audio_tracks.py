"""Add audio tracks (a dub) to a video by remuxing: nothing is re-encoded.

Every video, audio and subtitle packet of the video is copied byte for byte, then each new
track's packets are copied from its audio file (encoded once by the caller: AAC ``.m4a`` for
MP4, Opus ``.mka`` for MKV) and interleaved by time, as ``remux.py`` does for subtitles. The
output may be the video itself: it is replaced atomically once complete.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from vt_desktop.core.subtitles.atomic import atomic_output
from vt_desktop.core.video.remux import MediaError

__all__ = ["AudioTrack", "add_audio_tracks"]

log = logging.getLogger(__name__)

_CONTAINERS = {".mkv": "matroska", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_COPIED = ("video", "audio", "subtitle")
_KEPT_METADATA = ("language", "title", "handler_name")


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """One audio track to add: a file holding one audio stream, its language and name."""

    source: Path
    language: str
    title: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]{3}", self.language):
            raise ValueError(
                f"audio language must be a three-letter ISO 639-2 code such as 'por', "
                f"got {self.language!r}"
            )


def _seconds(packet: av.Packet[Any]) -> float:
    timestamp = packet.dts if packet.dts is not None else packet.pts
    return float(timestamp * packet.time_base) if timestamp is not None else 0.0


def _copy_streams(source: Any, output: Any) -> dict[int, Any]:
    mapping: dict[int, Any] = {}
    for stream in source.streams:
        if stream.type not in _COPIED:
            continue
        try:
            copied = output.add_stream_from_template(stream)
        except (ValueError, av.error.FFmpegError) as error:
            log.warning("not copying %s stream %d: %s", stream.type, stream.index, error)
            continue
        for key in _KEPT_METADATA:
            if key in stream.metadata:
                copied.metadata[key] = stream.metadata[key]
        mapping[stream.index] = copied
    return mapping


def _packets(container: Any, mapping: dict[int, Any]) -> Iterator[tuple[float, int, Any]]:
    """(time, order, packet) of every mapped stream, re-pointed at its output stream."""
    streams = [container.streams[i] for i in mapping]
    for order, packet in enumerate(container.demux(*streams)):
        if packet.dts is None and packet.pts is None:
            continue  # a demuxer flush packet
        moment = _seconds(packet)
        packet.stream = mapping[packet.stream.index]
        yield moment, order, packet


def add_audio_tracks(video: Path, tracks: Sequence[AudioTrack], out: Path) -> Path:
    """Write ``video`` with ``tracks`` added as extra audio streams (no re-encoding).

    Raises:
        ValueError: no tracks, or an unsupported output suffix.
        FileNotFoundError: the video or a track file does not exist.
        MediaError: a file cannot be read, or a stream cannot go into the output container.
    """
    video, out = Path(video), Path(out)
    if not tracks:
        raise ValueError("no audio tracks to add")
    container_format = _CONTAINERS.get(out.suffix.lower())
    if container_format is None:
        raise ValueError(f"cannot write {out.name}: use one of {', '.join(_CONTAINERS)}")
    for path in (video, *(t.source for t in tracks)):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} does not exist")
    try:
        with ExitStack() as stack:
            # Entered first, left last: every input is closed before the rename (Windows).
            temporary = stack.enter_context(atomic_output(out))
            source = stack.enter_context(av.open(str(video)))
            output = stack.enter_context(av.open(str(temporary), "w", format=container_format))
            streams = [(source, _copy_streams(source, output))]
            for track in tracks:
                container = stack.enter_context(av.open(str(track.source)))
                if not container.streams.audio:
                    raise MediaError(f"{track.source.name} holds no audio stream")
                added = output.add_stream_from_template(container.streams.audio[0])
                added.metadata["language"] = track.language
                if track.title:  # MKV shows "title"; MP4 players show the handler name
                    added.metadata["title"] = added.metadata["handler_name"] = track.title
                streams.append((container, {container.streams.audio[0].index: added}))
            merged = heapq.merge(*(_packets(c, m) for c, m in streams), key=lambda t: t[0])
            for _moment, _order, packet in merged:
                output.mux(packet)
    except av.error.FFmpegError as error:
        raise MediaError(f"cannot add audio tracks to {out.name}: {error}") from error
    log.info("added %d audio track(s) to %s", len(tracks), out)
    return out
