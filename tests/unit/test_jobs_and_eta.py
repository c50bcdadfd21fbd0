"""The job store, the ETA clock and word snapping: the pipeline's bookkeeping."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore, call_id, job_of_call
from vt_desktop.core.pipeline.events import EtaClock
from vt_desktop.core.pipeline.recognise import snap_to_speech


def spec(tmp_path: Path, **kw: object) -> JobSpec:
    fields: dict[str, object] = {
        "input": tmp_path / "v.mp4",
        "targets": ["pt"],
        "out_dir": tmp_path,
        **kw,
    }
    return JobSpec.model_validate(fields)


def test_results_are_stored_once_and_survive_reopening(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(spec(tmp_path))
    cid = call_id(job, "asr", 3)
    assert job_of_call(cid) == job
    assert store.save_result(cid, {"text": "olá"}) is True
    assert store.save_result(cid, {"text": "duplicate"}) is False
    store.put_artifact(job, "plan", {"segments": [[0.0, 1.5]]})
    store.update(job, state=JobState.RUNNING, stage="recognise", progress=0.4, warnings=["w"])
    store.close()
    again = JobStore(tmp_path / "jobs.sqlite3")
    rec = again.get(job)
    assert (rec.state, rec.stage, rec.progress, rec.warnings) == (
        JobState.RUNNING,
        "recognise",
        0.4,
        ["w"],
    )
    assert again.result(cid) == {"text": "olá"}
    assert again.artifact(job, "plan") == {"segments": [[0.0, 1.5]]}
    assert again.result_count(job) == 1
    assert [r.id for r in again.jobs(JobState.RUNNING)] == [job]
    again.delete(job)
    with pytest.raises(KeyError, match=job):
        again.get(job)


def test_store_takes_results_from_many_threads(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(spec(tmp_path))

    def save(i: int) -> None:
        store.save_result(call_id(job, "asr", i), {"i": i})

    threads = [threading.Thread(target=save, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.result_count(job) == 50


def test_updating_an_unknown_field_is_refused(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(spec(tmp_path))
    with pytest.raises(ValueError, match="spec"):
        store.update(job, spec="x")


def test_target_languages_are_checked_and_deduplicated(tmp_path: Path) -> None:
    assert spec(tmp_path, targets=["de", "pt-BR", "de"]).targets == ["de", "pt-BR"]
    with pytest.raises(ValidationError, match="not a language code"):
        spec(tmp_path, targets=["Portuguese!"])
    with pytest.raises(ValidationError):
        spec(tmp_path, formats=["avi"])


def test_a_job_needs_a_target_unless_it_is_a_transcript(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least one target language"):
        JobSpec(input=tmp_path / "a.mp4", targets=[], out_dir=tmp_path)
    spec = JobSpec(input=tmp_path / "a.mp4", out_dir=tmp_path, transcribe=True)
    assert spec.targets == []


def test_a_transcripts_language_is_stored_once_it_is_known(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=tmp_path / "a.mp4", out_dir=tmp_path, transcribe=True))
    assert store.set_targets(job, ["de"]).targets == ["de"]
    again = JobStore(tmp_path / "jobs.sqlite3").get(job).spec
    assert (again.targets, again.transcribe) == (["de"], True)
    with pytest.raises(ValidationError, match="not a language code"):
        store.set_targets(job, ["Deutsch"])
    assert store.get(job).spec.targets == ["de"], "a refused change changes nothing"


def test_eta_comes_from_the_rate_of_this_run_not_from_resumed_work() -> None:
    clock = EtaClock()
    clock.update("recognise", 0.5)  # resumed: half the recognition was already stored
    start = clock.progress()
    clock.started -= 10.0  # ten seconds of work in this run…
    progress, eta = clock.update("recognise", 0.6)  # …gained 0.07 of the whole job
    assert progress > start
    gained = progress - start
    assert eta == pytest.approx(10.0 * (1 - progress) / gained, rel=0.05)


def test_eta_is_unknown_until_there_is_progress_to_go_on() -> None:
    clock = EtaClock()
    assert clock.update("intake", 1.0)[1] is None  # the first report only sets the baseline
    assert clock.update("plan", 0.01)[1] is None


def test_word_in_a_pause_moves_to_where_speech_resumes() -> None:
    speech = [(0.0, 2.0), (3.0, 5.0)]
    assert snap_to_speech(1.0, 1.3, speech) == (1.0, 1.3)  # inside speech: unchanged
    assert snap_to_speech(2.4, 2.6, speech) == (3.0, 3.2)  # wholly in the pause
    assert snap_to_speech(2.8, 3.4, speech) == (3.0, 3.4)  # starts in the pause
    assert snap_to_speech(6.0, 6.2, speech) == (6.0, 6.2)  # no speech follows
    assert snap_to_speech(2.4, 2.6, []) == (2.4, 2.6)


def test_clock_started_is_monotonic_time() -> None:
    assert abs(EtaClock().started - time.monotonic()) < 1.0
