"""The names of a job's output files, in one place.

The pipeline writes its outputs under these names, the dub stage adds its tracks under them,
and Review finds the files to rewrite by them: a name changed here changes everywhere.
All outputs go to the job's ``out_dir`` and start with the input's stem.
"""

from __future__ import annotations

from pathlib import Path

from vt_desktop.core.jobs.model import JobSpec

__all__ = [
    "burned_video",
    "dub_mux_track",
    "dub_track",
    "dubbed_video",
    "subtitle_file",
    "subtitled_video",
]


def subtitle_file(spec: JobSpec, lang: str, fmt: str) -> Path:
    """``talk.pt.srt``: one language's subtitles in one format."""
    return spec.out_dir / f"{spec.input.stem}.{lang}.{fmt}"


def subtitled_video(spec: JobSpec, fmt: str) -> Path:
    """``talk.subtitled.mkv``: the video with every language as a soft subtitle track."""
    return spec.out_dir / f"{spec.input.stem}.subtitled.{fmt}"


def burned_video(spec: JobSpec, lang: str) -> Path:
    """``talk.pt.burned.mp4``: the video with one language's subtitles drawn in."""
    return spec.out_dir / f"{spec.input.stem}.{lang}.burned.mp4"


def dub_track(spec: JobSpec, lang: str) -> Path:
    """``talk.pt.dub.m4a``: one language's dubbed audio track (AAC), on its own."""
    return spec.out_dir / f"{spec.input.stem}.{lang}.dub.m4a"


def dub_mux_track(spec: JobSpec, lang: str, job_id: str) -> Path:
    """The hidden Opus copy of a dubbed track that Matroska videos take (removed once muxed)."""
    return spec.out_dir / f".{spec.input.stem}.{lang}.dub.{job_id}.mka"


def dubbed_video(spec: JobSpec) -> Path:
    """``talk.dubbed.mkv``: the dubbed video made when the job wrote no video of its own."""
    return spec.out_dir / f"{spec.input.stem}.dubbed.mkv"
