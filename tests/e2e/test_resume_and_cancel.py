"""Resume after a killed CLI without redoing finished work; cancel frees workers at once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import ROOT, vt, vt_env
from tests.support.media import make_talk_video
from tests.support.results import until_results
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor.broker import free_port
from worker.protocol.system import PING, PingParams

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_talk_video(tmp_path_factory.mktemp("talk") / "talk.mp4")


def asr_results(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM results WHERE call_id LIKE '%.asr.%'"
                ).fetchone()[0]
            )
        except sqlite3.OperationalError:
            return 0


@pytest.fixture(scope="module")
def long_talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 18 segments: more than one batch of 8, so a batched job has stored results
    while its later segments are still being recognised."""
    return make_talk_video(tmp_path_factory.mktemp("long") / "talk.mp4", seconds=430.0)


def test_cli_killed_mid_recognition_resumes_sending_only_missing_calls(
    talk: Path, tmp_path: Path
) -> None:
    # One call at a time, so results arrive one by one and the app can be killed between
    # them: batched (the default, 8), all 8 segments of this talk come back at once.
    _kill_then_resume(talk, tmp_path, dict(vt_env(tmp_path), WORKER_PREFETCH="1"), kill_at=1)


def test_a_batched_job_killed_after_its_first_batch_resumes_sending_only_missing_calls(
    long_talk: Path, tmp_path: Path
) -> None:
    # The default worker takes 8 calls at once and recognises them as one batch: the kill
    # lands once the first batch is stored, while the next one is being recognised.
    _kill_then_resume(long_talk, tmp_path, vt_env(tmp_path), kill_at=8)


