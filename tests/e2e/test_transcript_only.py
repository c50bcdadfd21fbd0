"""A transcript-only job: subtitles in the spoken language, nothing translated (real video,
real models, broker and workers through ``vt``)."""

from __future__ import annotations

from pathlib import Path

import pysubs2
import pytest

from tests.support.cli import vt, vt_env
from tests.support.media import make_video
from vt_desktop.core.jobs.store import JobStore

pytestmark = pytest.mark.slow


def test_transcribe_writes_the_spoken_language_and_sends_no_translation(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    done = vt("translate", str(video), "--transcribe", "--model", "tiny.en", "--formats", "srt",
              "--out", str(out), env=vt_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "jfk talk.mp4 → transcript" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["jfk talk.en.srt"]
    text = " ".join(e.plaintext for e in pysubs2.load(str(out / "jfk talk.en.srt")))
    assert "ask not what your country can do for you" in text.lower().replace(",", "")
    # language detection + one segment; no mt call at all
    assert "done: 2 call(s) sent, 0 result(s) reused" in done.stderr
    store = JobStore(tmp_path / "data" / "jobs.sqlite3")
    [record] = store.jobs()
    assert (record.spec.transcribe, record.spec.targets) == (True, ["en"])


def test_transcribe_and_target_languages_are_refused_together(tmp_path: Path) -> None:
    done = vt("translate", "x.mp4", "--transcribe", "--to", "pt", env=vt_env(tmp_path), timeout=60)
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr
    nothing = vt("translate", "x.mp4", env=vt_env(tmp_path), timeout=60)
    assert nothing.returncode == 2
    assert "one of the arguments --to --transcribe is required" in nothing.stderr
