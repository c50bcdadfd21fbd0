"""The window's view of the job queue: intake, queue actions and job events as Qt signals.

Jobs can be added before the runtime is up: they go straight into the job store as queued
and start once the workers are ready (the view says so). When the runtime has started, this
model starts its queue, but only after a speech worker announced itself (a job started
earlier would wait out the "no worker" deadline) and replies left from an earlier run were
taken. Every method catches its own failures and reports them as signals; none raises into Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal

from vt_desktop.core.config import JOB_OPTION_FIELDS, AppSettings
from vt_desktop.core.jobs.model import JobRecord, JobSpec, JobState, validation_message
from vt_desktop.core.jobs.store import JobStore, open_job_store
from vt_desktop.core.media.errors import IntakeError
from vt_desktop.core.pipeline import PipelineEvent
from vt_desktop.core.pipeline.queue import JobQueue, NotRunning
from vt_desktop.core.pipeline.translate import NoTranslationEngine, require_translatable
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.protocol.mt import LANGUAGES, EngineLanguages, LanguagesParams

log = logging.getLogger(__name__)
#: How long the target field waits for the workers to say what they translate.
LANGUAGES_ASK_TIMEOUT_S = 10.0


class QueueState:
    """What the queue is doing, as the words the ``queue_state_changed`` signal carries."""

    OFFLINE = "offline"  # no runtime: jobs wait in the store
    STARTING = "starting"  # the runtime is starting or waiting for a speech worker
    RUNNING = "running"
    FAILED = "failed"  # the runtime did not start


def load_speech_finder() -> None:
    """Load the voice-activity model every job's plan uses, once per process.

    Its first use imports onnxruntime, which holds the GIL for ~40 ms: done while the workers
    start, that pause does not land in the middle of a job the user is watching.
    """
    from faster_whisper.vad import get_vad_model

    get_vad_model()


class JobsViewModel(QObject):
    """Adds files as jobs, acts on queued and running jobs, and reports what happens."""

    job_added = Signal(str)  # job id
    job_changed = Signal(str)  # job id: state, stage or error changed in the store
    job_progressed = Signal(str, float, object)  # job id, overall progress, PipelineEvent
    job_finished = Signal(str, str)  # job id, final state ("done", "failed", "cancelled")
    job_removed = Signal(str)  # job id
    drop_refused = Signal(str, str)  # path, plain reason
    action_failed = Signal(str)  # plain message
    queue_state_changed = Signal(str)  # a QueueState word
    options_saved = Signal()

    def __init__(self, runtime_vm: RuntimeViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime_vm = runtime_vm
        self.settings: AppSettings = runtime_vm.settings
        self.queue_state = QueueState.OFFLINE
        self._store: JobStore | None = None
        self._waiting: JobQueue | None = None
        self._states: dict[str, JobState] = {}
        self._queue_task: asyncio.Task[None] | None = None
        self._attached: AppRuntime | None = None
        runtime_vm.runtime_started.connect(self._on_runtime_vm_runtime_started)
        runtime_vm.runtime_failed.connect(self._on_runtime_vm_runtime_failed)
        runtime_vm.runtime_stopping.connect(self._on_runtime_vm_runtime_stopping)
        runtime_vm.status_changed.connect(self._on_runtime_vm_status_changed)

    # -- reading ------------------------------------------------------------------------------

    @property
    def store(self) -> JobStore:
        """The job store (the same file the runtime's queue runs from), opened once.

        Raises:
            OSError: the data dir cannot be created or the file opened.
        """
        if self._store is None:
            self._store = open_job_store(self.settings.data_dir)
        return self._store

    @property
    def queue(self) -> JobQueue:
        """The runtime's queue while it runs; before that, one that keeps the jobs in the
        store (same rules: they wait there until the workers are up).

        Raises:
            OSError: the store cannot be opened.
        """
        runtime = self._attached
        if runtime is not None and self.queue_running:
            return runtime.queue
        if self._waiting is None:
            self._waiting = JobQueue(self.store)
            self._waiting.on_change.append(self._on_queue_changed)
        return self._waiting

    def jobs(self) -> list[JobRecord]:
        """Every stored job in the order it was added (an empty list if the store fails)."""
        try:
            records = self.store.jobs()
        except Exception as exc:
            self.action_failed.emit(
                self.tr("The job list cannot be read: {error}").format(error=exc)
            )
            return []
        self._states = {r.id: r.state for r in records}
        return records

    def record(self, job_id: str) -> JobRecord | None:
        """One job as stored now, or None when it is gone."""
        try:
            return self.store.get(job_id)
        except Exception:
            return None

    @property
    def queue_running(self) -> bool:
        """True while the runtime's queue takes jobs."""
        return self.queue_state == QueueState.RUNNING

    # -- options ------------------------------------------------------------------------------

    def spec_for(self, path: Path) -> JobSpec:
        """A new job for ``path`` with the options now in the settings.

        Raises:
            ValidationError: the options do not make a valid job (e.g. no target language).
        """
        s = self.settings
        spoken = [s.source_language] if s.source_language else []
        return JobSpec(
            input=path.resolve(),
            targets=spoken if s.transcribe else list(s.targets),
            transcribe=s.transcribe,
            out_dir=(s.output_dir or path.resolve().parent),
            source_language=s.source_language,
            model=s.asr_model,
            engine=s.engine,
            formats=list(s.output_formats),
            burn_in=s.burn_in,
            bilingual=s.bilingual,
            dub=s.dub,
            dub_mode=s.dub_mode,
            **s.subtitle_rules(),
        )

    def save_options(self, **options: Any) -> bool:
        """Remember a new job's options in the settings file; False (and a signal) on failure."""
        unknown = set(options) - set(JOB_OPTION_FIELDS)
        if unknown:
            names = ", ".join(sorted(unknown))
            self.action_failed.emit(self.tr("Unknown job option(s): {names}").format(names=names))
            return False
        for name, value in options.items():
            setattr(self.settings, name, value)
        try:
            self.settings.save(self.settings.config_dir / "settings.toml")
        except OSError as exc:
            self.action_failed.emit(
                self.tr("The options could not be saved: {error}").format(error=exc)
            )
            return False
        self.options_saved.emit()
        return True

    # -- intake -------------------------------------------------------------------------------

    async def untranslatable(self) -> str | None:
        """Why the workers cannot translate the chosen targets from the chosen spoken
        language, asked of the live workers; never raises.

        ``None`` when they can, and when it cannot be known now: with the spoken language left
        to detection each job checks after detecting it, and jobs queued before the workers
        run check when they start.
        """
        s = self.settings
        runtime = self._attached
        if not self.queue_running or runtime is None or runtime.rpc is None:
            return None
        if not s.source_language or s.transcribe:
            return None
        try:
            await require_translatable(
                runtime.rpc, s.source_language, s.targets, s.engine,
                worker_wait_s=runtime.settings.worker_wait_s,
            )  # fmt: skip
        except NoTranslationEngine as exc:
            return str(exc)
        except Exception as exc:  # the job checks again when it starts
            log.warning("what the workers translate is not known: %s", exc)
        return None

    async def translation_engines(self) -> list[EngineLanguages] | None:
        """What the live workers translate (a worker's ``mt.languages``), or ``None`` when it
        cannot be known now (no workers, no answer within seconds); never raises."""
        runtime = self._attached
        if not self.queue_running or runtime is None or runtime.rpc is None:
            return None
        try:
            result = await runtime.rpc.call(
                LANGUAGES, LanguagesParams(), timeout=LANGUAGES_ASK_TIMEOUT_S
            )
        except Exception as exc:
            log.info("what the workers translate is not known now: %s", exc)
            return None
        return result.engines

    async def add_files(self, paths: list[Path]) -> list[str]:
        """Check each file off the event loop and queue the good ones; never raises.

        A refused file is reported by ``drop_refused(path, reason)`` and queues nothing.

        Returns:
            The ids of the jobs queued, in the order of ``paths``.
        """
        from vt_desktop.core.media.intake import probe  # PyAV: not before the first paint

        added: list[str] = []
        for path in paths:
            try:
                await asyncio.to_thread(probe, path, max_size=self.settings.max_file_size)
                spec = self.spec_for(path)
            except IntakeError as exc:
                self.drop_refused.emit(str(path), str(exc))
                continue
            except ValidationError as exc:
                self.drop_refused.emit(str(path), validation_message(exc))
                continue
            except Exception as exc:  # a probe that breaks must not break the window
                log.exception("intake of %s failed", path)
                reason = self.tr("Cannot use “{path}”: {error}").format(path=path, error=exc)
                self.drop_refused.emit(str(path), reason)
                continue
            if (job_id := self._submit(spec)) is not None:
                added.append(job_id)
        return added

    def _submit(self, spec: JobSpec) -> str | None:
        try:
            job_id = self.queue.submit(spec)  # tells _on_queue_changed, which adds the row
        except Exception as exc:
            self.action_failed.emit(
                self.tr("{file} could not be queued: {error}").format(
                    file=spec.input.name, error=exc
                )
            )
            return None
        if not self.queue_running:
            log.info("job %s queued for %s (it starts once the workers are up)", job_id, spec.input)
        return job_id

    # -- queue actions ------------------------------------------------------------------------

    def cancel(self, job_id: str) -> None:
        """Cancel a queued, running or paused job (a running one removes its outputs)."""
        self._act("cancel", job_id)

    def pause(self, job_id: str) -> None:
        """Pause the running job."""
        self._act("pause", job_id)

    def unpause(self, job_id: str) -> None:
        """Let a paused job go on."""
        self._act("unpause", job_id)

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again, or a done one that left gaps (results
        already stored are reused: only what is missing is sent)."""
        self._act("retry", job_id)

    def has_gaps(self, job_id: str) -> bool:
        """Whether the job left segments it could not recognise (a retry sends them again)."""
        return self.queue.has_gaps(job_id)

    def remove(self, job_id: str) -> None:
        """Forget a finished or queued job (its outputs stay on disk)."""
        self._act("remove", job_id)

    def _act(self, action: str, job_id: str) -> None:
        try:
            getattr(self.queue, action)(job_id)
        except Exception as exc:
            log.warning("%s of job %s failed: %s", action, job_id, exc)
            if isinstance(exc, NotRunning):
                exc = ValueError(self.tr("the job is not running"))
            self.action_failed.emit(self._failure_text(action).format(error=exc))
        self._refresh(job_id)

    def _failure_text(self, action: str) -> str:
        """Why ``action`` failed, with an ``{error}`` to fill in."""
        return {
            "cancel": self.tr("Could not cancel the job: {error}"),
            "pause": self.tr("Could not pause the job: {error}"),
            "unpause": self.tr("Could not unpause the job: {error}"),
            "retry": self.tr("Could not retry the job: {error}"),
            "remove": self.tr("Could not remove the job: {error}"),
        }.get(action, self.tr("Could not change the job: {error}"))

    # -- the runtime's queue ------------------------------------------------------------------

    def _set_queue_state(self, state: str) -> None:
        if state != self.queue_state:
            self.queue_state = state
            self.queue_state_changed.emit(state)

    def _on_runtime_vm_status_changed(self, _status: object) -> None:
        if self.queue_state == QueueState.OFFLINE and self.runtime_vm.is_active:
            self._set_queue_state(QueueState.STARTING)

    def _on_runtime_vm_runtime_started(self) -> None:
        runtime = self.runtime_vm.runtime
        if runtime is None:
            return
        self._attached = runtime
        runtime.queue.on_change.append(self._on_queue_changed)
        runtime.on_job_event.append(self._on_runtime_job_event)
        self._set_queue_state(QueueState.STARTING)
        self._queue_task = asyncio.ensure_future(self._start_queue(runtime))

    def _on_runtime_vm_runtime_failed(self, _message: str) -> None:
        self._set_queue_state(QueueState.FAILED)

    def _on_runtime_vm_runtime_stopping(self) -> None:
        if self._queue_task is not None and not self._queue_task.done():
            self._queue_task.cancel()
        self._queue_task = None
        self._attached = None
        self._set_queue_state(QueueState.OFFLINE)

    async def _start_queue(self, runtime: AppRuntime) -> None:
        """Wait for a speech worker and old replies, then let the queue run; never raises."""
        try:
            with contextlib.suppress(Exception):  # the plan loads it itself if this fails
                await asyncio.to_thread(load_speech_finder)
            try:
                await runtime.ready_to_run()
            except Exception as exc:  # jobs say what is missing when they start
                log.warning("replies of an earlier run not taken: %s", exc)
            if self._attached is runtime:
                await runtime.queue.start()
                self._set_queue_state(QueueState.RUNNING)
                log.info("job queue running")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the job queue did not start")
            self.action_failed.emit(
                self.tr("The job queue did not start: {error}").format(error=exc)
            )

    def _on_queue_changed(self, job_id: str) -> None:
        self._refresh(job_id)

    def _on_runtime_job_event(self, event: PipelineEvent) -> None:
        if self._states.get(event.job_id) not in {JobState.RUNNING, JobState.PAUSED}:
            self._refresh(event.job_id)  # the queue announces a job before it is running
        self.job_progressed.emit(event.job_id, event.progress, event)

    def _refresh(self, job_id: str) -> None:
        """Compare a job with what was last seen and emit added/changed/finished/removed."""
        record = self.record(job_id)
        old = self._states.get(job_id)
        if record is None:
            if self._states.pop(job_id, None) is not None:
                self.job_removed.emit(job_id)
            return
        self._states[job_id] = record.state
        if old is None:
            self.job_added.emit(job_id)
            return
        self.job_changed.emit(job_id)
        if record.state.finished and not old.finished:
            self.job_finished.emit(job_id, record.state.value)

    def close(self) -> None:
        """Close this model's handle on the store (the window is going away)."""
        self._waiting = None
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None
