"""Look at a media file before any work starts, and refuse it early with a clear reason.

:func:`probe` reads only the container's header, a second or so of each audio stream and a
few packets near the end, so it is quick even for a file of several gigabytes. It opens the
file read-only and writes nothing anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.container

from vt_desktop.core.media._container import (
    audio_stream_of,
    check_regular_file,
    open_input,
    read_head,
)
from vt_desktop.core.media._languages import same_language
from vt_desktop.core.media.audio import decode_frames
from vt_desktop.core.media.errors import (
    AudioUndecodableError,
    CorruptMediaError,
    EmptyMediaError,
    IntakeError,
    MediaTooLargeError,
    NoAudioStreamError,
    ZeroDurationError,
)

__all__ = ["AudioStream", "MediaInfo", "VideoInfo", "pick_audio_stream", "probe"]

log = logging.getLogger(__name__)

_MB = 1_000_000
_DECODE_CHECK_S = 1.0
_END_CHECK_S = 3.0
_END_CHECK_PACKETS = 2000
# Raw elementary streams whose duration FFmpeg guesses from the bit rate: their stated length
# can be wrong without the file being damaged, so they are not checked for truncation.
_GUESSED_DURATION_FORMATS = frozenset({"mp3", "aac", "ac3", "eac3", "dts", "truehd", "amr"})


@dataclass(frozen=True, slots=True)
class AudioStream:
    """One audio stream of a media file.

    Attributes:
        index: The container's stream index; pass it to ``iter_pcm``/``plan_segments``.
        codec: FFmpeg's codec name, e.g. ``"aac"``, ``"flac"``, ``"opus"``.
        language: The stream's language tag as written in the file (ISO 639, e.g. ``"eng"``),
            or None when untagged or ``"und"``.
        channels: Number of channels.
        sample_rate: Samples per second.
        duration_s: Length of this stream in seconds, or None when the file does not say.
    """

    index: int
    codec: str
    language: str | None
    channels: int
    sample_rate: int
    duration_s: float | None


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """The first video stream of a file (cover art excluded).

    Attributes:
        codec: FFmpeg's codec name, e.g. ``"h264"``.
        width: Width in pixels.
        height: Height in pixels.
        fps: Average frames per second, or None when the file does not say.
    """

    codec: str
    width: int
    height: int
    fps: float | None


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What :func:`probe` found out about an accepted media file.

    Attributes:
        path: The file, as given.
        size_bytes: Its size on disk.
        duration_s: Its playing time in seconds (> 0).
        container: FFmpeg's name of the container format, e.g. ``"matroska,webm"``.
        video: The video stream, or None for an audio-only file.
        audio_streams: Every audio stream that decodes, in file order (never empty).
    """

    path: Path
    size_bytes: int
    duration_s: float
    container: str
    video: VideoInfo | None
    audio_streams: tuple[AudioStream, ...]


def probe(path: Path, *, max_size: int) -> MediaInfo:
    """Check that ``path`` is usable media with decodable audio and describe it.

    Args:
        path: The file the user chose.
        max_size: The largest accepted file size in bytes.

    Returns:
        The file's description.

    Raises:
        IntakeError: A subclass whose ``kind`` and message say why the file is refused.
    """
    path = Path(path)
    info = check_regular_file(path)
    read_head(path)
    if info.st_size == 0:
        raise EmptyMediaError(path, "the file is empty (0 bytes).")
    if info.st_size > max_size:
        raise MediaTooLargeError(
            path,
            f"the file is {info.st_size / _MB:,.1f} MB, over the limit of "
            f"{max_size / _MB:,.1f} MB.",
        )
    with open_input(path) as container:
        if not container.streams.audio:
            raise NoAudioStreamError(path, _no_audio_reason(container))
        duration_s = _duration_s(container, path)
        _check_not_cut_short(container, path, duration_s)
        video = _video_info(container)
        container_name = container.format.name
    streams = _decodable_audio_streams(path)
    log.info("accepted %s: %.1fs, %d audio stream(s)", path, duration_s, len(streams))
    return MediaInfo(
        path=path,
        size_bytes=info.st_size,
        duration_s=duration_s,
        container=container_name,
        video=video,
        audio_streams=streams,
    )


def pick_audio_stream(info: MediaInfo, preferred_languages: Sequence[str] = ()) -> AudioStream:
    """Choose the audio stream to translate.

    Args:
        info: A probed file.
        preferred_languages: Language codes in order of preference; two- and three-letter
            ISO 639 codes both match (``"en"`` finds a stream tagged ``"eng"``).

    Returns:
        The first stream in the most preferred language present, else the file's first audio
        stream.
    """
    for wanted in preferred_languages:
        for stream in info.audio_streams:
            if stream.language is not None and same_language(stream.language, wanted):
                return stream
    return info.audio_streams[0]


