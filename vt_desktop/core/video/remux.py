"""Add soft subtitle tracks to a video by remuxing: audio and video are copied, not re-encoded.

MKV gets ``subrip`` tracks (``ass`` when the source is an ASS file, keeping its styles); MP4
gets ``mov_text`` tracks. Every video and audio packet of the source is copied byte for byte,
and subtitle packets are interleaved by time so the muxer never buffers the whole file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pysubs2
from av.subtitles.subtitle import SubtitleSet

from vt_desktop.core.errors import VtError
from vt_desktop.core.subtitles.atomic import atomic_output
from vt_desktop.core.subtitles.model import Cue
from vt_desktop.core.subtitles.writers import AssStyle, cues_to_ssafile

__all__ = ["MediaError", "SubtitleTrack", "mux_soft_subtitles"]

log = logging.getLogger(__name__)

_CONTAINERS = {".mkv": "matroska", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_MILLISECONDS = Fraction(1, 1000)
_COPIED_STREAM_TYPES = ("video", "audio")
_KEPT_METADATA = ("language", "title", "handler_name")


class MediaError(VtError):
    """Raised when a video cannot be read, or its streams cannot go into the output container."""


@dataclass(frozen=True, slots=True)
class SubtitleTrack:
    """One subtitle track to add.

    Attributes:
        source: A subtitle file (.srt, .vtt, .ass) or the cues themselves.
        language: ISO 639-2 code of the track's language (``"por"``, ``"eng"``, ``"deu"``).
        title: The track name players show (``"Português"``); none when None.
        style: The look of cue text in ``mov_text`` tracks and cue-built ``ass`` tracks.
    """

    source: Path | Sequence[Cue]
    language: str
    title: str | None = None
    style: AssStyle | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]{3}", self.language):
            raise ValueError(
                f"subtitle language must be a three-letter ISO 639-2 code such as 'por', "
                f"got {self.language!r}"
            )


@dataclass(frozen=True, slots=True)
class _PreparedTrack:
    track: SubtitleTrack
    codec: str
    document: pysubs2.SSAFile


def _load_document(track: SubtitleTrack) -> pysubs2.SSAFile:
    if not isinstance(track.source, Path):
        return cues_to_ssafile(list(track.source), track.style)
    if not track.source.is_file():
        raise FileNotFoundError(f"subtitle file {track.source} does not exist")
    try:
        return pysubs2.load(str(track.source), encoding="utf-8")
    except (pysubs2.Pysubs2Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"cannot read subtitle file {track.source}: {error}") from error


def _prepare(track: SubtitleTrack, container_format: str) -> _PreparedTrack:
    document = _load_document(track)
    if container_format != "matroska":
        codec = "mov_text"
    elif isinstance(track.source, Path) and track.source.suffix.lower() in (".ass", ".ssa"):
        codec = "ass"
    else:
        codec = "subrip"
    return _PreparedTrack(track, codec, document)


# FFmpeg's own default header (ff_ass_subtitle_header_default): with it, the subrip encoder
# writes plain text; a header with other styles makes it wrap every cue in <font> tags.
_PLAIN_HEADER = (
    b"[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n"
    b"ScaledBorderAndShadow: yes\r\n\r\n[V4+ Styles]\r\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
    b"BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
    b"BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    b"\r\n\r\n[Events]\r\n"
    b"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\r\n"
)


def _header(document: pysubs2.SSAFile, codec: str) -> bytes:
    """The ASS header a subtitle encoder needs: the document's styles, or plain for subrip."""
    if codec == "subrip":
        return _PLAIN_HEADER
    empty = pysubs2.SSAFile()
    empty.info = dict(document.info)
    empty.styles = dict(document.styles) or {"Default": AssStyle().to_ssastyle()}
    return empty.to_string("ass").encode("utf-8")


def _dialogue(order: int, event: pysubs2.SSAEvent, codec: str) -> bytes:
    """An event in the form subtitle encoders take: the ASS Dialogue fields after the times."""
    style = event.style if codec != "subrip" else "Default"
    fields = (order, event.layer, style, event.name, event.marginl, event.marginr)
    prefix = ",".join(str(part) for part in fields)
    return f"{prefix},{event.marginv},{event.effect},{event.text}".encode()


def _encode_track(stream: Any, document: pysubs2.SSAFile, codec: str) -> list[av.Packet[Any]]:
    """Encode every event of a document into packets for ``stream`` (times in ms)."""
    packets: list[av.Packet[Any]] = []
    events = sorted((e for e in document.events if not e.is_comment), key=lambda e: e.start)
    for order, event in enumerate(events):
        if event.end <= event.start or event.start < 0:
            log.warning(
                "skipped subtitle event at %d-%d ms: impossible times", event.start, event.end
            )
            continue
        duration = event.end - event.start
        subtitle = SubtitleSet.create(_dialogue(order, event, codec), 0, duration, pts=event.start)
        packet = stream.codec_context.encode_subtitle(subtitle)
        packet.stream = stream
        packet.time_base = _MILLISECONDS
        packet.pts = packet.dts = event.start
        packet.duration = duration
        packets.append(packet)
    return packets


