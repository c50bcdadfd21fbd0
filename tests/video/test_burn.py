"""Burned-in subtitles with ffmpeg + libass: drawn into the picture, audio kept, cancellable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.media import make_video
from vt_desktop.core.subtitles import AssStyle, Cue, write_ass
from vt_desktop.core.video import BurnError, burn_subtitles, subtitles_filter

BRIGHT = AssStyle(font_size=300, outline=8)  # fills the lower part of a 160x120 frame


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 2.5 s, 160x120 H.264 + AAC clip of jfk.flac."""
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2.5)


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds:
                return frame.to_ndarray(format="rgb24").astype(int)
    raise AssertionError(f"no frame at {seconds} s in {path}")


def difference_below_middle(source: Path, burned: Path, seconds: float) -> float:
    """Mean per-pixel colour difference in the lower half of the frame at ``seconds``."""
    a, b = frame_at(source, seconds), frame_at(burned, seconds)
    return float(np.abs(a - b).max(axis=2)[a.shape[0] // 2 :].mean())


async def test_a_cue_is_drawn_into_the_picture_only_while_it_is_shown(clip, tmp_path):
    ass = write_ass([Cue(1, 0.5, 1.5, ("HELLO",))], tmp_path / "subs.ass", BRIGHT)
    reported: list[float] = []
    out = await burn_subtitles(clip, ass, tmp_path / "burned.mp4", progress=reported.append)
    assert difference_below_middle(clip, out, 1.0) > 8 * difference_below_middle(clip, out, 2.2)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert len(container.streams.audio) == 1
    assert reported
    assert reported[-1] == 1.0
    assert all(0.0 <= fraction <= 1.0 for fraction in reported)
    assert reported == sorted(reported)


async def test_a_subtitle_path_with_colons_quotes_brackets_and_accents_works(clip, tmp_path):
    folder = tmp_path / "dir, [with]; odd:chars"
    folder.mkdir()
    ass = write_ass([Cue(1, 0.5, 1.5, ("HELLO",))], folder / "we'ird \\ name ção.ass", BRIGHT)
    out = await burn_subtitles(clip, ass, tmp_path / "burned.mp4")
    assert difference_below_middle(clip, out, 1.0) > 8 * difference_below_middle(clip, out, 2.2)


def test_the_filter_escapes_both_levels_of_ffmpeg_parsing(tmp_path):
    # option level: ':' -> '\:'; graph level then escapes that backslash: '\\:'
    assert subtitles_filter(tmp_path / "a:b.ass").endswith(r"/a\\:b.ass")
    assert subtitles_filter(tmp_path / "it's.ass").endswith(r"/it\\\'s.ass")
    assert subtitles_filter(tmp_path / "x,[1];.ass").endswith(r"/x\,\[1\]\;.ass")


async def test_ffmpeg_failure_reports_ffmpeg_own_words_and_leaves_nothing(clip, tmp_path):
    junk = tmp_path / "junk.srt"
    junk.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(BurnError, match=r"(?s)exit code.*Unable to open"):
        await burn_subtitles(clip, junk, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.srt"]


async def test_bad_requests_are_refused_before_ffmpeg_runs(clip, tmp_path):
    ass = write_ass([Cue(1, 0.5, 1.5, ("HI",))], tmp_path / "s.ass")
    with pytest.raises(ValueError, match="refusing to overwrite"):
        await burn_subtitles(clip, ass, clip)
    with pytest.raises(ValueError, match="use one of"):
        await burn_subtitles(clip, ass, tmp_path / "out.gif")
    with pytest.raises(FileNotFoundError, match="subtitle file"):
        await burn_subtitles(clip, tmp_path / "missing.ass", tmp_path / "out.mp4")
    not_video = tmp_path / "text.mp4"
    not_video.write_text("not a video")
    with pytest.raises(BurnError, match="cannot read"):
        await burn_subtitles(not_video, ass, tmp_path / "out.mp4")


@pytest.mark.slow
async def test_cancelling_kills_ffmpeg_and_removes_the_partial_output(tmp_path):
    long_clip = make_video(tmp_path / "long.mp4", None, seconds=60, size=(320, 240), fps=25)
    ass = write_ass([Cue(1, 0.5, 50.0, ("HELLO",))], tmp_path / "s.ass", BRIGHT)
    started = asyncio.Event()
    reported: list[float] = []

    def on_progress(fraction):
        reported.append(fraction)
        if fraction < 1.0:
            started.set()

    task = asyncio.create_task(
        burn_subtitles(long_clip, ass, tmp_path / "out.mp4", progress=on_progress)
    )
    await asyncio.wait_for(started.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4", "s.ass"]
    assert max(reported) < 1.0
