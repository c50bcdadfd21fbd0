"""End to end: ``vt translate`` of a real video with real models, broker and workers."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pysubs2
import pytest

from tests.support.cli import vt, vt_env
from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.jobs.store import JobStore

pytestmark = pytest.mark.slow


def test_translate_jfk_video_to_portuguese_writes_srt_vtt_and_mkv(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    done = vt(
        "translate",
        str(video),
        "--to",
        "pt,en",
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
    assert (out / "jfk talk.en.srt").exists(), done.stdout + done.stderr
    english = " ".join(e.plaintext for e in pysubs2.load(str(out / "jfk talk.en.srt")))
    assert "ask not what your country can do for you" in english.lower().replace(",", "")
    with av.open(str(mkv)) as container:
        kinds = sorted(s.type for s in container.streams)
        tags = [s.metadata.get("language") for s in container.streams if s.type == "subtitle"]
        assert kinds == ["audio", "subtitle", "subtitle", "video"]
        assert tags == ["por", "eng"]
    # ASR once for both languages: language detection + 1 segment; MT only for pt: 1 batch
    assert "done: 3 call(s) sent, 0 result(s) reused" in done.stderr


def test_bad_input_is_refused_with_its_reason_and_exit_code_2(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    done = vt("translate", str(fake), "--to", "pt", env=vt_env(tmp_path), timeout=60)
    assert done.returncode == 2
    assert "notes.mp4" in done.stderr
    assert "not a video or audio file" in done.stderr


def test_german_speech_to_english_subtitles_through_whisper_translate(tmp_path: Path) -> None:
    from tests.support.media import espeak

    german = espeak(
        tmp_path / "de.wav",
        "Guten Morgen. Ich heiße Anna und ich wohne in Berlin. "
        "Heute ist das Wetter sehr schön, und wir gehen in den Park.",
        voice="de",
    )
    video = make_video(tmp_path / "anna.mkv", german)
    out = tmp_path / "out"
    done = vt(
        "translate",
        str(video),
        "--to",
        "en",
        "--engine",
        "whisper",
        "--model",
        "base",
        "--formats",
        "srt",
        "--out",
        str(out),
        env=vt_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = " ".join(e.plaintext for e in pysubs2.load(str(out / "anna.en.srt"))).lower()
    words = set(text.replace(".", " ").replace(",", " ").split())
    assert len(words & {"good", "morning", "berlin", "park", "today", "weather", "beautiful"}) >= 2
    assert not words & {"guten", "morgen", "heute", "wetter"}, text


def test_whisper_engine_refuses_targets_other_than_english(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk.mp4", seconds=2)
    done = vt(
        "translate",
        str(video),
        "--to",
        "de",
        "--engine",
        "whisper",
        "--formats",
        "srt",
        "--out",
        str(tmp_path / "out"),
        env=vt_env(tmp_path),
    )
    assert done.returncode == 1
    assert "English only" in done.stderr


def test_a_target_no_engine_translates_is_refused_before_any_recognition(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    env = vt_env(tmp_path) | {"LOG_LEVEL": "INFO"}
    began = time.monotonic()
    done = vt(
        "translate", str(video), "--to", "pt,de", "--from", "en", "--model", "tiny.en",
        "--out", str(out), "--log-level", "INFO", env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    assert time.monotonic() - began < 90, "refused once the workers answered, not after work"
    assert "no translation model for en → de" in done.stderr
    assert "`vt models download opus-mt-en-de` (≈ 155 MB)" in done.stderr  # what to do
    assert "en → pt" not in done.stderr.split("(the workers offer")[0], "pt can be translated"
    assert "bergamot: en → pt, pt → en" in done.stderr
    assert "two models through English" in done.stderr
    assert "llm_base_url and llm_model" in done.stderr
    assert not out.exists(), "nothing is written"
    assert JobStore(tmp_path / "data" / "jobs.sqlite3").jobs() == [], "no job was stored"
    assert "asr.transcribe" not in (tmp_path / "logs" / "app.log").read_text()


def test_the_spoken_language_checked_after_detection_fails_the_job_before_translating(
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    env = vt_env(tmp_path) | {"LOG_LEVEL": "INFO"}
    done = vt(
        "translate", str(video), "--to", "de", "--model", "tiny.en", "--formats", "srt,vtt,mkv",
        "--out", str(out), "--log-level", "INFO", env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    assert "failed: no translation model for en → de" in done.stderr
    assert "asr.transcribe" in (tmp_path / "logs" / "app.log").read_text(), "it recognised"
    assert (sorted(out.iterdir()) if out.exists() else []) == [], "no .de file, no video"
    (job,) = JobStore(tmp_path / "data" / "jobs.sqlite3").jobs()
    assert job.state is JobState.FAILED
    assert job.error is not None and job.error.startswith("no translation model for en → de")


def test_with_the_spoken_language_given_the_workers_pick_an_engine_for_portuguese(
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    out = tmp_path / "out"
    done = vt(
        "translate", str(video), "--to", "pt", "--from", "en", "--model", "tiny.en",
        "--formats", "srt", "--out", str(out), env=vt_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    text = " ".join(e.plaintext for e in pysubs2.load(str(out / "jfk talk.pt.srt"))).lower()
    assert "país" in text, text