def _packet_seconds(packet: av.Packet[Any]) -> float:
    timestamp = packet.dts if packet.dts is not None else packet.pts
    return float(timestamp * packet.time_base) if timestamp is not None else 0.0


def _copy_streams(source: Any, output: Any) -> dict[int, Any]:
    """Add a copy of every video and audio stream of ``source``; map input index to output."""
    mapping: dict[int, Any] = {}
    for stream in source.streams:
        if stream.type not in _COPIED_STREAM_TYPES:
            log.info("not copying %s stream %d (%s)", stream.type, stream.index, stream.codec)
            continue
        copied = output.add_stream_from_template(stream)
        for key in _KEPT_METADATA:
            if key in stream.metadata:
                copied.metadata[key] = stream.metadata[key]
        mapping[stream.index] = copied
    if not mapping:
        raise MediaError("the video has no video or audio stream to copy")
    return mapping


def _add_subtitle_streams(output: Any, prepared: Sequence[_PreparedTrack]) -> list[av.Packet[Any]]:
    """Add one subtitle stream per track; return all their packets in time order."""
    streams = []
    for item in prepared:
        stream = output.add_stream(item.codec)
        stream.time_base = _MILLISECONDS
        stream.codec_context.time_base = _MILLISECONDS
        # Every text subtitle encoder (subrip too) parses this ASS header when it opens.
        stream.codec_context.subtitle_header = _header(item.document, item.codec)
        stream.metadata["language"] = item.track.language
        if item.track.title:
            stream.metadata["title"] = item.track.title
        streams.append(stream)
    output.start_encoding()
    packets = [
        packet
        for stream, item in zip(streams, prepared, strict=True)
        for packet in _encode_track(stream, item.document, item.codec)
    ]
    return sorted(packets, key=_packet_seconds)


def _interleave(
    source: Any, mapping: dict[int, Any], subtitles: list[av.Packet[Any]]
) -> Iterator[av.Packet[Any]]:
    """All copied packets and subtitle packets, subtitles placed by their start time."""
    pending = list(reversed(subtitles))
    for packet in source.demux(*[source.streams[i] for i in mapping]):
        if packet.dts is None and packet.pts is None:
            continue  # a demuxer flush packet: nothing to copy
        moment = _packet_seconds(packet)
        while pending and _packet_seconds(pending[-1]) <= moment:
            yield pending.pop()
        packet.stream = mapping[packet.stream.index]
        yield packet
    yield from reversed(pending)


def _check_paths(video: Path, out: Path) -> str:
    container_format = _CONTAINERS.get(out.suffix.lower())
    if container_format is None:
        raise ValueError(f"cannot write {out.name}: use one of {', '.join(_CONTAINERS)}")
    if not video.is_file():
        raise FileNotFoundError(f"video {video} does not exist")
    if out.exists() and out.resolve() == video.resolve():
        raise ValueError(f"refusing to overwrite the source video {video}")
    return container_format


def mux_soft_subtitles(video: Path, tracks: Sequence[SubtitleTrack], out: Path) -> Path:
    """Write a copy of ``video`` with subtitle tracks added, without re-encoding anything.

    Args:
        video: The source video; it is never modified.
        tracks: The subtitle tracks to add, in the order players list them.
        out: The output; ``.mkv`` gives subrip (or ass) tracks, ``.mp4``/``.m4v``/``.mov``
            gives mov_text tracks.

    Returns:
        ``out``.

    Raises:
        ValueError: No tracks, an unsupported output suffix, ``out`` is the source, or a
            subtitle file cannot be read.
        FileNotFoundError: The video or a subtitle file does not exist.
        MediaError: The video cannot be read, or a stream cannot go into the output container.
    """
    video, out = Path(video), Path(out)
    if not tracks:
        raise ValueError("no subtitle tracks to add")
    container_format = _check_paths(video, out)
    prepared = [_prepare(track, container_format) for track in tracks]
    try:
        with (
            av.open(str(video)) as source,
            atomic_output(out) as temporary,
            av.open(str(temporary), "w", format=container_format) as output,
        ):
            mapping = _copy_streams(source, output)
            subtitles = _add_subtitle_streams(output, prepared)
            for packet in _interleave(source, mapping, subtitles):
                output.mux(packet)
    except av.error.FFmpegError as error:
        raise MediaError(f"cannot remux {video.name} into {out.name}: {error}") from error
    log.info("muxed %d subtitle track(s) into %s", len(tracks), out)
    return out
