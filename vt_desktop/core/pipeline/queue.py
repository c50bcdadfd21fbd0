"""The job queue: the one owner of a job's lifecycle, which runs stored jobs one after another
and picks up where the app left off.

Submit, cancel, retry and remove follow the same rules whether or not the queue runs: before
``start`` (the window before its workers are up, ``vt jobs cancel``) they act on the store
alone, and the jobs wait. On start, jobs that were running or paused when the app last closed
(or died) go back to the queue and resume first, sending only the calls whose results are
missing. Stopping the queue interrupts the running job without cancelling it, so it resumes on
the next start. No job's failure stops the queue: an error of the app or a worker, or a bug,
fails that job alone. A waiting job is cancelled here; the running one by its runner, which
also tells the workers and removes what the job had written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore

if TYPE_CHECKING:  # the runner's media stack (numpy, PyAV) loads when a job runs
    from vt_desktop.core.pipeline.runner import PipelineRunner

log = logging.getLogger(__name__)
ChangeCallback = Callable[[str], None]


class NotRunning(ValueError):
    """Raised when a job that is not running is asked to pause or go on."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} is not running")


class JobQueue:
    """Submit, cancel, pause, resume, retry and remove jobs; one runs at a time."""

    def __init__(self, store: JobStore, runner: PipelineRunner | None = None) -> None:
        self.runner = runner
        self.store = store
        self.on_change: list[ChangeCallback] = []
        self.current: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._current_task: asyncio.Task[object] | None = None
        self._wake = asyncio.Event()

    def _changed(self, job_id: str) -> None:
        for cb in self.on_change:
            with contextlib.suppress(Exception):
                cb(job_id)

    @property
    def running(self) -> bool:
        """True once ``start`` has the queue taking jobs."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Requeue jobs an earlier run left unfinished, then start running the queue.

        Raises:
            RuntimeError: the queue has no runner (it only keeps the jobs).
        """
        runner = self.runner
        if runner is None:
            raise RuntimeError("this job queue has no runner: it cannot run jobs")
        for rec in self.store.jobs(JobState.RUNNING, JobState.PAUSED):
            self.store.update(rec.id, state=JobState.QUEUED)
            log.info("job %s left unfinished last time: resuming it", rec.id)
        self._task = asyncio.create_task(self._loop(runner), name="job-queue")

    async def stop(self) -> None:
        """Stop running jobs; the running one is interrupted, not cancelled."""
        if self.current is not None and self._current_task is not None and self.runner:
            self.runner.interrupted.add(self.current)
            self._current_task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def submit(self, spec: JobSpec) -> str:
        """Queue a new job; returns its id."""
        job_id = self.store.create_job(spec)
        self._changed(job_id)
        self._wake.set()
        return job_id

    def cancel(self, job_id: str) -> None:
        """Cancel a job: the running one stops (workers told, outputs removed)."""
        if job_id == self.current and self._current_task is not None:
            self._current_task.cancel()
        elif not self.store.get(job_id).state.finished:
            self.store.update(job_id, state=JobState.CANCELLED)
            self._changed(job_id)

    def pause(self, job_id: str) -> None:
        """Pause the running job (calls in flight finish and are kept).

        Raises:
            NotRunning: the queue is not running (so no job is).
        """
        if job_id == self.current and self.runner is not None:
            self.runner.pause(job_id)
            self._changed(job_id)
        elif not self.running:
            raise NotRunning(job_id)

    def unpause(self, job_id: str) -> None:
        """Let a paused job go on.

        Raises:
            NotRunning: the queue is not running (so no job is).
        """
        if job_id == self.current and self.runner is not None:
            self.runner.unpause(job_id)
            self._changed(job_id)
        elif not self.running:
            raise NotRunning(job_id)

    def has_gaps(self, job_id: str) -> bool:
        """Whether the job left segments it could not recognise (a retry sends them again)."""
        from vt_desktop.core.pipeline.recognise import gaps_of

        return bool(gaps_of(self.store, job_id))

    def can_retry(self, job_id: str) -> bool:
        """Whether ``retry`` would queue the job: failed, cancelled, or done with gaps."""
        state = self.store.get(job_id).state
        if state is JobState.DONE:
            return self.has_gaps(job_id)
        return state in {JobState.FAILED, JobState.CANCELLED}

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again, or a done one that left gaps (stored
        results are reused: only what is missing is sent)."""
        if self.can_retry(job_id):
            self.store.update(job_id, state=JobState.QUEUED, error=None)
            self._changed(job_id)
            self._wake.set()

    def remove(self, job_id: str) -> None:
        """Forget a job that is not running (its outputs stay on disk)."""
        if job_id == self.current:
            raise ValueError("cancel the running job before removing it")
        self.store.delete(job_id)
        self._changed(job_id)

    def _next(self) -> str | None:
        queued = self.store.jobs(JobState.QUEUED)
        return queued[0].id if queued else None

    def _fail_unfinished(self, job_id: str) -> None:
        """Mark a job that ended by a bug as failed, so the loop does not pick it again."""
        try:
            if not self.store.get(job_id).state.finished:
                self.store.update(
                    job_id, state=JobState.FAILED, error="internal error (traceback in the log)"
                )
        except Exception:
            log.exception("job %s: cannot mark it failed", job_id)

    async def _loop(self, runner: PipelineRunner) -> None:
        from vt_desktop.core.pipeline.runner import JobFailed

        while True:
            job_id = self._next()
            if job_id is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            self.current = job_id
            self._current_task = asyncio.ensure_future(runner.run(job_id))
            self._changed(job_id)
            try:
                await self._current_task
            except JobFailed as exc:
                log.warning("job %s failed: %s", job_id, exc)
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    raise  # the queue itself is stopping; a cancelled job just ends
            except Exception:  # a bug outside the runner's own handling ends the job, not us
                log.exception("job %s: internal error outside its stages", job_id)
                self._fail_unfinished(job_id)
            finally:
                self.current, self._current_task = None, None
                self._changed(job_id)
