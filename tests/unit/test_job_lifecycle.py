"""A job's lifecycle has one owner: the queue's rules hold before it runs, and the process
shares one handle on the job store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vt_desktop.core.jobs.model import JobSpec, JobState, checked_targets
from vt_desktop.core.jobs.store import call_id, open_job_store
from vt_desktop.core.media.envelope import Envelope, envelope_path, load_envelope, save_envelope
from vt_desktop.core.pipeline.queue import JobQueue, NotRunning
from vt_desktop.core.review.records import draft_key


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


def test_removing_a_job_removes_its_folder_drafts_and_redone_lines_not_its_outputs(
    tmp_path: Path,
) -> None:
    store = open_job_store(tmp_path / "data")
    queue = JobQueue(store)
    job, other = queue.submit(spec(tmp_path)), queue.submit(spec(tmp_path))
    data_dir = store.path.parent
    for each in (job, other):
        save_envelope(
            Envelope(np.zeros(4, np.float32), np.ones(4, np.float32)), envelope_path(data_dir, each)
        )
        store.put_artifact(each, draft_key("pt"), {"draft": True, "cues": []})
        store.save_result(call_id(each, "asr-redo-base", "0-1000"), {"text": "hi"})
        store.update(each, state=JobState.DONE)
    output = tmp_path / "v.pt.srt"
    output.write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n", encoding="utf-8")
    store.update(job, outputs=[str(output)])
    queue.current = job  # as while it runs: removing it is refused, nothing is lost
    with pytest.raises(ValueError, match="cancel the running job"):
        queue.remove(job)
    assert envelope_path(data_dir, job).is_file() and store.get(job).state is JobState.DONE
    queue.current = None
    queue.remove(job)
    assert not (data_dir / "jobs" / job).exists()
    assert store.artifact(job, draft_key("pt")) is None
    assert store.result(call_id(job, "asr-redo-base", "0-1000")) is None
    assert output.is_file()  # the files it wrote stay where the user asked for them
    # The other job keeps everything; a job with no folder is removed without complaint.
    assert load_envelope(envelope_path(data_dir, other)) is not None
    assert store.artifact(other, draft_key("pt")) is not None
    store.delete(other)
    store.delete(other)
    assert store.jobs() == [] and list((data_dir / "jobs").iterdir()) == []
    store.close()


def test_target_languages_are_checked_by_the_jobs_own_rule() -> None:
    assert checked_targets([" pt", "de", "pt"]) == ["pt", "de"]
    with pytest.raises(ValueError, match="not a language code"):
        checked_targets(["German!"])