def _kill_then_resume(talk: Path, tmp_path: Path, env: dict[str, str], kill_at: int) -> None:
    """Kill the CLI once ``kill_at`` segments are recognised, resume the job, and check the
    resumed run sent only the calls whose results were not stored."""
    db = tmp_path / "data" / "jobs.sqlite3"
    out = tmp_path / "out"
    args = [
        "translate",
        str(talk),
        "--to",
        "pt",
        "--model",
        "tiny.en",
        "--engine",
        "bergamot",
        "--formats",
        "srt",
        "--out",
        str(out),
    ]
    first = subprocess.Popen(
        [sys.executable, "-m", "vt_desktop.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while asr_results(db) < kill_at and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    done_at_kill = asr_results(db)
    first.send_signal(signal.SIGKILL)
    _, err = first.communicate(timeout=30)
    assert done_at_kill >= kill_at, err[-2000:]
    with sqlite3.connect(db) as conn:
        job_id = conn.execute("SELECT id FROM jobs").fetchone()[0]
        state = conn.execute("SELECT state FROM jobs").fetchone()[0]
    assert state == "running", "the first run finished before it could be killed"
    time.sleep(2)  # the killed app's broker and workers go away by themselves

    second = vt("jobs", "resume", job_id, env=env, timeout=500)
    assert second.returncode == 0, second.stderr[-3000:]
    srt = (out / "talk.pt.srt").read_text(encoding="utf-8")
    assert srt.count(" --> ") >= 5, srt[:500]
    summary = re.search(r"done: (\d+) call\(s\) sent, (\d+) result\(s\) reused", second.stderr)
    assert summary is not None, second.stderr[-2000:]
    sent, reused = int(summary.group(1)), int(summary.group(2))
    with sqlite3.connect(db) as conn:
        total = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        plan = json.loads(
            conn.execute("SELECT value FROM artifacts WHERE key = 'plan'").fetchone()[0]
        )
    assert done_at_kill < len(plan["segments"])  # killed mid-recognition, not after it
    assert reused >= done_at_kill
    assert sent == total - reused, (sent, total, reused)
    assert sent < total
    print(f"resume: segments={len(plan['segments'])} stored_at_kill={done_at_kill} "
          f"resumed_sent={sent} reused={reused}")  # fmt: skip


async def test_cancel_frees_the_worker_within_2s_and_removes_partial_outputs(
    talk: Path, tmp_path: Path
) -> None:
    settings = AppSettings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        log_dir=tmp_path / "logs",
        config_dir=tmp_path / "config",
        workers=1,
        rabbitmq_port=free_port(),
    )
    rt = AppRuntime(settings)
    await rt.start()
    try:
        assert rt.runner is not None and rt.rpc is not None and rt.events is not None
        await rt.events.wait_for_workers(1, "asr", timeout=120)
        out = tmp_path / "out"
        spec = JobSpec(
            input=talk,
            targets=["pt"],
            out_dir=out,
            model="tiny.en",
            engine="bergamot",
            formats=["srt"],
        )
        job = rt.store.create_job(spec)
        task = asyncio.create_task(rt.runner.run(job))
        at_cancel = await until_results(rt.store, job, 2, task)
        task.cancel()
        cancelled_at = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        await rt.rpc.call(PING, PingParams(), timeout=2.0)
        freed_in = time.monotonic() - cancelled_at
        print(f"worker free {freed_in:.2f} s after cancel ({at_cancel} results stored then)")
        assert freed_in < 2.0
        assert rt.store.get(job).state is JobState.CANCELLED

        # cancel while writing: the subtitle file already written is removed again
        spec2 = spec.model_copy(update={"formats": ["srt", "mkv"], "burn_in": True})
        job2 = rt.store.create_job(spec2)
        task2 = asyncio.create_task(rt.runner.run(job2))
        srt = out / "talk.pt.srt"
        while not srt.exists() and not task2.done():
            await asyncio.sleep(0.02)
        task2.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task2
        assert not srt.exists()
        assert list(out.glob("talk*")) == []
    finally:
        await rt.stop()


async def test_pause_stops_new_calls_and_unpause_finishes_the_job(
    talk: Path, tmp_path: Path
) -> None:
    # worker_prefetch 1: results arrive one by one, so the job can be paused between them
    # (batched, all 8 segments of this talk come back at once and leave nothing to hold).
    settings = AppSettings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", log_dir=tmp_path / "logs",
        config_dir=tmp_path / "config", workers=1, worker_prefetch=1, rabbitmq_port=free_port(),
    )  # fmt: skip
    rt = AppRuntime(settings)
    await rt.start()
    try:
        assert rt.runner is not None and rt.rpc is not None
        assert rt.events is not None
        await rt.events.wait_for_workers(1, "asr", timeout=120)
        spec = JobSpec(input=talk, targets=["pt"], out_dir=tmp_path / "out", model="tiny.en",
                       engine="bergamot", formats=["srt"])  # fmt: skip
        job = rt.store.create_job(spec)
        task = asyncio.create_task(rt.runner.run(job))
        at_pause = await until_results(rt.store, job, 2, task)
        rt.runner.pause(job)
        assert rt.store.get(job).state is JobState.PAUSED
        # calls already in flight finish and are stored: wait for their answers, not for a
        # fixed 4 s a loaded machine may need more than
        loop = asyncio.get_running_loop()
        until = loop.time() + 120
        while rt.rpc.in_flight:
            assert loop.time() < until, f"{rt.rpc.in_flight} call(s) never answered"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the last answer is stored
        settled = rt.store.result_count(job)
        await asyncio.sleep(4.0)
        assert rt.store.result_count(job) == settled  # nothing new was sent while paused
        assert rt.rpc.in_flight == 0
        assert not task.done()
        print(f"pause: results at pause={at_pause} settled={settled} "
              f"after 4 s paused={rt.store.result_count(job)}")  # fmt: skip
        rt.runner.unpause(job)
        outcome = await task
        assert rt.store.get(job).state is JobState.DONE
        assert (tmp_path / "out" / "talk.pt.srt") in outcome.outputs
    finally:
        await rt.stop()
