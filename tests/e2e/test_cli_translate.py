"""End to end: ``vt translate`` of a real video with real models, broker and workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import pysubs2
import pytest

from tests.support.media import make_video

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def vt_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VT_CONFIG_DIR=str(home / "config"),
        DATA_DIR=str(home / "data"),
        CACHE_DIR=str(home / "cache"),
        LOG_DIR=str(home / "logs"),
        VT_CACHE_DIR=str(home / "cache"),
        RABBITMQ_PORT=str(_port()),
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _port() -> int:
    from vt_desktop.core.supervisor.broker import free_port

    return free_port()


def vt(*args: str, env: dict[str, str], timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vt_desktop.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_translate_jfk_video_to_portuguese_writes_srt_vtt_and_mkv(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    done = vt(
        "translate",
        str(video),
        "--to",
        "pt",
        "--model",
        "tiny.en",
        "--engine",
        "bergamot",
        "--formats",
        "srt,vtt,mkv",
        "--out",
        str(out),
        env=vt_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    srt = out / "jfk talk.pt.srt"
    vtt = out / "jfk talk.pt.vtt"
    mkv = out / "jfk talk.subtitled.mkv"
    assert srt.exists() and vtt.exists() and mkv.exists(), done.stdout
    subs = pysubs2.load(str(srt))
    text = " ".join(e.plaintext for e in subs).lower()
    assert "país" in text, text
    assert subs[0].start < 2000 and subs[-1].end > 8000
    with av.open(str(mkv)) as container:
        kinds = sorted(s.type for s in container.streams)
        sub = next(s for s in container.streams if s.type == "subtitle")
        assert kinds == ["audio", "subtitle", "video"]
        assert sub.metadata.get("language") == "por"


def test_bad_input_is_refused_with_its_reason_and_exit_code_2(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    done = vt("translate", str(fake), "--to", "pt", env=vt_env(tmp_path), timeout=60)
    assert done.returncode == 2
    assert "notes.mp4" in done.stderr
    assert "not a video or audio file" in done.stderr
