"""A job's lifecycle has one owner: the queue's rules hold before it runs, and the process
shares one handle on the job store."""

from __future__ import annotations

from pathlib import Path

import pytest

from vt_desktop.core.jobs.model import JobSpec, JobState, checked_targets
from vt_desktop.core.jobs.store import open_job_store
from vt_desktop.core.pipeline.queue import JobQueue, NotRunning


def spec(tmp_path: Path) -> JobSpec:
    return JobSpec(input=tmp_path / "v.mp4", targets=["pt"], out_dir=tmp_path)


def test_a_queue_that_does_not_run_keeps_jobs_and_applies_the_same_rules(tmp_path: Path) -> None:
    store = open_job_store(tmp_path)
    queue = JobQueue(store)
    changed: list[str] = []
    queue.on_change.append(changed.append)
    job = queue.submit(spec(tmp_path))
    assert store.get(job).state is JobState.QUEUED and changed == [job]
    assert not queue.can_retry(job)
    queue.retry(job)  # a queued job is not retried
    assert store.get(job).state is JobState.QUEUED
    with pytest.raises(NotRunning):
        queue.pause(job)
    with pytest.raises(NotRunning):
        queue.unpause(job)
    queue.cancel(job)
    assert store.get(job).state is JobState.CANCELLED
    queue.retry(job)
    assert store.get(job).state is JobState.QUEUED
    store.update(job, state=JobState.DONE)
    queue.cancel(job)  # a finished job stays as it ended
    assert store.get(job).state is JobState.DONE and not queue.can_retry(job)
    queue.remove(job)
    assert store.jobs() == []
    store.close()


def test_the_process_shares_one_store_handle_until_its_last_user_closes_it(
    tmp_path: Path,
) -> None:
    first = open_job_store(tmp_path)
    second = open_job_store(tmp_path)
    assert first is second
    job = first.create_job(spec(tmp_path))
    first.close()
    assert second.get(job).state is JobState.QUEUED  # still open for the other user
    second.close()
    again = open_job_store(tmp_path)
    assert again is not first and again.get(job).state is JobState.QUEUED
    again.close()


def test_target_languages_are_checked_by_the_jobs_own_rule() -> None:
    assert checked_targets([" pt", "de", "pt"]) == ["pt", "de"]
    with pytest.raises(ValueError, match="not a language code"):
        checked_targets(["German!"])
