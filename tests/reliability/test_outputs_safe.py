"""Outputs are safe: a writer killed with SIGKILL in the middle of writing never leaves a
half-written subtitle or video at the user's output path, and the next write clears what the
killed one left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from tests.support.media import make_video
from vt_desktop.core.subtitles.atomic import write_text_atomic
from vt_desktop.core.video.remux import SubtitleTrack, mux_soft_subtitles

ROOT = Path(__file__).resolve().parents[2]
KILLS = 12
#: A writer that rewrites both outputs with the app's own atomic writers until killed.
WRITER = """
import sys
from pathlib import Path
from vt_desktop.core.subtitles.atomic import write_text_atomic
from vt_desktop.core.video.remux import SubtitleTrack, mux_soft_subtitles
video, srt, mkv = map(Path, sys.argv[1:4])
text = srt.with_suffix(".expected").read_text()
print("ready", flush=True)
while True:
    write_text_atomic(srt, text)
    mux_soft_subtitles(video, [SubtitleTrack(srt, "por")], mkv)
"""


def _srt_text(cues: int) -> str:
    """A large valid SRT (so a write takes long enough to be interrupted)."""
    blocks = []
    for n in range(cues):
        start, end = n * 2, n * 2 + 1
        blocks.append(
            f"{n + 1}\n00:{start // 60 % 60:02d}:{start % 60:02d},000 --> "
            f"00:{end // 60 % 60:02d}:{end % 60:02d},500\nLinha número {n} da legenda.\n"
        )
    return "\n".join(blocks)


def _mkv_is_whole(path: Path) -> bool:
    with av.open(str(path)) as media:
        kinds = sorted(s.type for s in media.streams)
        packets = sum(1 for _ in media.demux())
    return kinds == ["audio", "subtitle", "video"] and packets > 100


@pytest.mark.slow
def test_writers_killed_mid_write_never_leave_a_partial_output(tmp_path: Path) -> None:
    video = make_video(tmp_path / "in.mp4")
    out = tmp_path / "out"
    out.mkdir()
    srt, mkv = out / "talk.pt.srt", out / "talk.subtitled.mkv"
    expected = _srt_text(2000)
    srt.with_suffix(".expected").write_text(expected)
    rng = random.Random(5)
    checked = leftovers_seen = 0
    for _ in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(video), str(srt), str(mkv)],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
        )  # fmt: skip
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 1.2))
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        if srt.exists():
            assert srt.read_text() == expected, "a half-written subtitle at the output path"
            checked += 1
        if mkv.exists():
            assert _mkv_is_whole(mkv), "a half-written video at the output path"
            checked += 1
        leftovers_seen += len([p for p in out.iterdir() if ".partial" in p.name])
    assert checked >= KILLS, "the outputs were rarely there: the test proved little"
    # the next writes clear what the killed writers had no chance to remove
    write_text_atomic(srt, expected)
    mux_soft_subtitles(video, [SubtitleTrack(srt, "por")], mkv)
    left = sorted(p.name for p in out.iterdir() if ".partial" in p.name)
    assert left == [], left
    umask = os.umask(0o022)
    os.umask(umask)
    for path in (srt, mkv):  # outputs readable as the user's umask says, not 0600
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, oct(path.stat().st_mode)
    print(
        f"reliability: outputs-safe kills={KILLS} outputs_checked={checked} half_written=0 "
        f"partials_left_by_kills={leftovers_seen} partials_after_next_write=0"
    )
