"""A job's calls wait as the settings say: the time to answer, the sends, the wait for a
worker (``call_timeout_s``/``VT_CALL_TIMEOUT``, ``call_tries``/``VT_CALL_TRIES``,
``worker_wait_s``/``VT_WORKER_WAIT``), over a real broker and worker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.conftest import Caller
from tests.support.workers import WorkerProcs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.context import CallPolicy, JobContext
from worker.protocol.errors import CallTimeout, DeadlinePassed, NoWorker
from worker.protocol.system import SLEEP, SleepParams

pytestmark = pytest.mark.slow


def _context(caller: Caller, tmp_path: Path, policy: CallPolicy) -> JobContext:
    store = JobStore(tmp_path / "jobs.sqlite3")
    spec = JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path)
    job = store.create_job(spec)
    return JobContext(job, spec, caller.rpc, caller.events, store, policy=policy)


async def test_a_call_not_answered_in_time_is_sent_as_often_as_the_tries_then_fails(
    workers: WorkerProcs, caller: Caller, tmp_path: Path
) -> None:
    workers.start()
    await caller.events.wait_for_workers(1, timeout=60)
    ctx = _context(caller, tmp_path, CallPolicy(timeout_s=0.5, tries=2, worker_wait_s=5))
    began = time.monotonic()
    with pytest.raises((CallTimeout, DeadlinePassed)):
        await ctx.call(SLEEP, SleepParams(seconds=3), "sleep", 0)
    gave_up_s = time.monotonic() - began
    print(f"call policy: gave up after {ctx.calls_sent} sends in {gave_up_s:.2f} s")
    assert ctx.calls_sent == 2
    # two sends of 0.5 s, not the default 900 s (a loaded runner may add seconds to the 1 s)
    assert gave_up_s < 10.0, "two sends of 0.5 s, not the default 900 s"
    patient = _context(caller, tmp_path, CallPolicy(timeout_s=30))
    assert await patient.call(SLEEP, SleepParams(seconds=0.1), "sleep", 1) is not None
    assert patient.calls_sent == 1


async def test_a_call_waits_for_a_worker_as_long_as_the_setting_says(
    workers: WorkerProcs, caller: Caller, tmp_path: Path
) -> None:
    ctx = _context(caller, tmp_path, CallPolicy(worker_wait_s=3))
    began = time.monotonic()
    with pytest.raises(NoWorker):
        await ctx.call(SLEEP, SleepParams(seconds=0), "sleep", 0)
    assert 2.5 < time.monotonic() - began < 20


def test_the_settings_take_the_environment_and_refuse_nonsense(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VT_CALL_TIMEOUT", "120")
    monkeypatch.setenv("VT_CALL_TRIES", "5")
    monkeypatch.setenv("VT_WORKER_WAIT", "0")
    s = AppSettings()
    assert (s.call_timeout_s, s.call_tries, s.worker_wait_s) == (120.0, 5, 0.0)
    monkeypatch.setenv("VT_CALL_TRIES", "0")
    with pytest.raises(ValueError, match="call_tries"):
        AppSettings()