def _no_audio_reason(container: av.container.InputContainer) -> str:
    if container.streams.video:
        return "the video has no sound track, so there is no speech to translate."
    return "it has no audio stream, so there is no speech to translate."


def _duration_s(container: av.container.InputContainer, path: Path) -> float:
    """The playing time the file states, or the end of its last packet when it states none."""
    if container.duration is not None:
        duration = container.duration / av.time_base
    else:
        stated = [_stream_duration_s(s) for s in container.streams.audio]
        known = [d for d in stated if d is not None]
        duration = max(known) if known else _last_packet_end_s(container)
    if duration <= 0:
        raise ZeroDurationError(path, "it contains no audio (its length is zero).")
    return duration


def _stream_duration_s(stream: av.stream.Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _last_packet_end_s(container: av.container.InputContainer) -> float:
    end = 0.0
    try:
        for packet in container.demux():
            end = max(end, _packet_end_s(packet))
        container.seek(0)
    except av.error.FFmpegError:
        pass  # a damaged tail is judged by the truncation check, not here
    return end


def _packet_end_s(packet: av.Packet[Any]) -> float:
    """When a packet's media ends, in seconds; 0 for a packet without a timestamp."""
    if packet.pts is None or packet.time_base is None:
        return 0.0
    return float((packet.pts + (packet.duration or 0)) * packet.time_base)


def _check_not_cut_short(
    container: av.container.InputContainer, path: Path, duration_s: float
) -> None:
    """Refuse a file whose packets stop well before the playing time it states."""
    if container.format.name in _GUESSED_DURATION_FORMATS or duration_s <= _END_CHECK_S:
        return
    try:
        container.seek(int((duration_s - _END_CHECK_S) * av.time_base), backward=True)
    except av.error.FFmpegError:
        log.debug("could not seek near the end of %s; truncation not checked", path)
        return
    reached = 0.0
    try:
        for count, packet in enumerate(container.demux()):
            reached = max(reached, _packet_end_s(packet))
            if count >= _END_CHECK_PACKETS:
                return
    except av.error.FFmpegError:
        pass  # reading stopped at the damage: ``reached`` says how far it got
    if reached < duration_s - max(1.0, 0.02 * duration_s):
        raise CorruptMediaError(
            path,
            f"the file is cut short: it should last {duration_s:.1f} s but its data stops "
            f"at {reached:.1f} s. Was the copy or download interrupted?",
        )


def _video_info(container: av.container.InputContainer) -> VideoInfo | None:
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue  # cover art of an audio file, not a video
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            codec=stream.codec_context.name,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else None,
        )
    return None


def _decodable_audio_streams(path: Path) -> tuple[AudioStream, ...]:
    """Describe every audio stream whose first second decodes; refuse when none does."""
    described: list[AudioStream] = []
    failures: list[IntakeError] = []
    with open_input(path) as container:
        indexes = [stream.index for stream in container.streams.audio]
    for index in indexes:
        try:
            stream = _describe_if_decodable(path, index)
        except (AudioUndecodableError, CorruptMediaError) as exc:
            log.warning("audio stream #%d of %s is unusable: %s", index, path, exc)
            failures.append(exc)
            continue
        if stream is not None:
            described.append(stream)
    if described:
        return tuple(described)
    if failures:
        raise failures[0]
    raise ZeroDurationError(path, "its audio stream holds no sound at all (zero samples).")


def _describe_if_decodable(path: Path, index: int) -> AudioStream | None:
    """Decode up to a second of stream ``index``; None when it has no samples at all."""
    with open_input(path) as container:
        stream = audio_stream_of(container, index, path)
        decoded_s = 0.0
        for frame in decode_frames(container, stream, path):
            decoded_s += frame.samples / frame.sample_rate
            if decoded_s >= _DECODE_CHECK_S:
                break
        if decoded_s == 0.0:
            return None
        language = stream.metadata.get("language")
        return AudioStream(
            index=stream.index,
            codec=stream.codec_context.name,
            language=None if language in (None, "", "und") else language,
            channels=stream.codec_context.channels,
            sample_rate=stream.codec_context.sample_rate,
            duration_s=_stream_duration_s(stream) or _duration_from_tag(stream),
        )


def _duration_from_tag(stream: av.stream.Stream) -> float | None:
    """Matroska files written by FFmpeg carry each stream's length as a ``DURATION`` tag."""
    tag = stream.metadata.get("DURATION")
    if not tag:
        return None
    try:
        hours, minutes, seconds = tag.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None
