"""The dubbed tracks' packets, kept and swapped: how a re-dubbed line changes only itself.

Both of a dub's encodings carry state from frame to frame (AAC's transform overlap, Opus's
encoder and decoder), so a track rendered whole again differs from the old one well past a
changed line. Instead the old track's packets are kept everywhere outside the changed spans,
and a whole new render's packets are swapped in inside them (:func:`splice_packets`); only
the decoder's state settles a little after each span (a few AAC frames, about 0.35 s of
Opus). The ``.m4a`` keeps its own packets; the Opus copies live only inside the job's
Matroska videos, which Export rewrites first, so :func:`keep_dub_tracks` copies them out
before, and the videos get them back (spliced for the language edited, as they were for the
others).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

import av

from vt_desktop.core.dubbing import RATE
from vt_desktop.core.subtitles.atomic import atomic_output

__all__ = ["drop", "dub_title", "frame_times", "keep_dub_tracks", "splice_packets"]

log = logging.getLogger(__name__)
_FORMATS = {".m4a": "mp4", ".mka": "matroska"}


def dub_title(lang: str) -> str:
    """The title a dubbed track carries in the videos (how it is found again)."""
    return f"{lang} (dub)"


def frame_times(path: Path) -> list[int]:
    """The timestamps of the audio packets of ``path`` (in its stream's time base)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [p.pts for p in container.demux(stream) if p.size and p.pts is not None]


def splice_packets(old: Path, new: Path, out: Path, windows: Sequence[tuple[int, int]]) -> Path:
    """Write ``out`` (atomically) with ``new``'s packets inside ``windows`` (samples at
    :data:`RATE`) and ``old``'s everywhere else; both are renders of the same length, AAC
    in ``.m4a`` or Opus in ``.mka`` (``out``'s suffix says which)."""
    spans = [(a / RATE, b / RATE) for a, b in windows]
    with (
        atomic_output(out) as temporary,
        av.open(str(old)) as before,
        av.open(str(new)) as after,
        av.open(str(temporary), "w", format=_FORMATS[out.suffix]) as output,
    ):
        kept, fresh = before.streams.audio[0], after.streams.audio[0]
        stream = output.add_stream_from_template(kept)
        stream.metadata.update(kept.metadata)
        replacements = {p.pts: p for p in after.demux(fresh) if p.size}
        for packet in before.demux(kept):
            if not packet.size:
                continue
            pts = packet.pts if packet.pts is not None else 0
            moment = float(pts * packet.time_base) if packet.time_base is not None else 0.0
            inside = any(a <= moment <= b for a, b in spans)
            chosen = replacements.get(pts, packet) if inside else packet
            chosen.stream = stream
            output.mux(chosen)
    return out


def _copy_track(video: Path, index: int, out: Path) -> None:
    with (
        atomic_output(out) as temporary,
        av.open(str(video)) as source,
        av.open(str(temporary), "w", format="matroska") as output,
    ):
        track = source.streams[index]
        stream = output.add_stream_from_template(track)
        stream.metadata.update(track.metadata)
        for packet in source.demux(track):
            if packet.size and (packet.pts is not None or packet.dts is not None):
                packet.stream = stream
                output.mux(packet)


def _dub_streams(video: Path, titles: dict[str, str]) -> dict[str, int]:
    """The index of each language's dubbed Opus track in ``video`` (by its title)."""
    found: dict[str, int] = {}
    with av.open(str(video)) as container:
        for stream in container.streams.audio:
            lang = titles.get(stream.metadata.get("title", ""))
            if lang is not None and lang not in found and stream.codec_context.name == "opus":
                found[lang] = stream.index
    return found


def keep_dub_tracks(
    videos: Sequence[Path], langs: Sequence[str], path_for: Callable[[str], Path]
) -> dict[str, Path]:
    """Copy each language's dubbed Opus track out of the first Matroska video of ``videos``
    that carries it, into ``path_for(lang)`` (a ``.mka``); returns the copies made. A video
    that cannot be read is passed over (its tracks are rendered again)."""
    titles = {dub_title(lang): lang for lang in langs}
    kept: dict[str, Path] = {}
    for video in videos:
        if video.suffix != ".mkv" or not video.is_file() or len(kept) == len(titles):
            continue
        try:
            for lang, index in _dub_streams(video, titles).items():
                if lang not in kept:
                    out = path_for(lang)
                    _copy_track(video, index, out)
                    kept[lang] = out
        except (OSError, ValueError, av.error.FFmpegError) as exc:
            log.warning("the dubbed tracks of %s were not kept: %s", video.name, exc)
    return kept


def drop(paths: Sequence[Path]) -> None:
    """Remove the kept copies (those still there)."""
    for path in paths:
        with suppress(OSError):
            path.unlink()
