"""A job removed from the queue while the Review page makes its envelope leaves nothing behind.

The envelope of a job run before envelopes were kept is made in a thread from the job's real
video (the JFK speech); the maker is held at the point of writing by an Event while the job is
removed (the queue's ``remove``, as the Jobs page does), then let go. Nothing may be left in
the data dir (no ``jobs/<id>/`` folder, no stray partial file) and nothing may raise; the
envelope made is still returned (the open page shows it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.media.envelope import (
    Envelope,
    compute_envelope,
    envelope_path,
    load_envelope,
    save_envelope,
)
from vt_desktop.core.pipeline.queue import JobQueue
from vt_desktop.core.review.waveform import review_envelope

WAIT_S = 60.0
MAKER = "vt_desktop.core.review.waveform"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "jfk talk.mp4")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "data" / "jobs.sqlite3")
    yield store
    store.close()


def finished_job(store: JobStore, video: Path, tmp_path: Path) -> str:
    job = store.create_job(JobSpec(input=video, targets=["pt"], out_dir=tmp_path / "out"))
    store.update(job, state=JobState.DONE)
    return job


class Held:
    """Holds the thread that calls the wrapped function until ``go`` is set."""

    def __init__(self, real: Callable[..., Any], *, before: bool) -> None:
        self.real, self.before = real, before
        self.reached, self.go = threading.Event(), threading.Event()

    def __call__(self, *args: Any) -> Any:
        result = None if self.before else self.real(*args)
        self.reached.set()
        assert self.go.wait(WAIT_S), "never let go"
        return self.real(*args) if self.before else result


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``work`` in a thread; its outcome (result or exception) lands in the list."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def files_under(data_dir: Path) -> list[str]:
    """What the data dir holds besides the store's files and the (shared) ``jobs`` folder."""
    paths = (str(p.relative_to(data_dir)) for p in data_dir.rglob("*"))
    return sorted(p for p in paths if p != "jobs" and not p.startswith("jobs.sqlite3"))


def assert_made_and_nothing_left(outcome: list[Any], store: JobStore) -> None:
    assert len(outcome) == 1 and isinstance(outcome[0], Envelope), outcome
    assert outcome[0].duration_s == pytest.approx(11.0, abs=0.1)
    assert files_under(store.path.parent) == []


def test_removed_after_the_envelope_is_made_and_before_it_is_written(
    store: JobStore, video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = finished_job(store, video, tmp_path)
    held = Held(compute_envelope, before=False)  # made, held before it is kept
    monkeypatch.setattr(f"{MAKER}.compute_envelope", held)
    maker, outcome = in_thread(lambda: review_envelope(store, store.get(job)))
    assert held.reached.wait(WAIT_S)
    JobQueue(store).remove(job)
    held.go.set()
    maker.join(WAIT_S)
    assert not maker.is_alive()
    assert_made_and_nothing_left(outcome, store)
    assert not envelope_path(store.path.parent, job).parent.exists()


def test_removed_while_the_envelope_is_being_written(
    store: JobStore, video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The removal waits for the write and then removes the folder with the file."""
    job = finished_job(store, video, tmp_path)
    held = Held(save_envelope, before=True)  # in the job's folder, before the file
    monkeypatch.setattr(f"{MAKER}.save_envelope", held)
    maker, outcome = in_thread(lambda: review_envelope(store, store.get(job)))
    assert held.reached.wait(WAIT_S)
    assert envelope_path(store.path.parent, job).parent.is_dir()  # the write has begun
    remover, removed = in_thread(lambda: JobQueue(store).remove(job))
    held.go.set()
    for thread in (maker, remover):
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert removed == [None]
    assert_made_and_nothing_left(outcome, store)
    with pytest.raises(KeyError):
        store.get(job)


def test_a_job_still_stored_keeps_its_envelope_and_reads_it_next_time(
    store: JobStore, video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = finished_job(store, video, tmp_path)
    made = review_envelope(store, store.get(job))
    kept = envelope_path(store.path.parent, job)
    assert files_under(store.path.parent) == [f"jobs/{job}", f"jobs/{job}/{kept.name}"]
    again = load_envelope(kept)
    assert again is not None and again.lows.size == made.lows.size

    def no_decode(*_args: object) -> Envelope:
        raise AssertionError("decoded again")

    monkeypatch.setattr(f"{MAKER}.compute_envelope", no_decode)
    assert review_envelope(store, store.get(job)).lows.size == made.lows.size


def test_keeping_a_file_for_a_job_that_is_gone_writes_nothing(store: JobStore) -> None:
    def never(_path: Path) -> None:
        raise AssertionError("written for a job that is gone")

    assert store.keep_job_file("0123456789ab", "envelope-10ms.npy", never) is None
    assert files_under(store.path.parent) == []


def test_a_failed_write_leaves_no_partial_file(store: JobStore, tmp_path: Path) -> None:
    job = store.create_job(JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path))

    def fail(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.keep_job_file(job, "envelope-10ms.npy", fail)
    assert files_under(store.path.parent) == [f"jobs/{job}"]
    with pytest.raises(ValueError, match="plain"):
        store.keep_job_file(job, "../escape.npy", fail)
    with pytest.raises(ValueError, match="plain"):
        store.keep_job_file("..", "envelope-10ms.npy", fail)
