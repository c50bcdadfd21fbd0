"""Export: a review session's cues written back to the job's subtitle files and videos.

The files to rewrite are the job's outputs found by the job's output names
(:mod:`vt_desktop.core.jobs.naming`), written by the same writers the pipeline uses, each
atomically. The edited cues then become the job's cues (the draft is dropped).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.naming import (
    burned_video,
    dub_mux_track,
    dubbed_video,
    subtitle_file,
    subtitled_video,
)
from vt_desktop.core.jobs.options import SUBTITLE_FORMATS, VIDEO_FORMATS
from vt_desktop.core.languages import iso639_2
from vt_desktop.core.review.cues import ReviewCue, ReviewError
from vt_desktop.core.review.dub import add_dub_tracks, rebuild_dub
from vt_desktop.core.review.session import ReviewSession
from vt_desktop.core.review.tracks import drop, keep_dub_tracks
from vt_desktop.core.subtitles import write_subtitles
from vt_desktop.core.video import SubtitleTrack, mux_soft_subtitles
from worker.transport.client import RpcClient

__all__ = ["ExportResult", "export"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    """The files an export rewrote, and notes on what it left alone."""

    written: list[Path]
    notes: list[str]


def _targets(session: ReviewSession) -> tuple[list[Path], list[Path], list[str]]:
    """The subtitle files and videos to rewrite from this language's cues, and notes."""
    spec, lang = session.record.spec, session.lang
    subtitle_names = {subtitle_file(spec, lang, fmt).name for fmt in SUBTITLE_FORMATS}
    video_names = {subtitled_video(spec, fmt).name for fmt in VIDEO_FORMATS}
    subtitles: list[Path] = []
    videos: list[Path] = []
    notes: list[str] = []
    for output in map(Path, session.record.outputs):
        name = output.name
        if name in subtitle_names:
            subtitles.append(output)
        elif name in video_names:
            videos.append(output)
        elif name == burned_video(spec, lang).name:
            notes.append(f"{name} was not rendered again (burning in takes a full re-encode).")
    return subtitles, videos, notes


def _tracks(session: ReviewSession) -> list[SubtitleTrack]:
    tracks = []
    for target in session.record.spec.targets:
        other = (
            session
            if target == session.lang
            else ReviewSession.open(session.store, session.record.id, target, draft=False)
        )
        tracks.append(SubtitleTrack(other.written(), iso639_2(target), title=target))
    return tracks


async def export(session: ReviewSession, rpc: RpcClient | None = None) -> ExportResult:
    """Save the edits, then rewrite the job's subtitle files (and soft-subtitle videos)
    for the session's language from them; each file is replaced atomically. A job with a
    dub gets its dub brought up to date (lines changed since are spoken through ``rpc``,
    see :mod:`.dub`) and its dubbed tracks back in the videos.

    Raises:
        ReviewError: an output folder or the source video is gone (checked before anything
            is written), or a file could not be written (the edits are saved either way).
    """
    record, lang = session.record, session.lang
    subtitles, videos, notes = _targets(session)
    if not subtitles and not videos:
        raise ReviewError(f"Job {record.id} has no {lang} subtitle output to rewrite.")
    for path in subtitles + videos:
        if not path.parent.is_dir():
            raise ReviewError(f"The output folder {path.parent} is gone; nothing was written.")
    source = record.spec.input
    if videos and not source.is_file():
        names = ", ".join(v.name for v in videos)
        raise ReviewError(
            f"The source video {source} is gone, so {names} cannot be rebuilt; nothing was written."
        )
    tracks = _tracks(session) if videos else []
    dubbed = record.spec.dub
    before = ReviewSession.open(session.store, record.id, lang, draft=False).cues if dubbed else []
    # The videos' Opus dubs are copied out before the videos are rewritten (see .tracks).
    kept = await asyncio.to_thread(_keep, session, videos) if dubbed else {}
    session.save()
    cues = session.written()
    written: list[Path] = []
    try:
        for path in subtitles + videos:
            try:
                if path in subtitles:
                    written.append(await asyncio.to_thread(write_subtitles, cues, path))
                else:
                    written.append(
                        await asyncio.to_thread(mux_soft_subtitles, source, tracks, path)
                    )
            except (OSError, ValueError) as exc:
                raise ReviewError(
                    f"{path.name} was not written: {exc}. The edits are saved; "
                    "export again once it is fixed."
                ) from exc
        if dubbed:
            written += await _dub(session, before, rpc, videos, notes, kept=kept)
    finally:
        drop(list(kept.values()))
    log.info("review %s/%s: exported %d file(s)", record.id, lang, len(written))
    return ExportResult(written, notes)


def _keep(session: ReviewSession, videos: list[Path]) -> dict[str, Path]:
    """Each language's Opus dub as the job's Matroska videos carry it, copied out."""
    spec, job = session.record.spec, session.record.id
    fresh = dubbed_video(spec)
    carriers = [*videos, *([fresh] if str(fresh) in session.record.outputs else [])]

    def path_for(lang: str) -> Path:
        return dub_mux_track(spec, lang, job).with_suffix(".kept.mka")

    return keep_dub_tracks(carriers, spec.targets, path_for)


async def _dub(
    session: ReviewSession,
    before: list[ReviewCue],
    rpc: RpcClient | None,
    videos: list[Path],
    notes: list[str],
    *,
    kept: dict[str, Path],
) -> list[Path]:
    """The dub brought up to date, and put back into the videos rewritten (and the job's
    ``.dubbed.mkv``); returns the files written, adding to ``notes``.

    Raises:
        ReviewError: the dub could not be written (the edits are saved).
    """
    spec = session.record.spec
    fresh = dubbed_video(spec)
    if str(fresh) in session.record.outputs and fresh.is_file():
        videos = [*videos, fresh]
    try:
        written, silent = await rebuild_dub(session, before, rpc, kept)
        notes += silent
        notes += await add_dub_tracks(session, videos, kept)
    except (OSError, ValueError, VtError) as exc:
        raise ReviewError(
            f"The dub was not rewritten: {exc}. The edits are saved; export again once it is fixed."
        ) from exc
    return written + ([fresh] if fresh in videos else [])
