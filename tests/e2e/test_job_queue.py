"""The job queue: jobs run in order; closing the app mid-job resumes it on the next start;
queued jobs can be cancelled and failed ones retried; no job's failure stops the queue."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.media import make_talk_video, make_video
from tests.support.results import until_results
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.pipeline import runner, write
from vt_desktop.core.pipeline.context import JobContext
from vt_desktop.core.pipeline.queue import JobQueue
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.core.video import (
    BurnError,
    MediaError,
    SubtitleTrack,
    burn_subtitles,
    mux_soft_subtitles,
)

pytestmark = pytest.mark.slow


def settings_for(tmp: Path, port: int) -> AppSettings:
    return AppSettings(
        data_dir=tmp / "data", cache_dir=tmp / "cache", log_dir=tmp / "logs",
        config_dir=tmp / "config", workers=1, rabbitmq_port=port,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def worker_online(tmp: Path) -> AsyncIterator[tuple[AppRuntime, JobQueue, Path]]:
    """A local runtime with its worker online and its queue not yet started, and a 4 s
    clip to copy into jobs; stopped on exit."""
    clip = make_video(tmp / "clip.mp4", seconds=4)
    rt = AppRuntime(settings_for(tmp, free_port()))
    await rt.start()
    try:
        assert rt.queue is not None and rt.events is not None
        await rt.events.wait_for_workers(1, "asr", timeout=120)
        yield rt, rt.queue, clip
    finally:
        await rt.stop()


def spec_for(video: Path, out: Path) -> JobSpec:
    return JobSpec(input=video, targets=["pt"], out_dir=out, model="tiny.en", engine="bergamot",
                   formats=["srt"])  # fmt: skip


async def settle(rt: AppRuntime, job: str, state: JobState, timeout: float = 240) -> None:
    """Wait for ``job`` to reach ``state``; fail at once if it ends in another one."""
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    while (record := rt.store.get(job)).state is not state:
        assert not record.state.finished, f"job {job} ended {record.state}: {record.error}"
        assert loop.time() < until, f"job {job} stuck in {record.state}"
        await asyncio.sleep(0.1)


async def test_queue_runs_in_order_cancels_retries_and_resumes_after_close(tmp_path: Path) -> None:
    jfk = make_video(tmp_path / "jfk.mp4")
    talk = make_talk_video(tmp_path / "talk.mp4")
    out = tmp_path / "out"
    port = free_port()
    rt = AppRuntime(settings_for(tmp_path, port))
    await rt.start()
    try:
        assert rt.queue is not None
        assert rt.events is not None
        await rt.events.wait_for_workers(1, "asr", timeout=120)
        missing = tmp_path / "later.mp4"
        first = rt.queue.submit(spec_for(jfk, out))
        failing = rt.queue.submit(spec_for(missing, out))
        skipped = rt.queue.submit(spec_for(jfk, tmp_path / "never"))
        rt.queue.cancel(skipped)
        await rt.queue.start()
        await settle(rt, failing, JobState.FAILED)
        assert rt.store.get(first).state is JobState.DONE  # ran first, in order
        assert "later.mp4" in (rt.store.get(failing).error or "")
        assert rt.store.get(skipped).state is JobState.CANCELLED
        assert not (tmp_path / "never").exists()
        shutil.copy(jfk, missing)
        rt.queue.retry(failing)
        await settle(rt, failing, JobState.DONE)

        long_job = rt.queue.submit(spec_for(talk, out))
        at_close = await until_results(rt.store, long_job, 2)
    finally:
        await rt.stop()  # the app closes mid-job

    again = AppRuntime(settings_for(tmp_path, port))
    assert again.store.get(long_job).state is JobState.QUEUED  # interrupted, not cancelled
    kept = again.store.result_count(long_job)
    print(f"queue: closed mid-job with {at_close} results stored, {kept} kept")
    assert kept >= 2  # what the first run got back is kept for the resume
    await again.start()
    try:
        assert again.queue is not None and again.events is not None
        await again.events.wait_for_workers(1, "asr", timeout=120)
        await again.queue.start()
        await settle(again, long_job, JobState.DONE)
        assert (out / "talk.pt.srt").exists()
        assert again.store.result_count(long_job) >= kept
    finally:
        await again.stop()


async def test_a_job_that_fails_in_any_way_fails_alone_and_the_next_job_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A remux failure, a burn-in failure and a bug in the write stage each fail their own
    job, with a message that says why and none of its outputs left; the job after each ends
    done."""
    remux_error = MediaError("cannot remux remux.mp4 into remux.subtitled.mkv: Invalid argument")
    burn_error = BurnError("ffmpeg could not burn the subtitles into burn.en.burned.mp4")
    bug = RuntimeError("boom: a bug in the write stage")

    def mux(video: Path, tracks: Sequence[SubtitleTrack], out: Path) -> Path:
        if video.stem == "remux":
            raise remux_error
        if video.stem == "bug":
            raise bug
        return mux_soft_subtitles(video, tracks, out)

    async def burn(video: Path, ass_file: Path, out: Path, **options: Any) -> Path:
        if video.stem == "burn":
            raise burn_error
        return await burn_subtitles(video, ass_file, out, **options)

    monkeypatch.setattr(write, "mux_soft_subtitles", mux)
    monkeypatch.setattr(write, "burn_subtitles", burn)
    async with worker_online(tmp_path) as (rt, queue, clip):
        jobs: dict[str, str] = {}
        for name in ("remux", "after-remux", "burn", "after-burn", "bug", "after-bug"):
            video = shutil.copyfile(clip, tmp_path / f"{name}.mp4")
            jobs[name] = queue.submit(JobSpec(
                input=video, targets=["en"], out_dir=tmp_path / name, model="tiny.en",
                formats=["srt", "mkv"], burn_in=True,
            ))  # fmt: skip
        await queue.start()
        await settle(rt, jobs["after-bug"], JobState.DONE)
        records = {name: rt.store.get(job) for name, job in jobs.items()}

    assert [records[n].state for n in ("remux", "burn", "bug")] == [JobState.FAILED] * 3
    assert records["remux"].error == str(remux_error)
    assert records["burn"].error == str(burn_error)
    assert (records["bug"].error or "").startswith("internal error:")
    assert str(bug) in (records["bug"].error or "")
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[1] is bug]
    assert logged, "the bug's traceback is not in the log"
    for name in ("remux", "burn", "bug"):
        left = sorted(p.name for p in (tmp_path / name).iterdir())
        assert left == [], f"the failed {name} job left {left}"
    for name in ("after-remux", "after-burn", "after-bug"):
        assert records[name].state is JobState.DONE, records[name].error
        written = sorted(p.name for p in (tmp_path / name).iterdir())
        assert written == [f"{name}.en.burned.mp4", f"{name}.en.srt", f"{name}.subtitled.mkv"]


async def test_a_bug_outside_the_runners_stages_fails_its_job_and_the_queue_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The runner turns what its stages raise into a failed job; a bug before them (here in
    building the job's context) reaches the queue itself, which fails that job and runs the
    next instead of dying with the job left running."""
    bug = RuntimeError("boom: a bug before the stages")

    def context(job_id: str, spec: JobSpec, *rest: Any, **named: Any) -> JobContext:
        if spec.input.stem == "doomed":
            raise bug
        return JobContext(job_id, spec, *rest, **named)

    monkeypatch.setattr(runner, "JobContext", context)
    async with worker_online(tmp_path) as (rt, queue, clip):
        doomed = queue.submit(spec_for(shutil.copyfile(clip, tmp_path / "doomed.mp4"), tmp_path))
        after = queue.submit(spec_for(shutil.copyfile(clip, tmp_path / "after.mp4"), tmp_path))
        await queue.start()
        await settle(rt, after, JobState.DONE)
        failed = rt.store.get(doomed)
    assert failed.state is JobState.FAILED
    assert (failed.error or "").startswith("internal error")
    assert [r for r in caplog.records if r.exc_info and r.exc_info[1] is bug], "no traceback"
    assert (tmp_path / "after.pt.srt").exists()
