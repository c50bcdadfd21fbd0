"""The window's view of the running app: one ``AppRuntime`` behind past-tense Qt signals.

Widgets never touch the runtime: they call this model's coroutines from ``@asyncSlot()``
handlers and redraw on its signals. Every failure becomes a signal with a plain message; no
coroutine here raises into Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from PySide6.QtCore import QCoreApplication, QObject, Signal

from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import AppRuntime, PingReply, RuntimeStatus
from vt_desktop.core.supervisor.broker import BrokerMissing, BrokerStartError
from worker.protocol.errors import BrokerError, CallTimeout, NoWorker, RpcError

log = logging.getLogger(__name__)
WORKERS_ONLINE_TIMEOUT = 60.0


def describe_start_error(exc: BaseException) -> str:
    """A plain sentence for why the runtime did not start."""
    if isinstance(exc, BrokerMissing | BrokerStartError):
        return str(exc)
    if isinstance(exc, BrokerError):
        return QCoreApplication.translate(
            "RuntimeViewModel", "The message broker cannot be reached: {error}."
        ).format(error=exc.message)
    return QCoreApplication.translate(
        "RuntimeViewModel", "The app could not start its workers: {kind}: {error}"
    ).format(kind=type(exc).__name__, error=exc)


def describe_ping_error(exc: BaseException) -> str:
    """A plain sentence for why no worker answered a ping."""
    if isinstance(exc, NoWorker):
        return QCoreApplication.translate(
            "RuntimeViewModel", "No worker is online to answer ({error})."
        ).format(error=exc.message)
    if isinstance(exc, CallTimeout):
        return QCoreApplication.translate(
            "RuntimeViewModel", "No worker answered in time ({error})."
        ).format(error=exc.message)
    if isinstance(exc, RpcError):
        return QCoreApplication.translate("RuntimeViewModel", "The ping failed: {error}.").format(
            error=exc.message
        )
    return QCoreApplication.translate("RuntimeViewModel", "The ping failed: {error}").format(
        error=exc
    )


class RuntimeViewModel(QObject):
    """Starts, pings and stops the app's runtime and reports each step as a signal."""

    status_changed = Signal(object)  # RuntimeStatus: broker state, workers seen, local pool
    log_appended = Signal(object)  # LogLine: one line from the app or a worker
    runtime_started = Signal()
    runtime_failed = Signal(str)  # plain message for the banner
    runtime_stopping = Signal()
    runtime_stopped = Signal()
    ping_started = Signal()
    ping_finished = Signal(list)  # list[PingReply], in arrival order
    ping_failed = Signal(str)  # plain message shown beside the button
    worker_control_failed = Signal(str)  # plain message: a start/stop/restart did not happen

    def __init__(self, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runtime: AppRuntime | None = None
        self._start_task: asyncio.Task[str | None] | None = None
        self._stop_task: asyncio.Task[None] | None = None

    @property
    def is_active(self) -> bool:
        """True from the start of ``start()`` until ``stop()`` has finished."""
        return any(x is not None for x in (self.runtime, self._start_task, self._stop_task))

    @property
    def status(self) -> RuntimeStatus:
        """The latest status (an empty one before the first start)."""
        return self.runtime.status if self.runtime is not None else RuntimeStatus()

    async def start(self) -> None:
        """Start the broker, the local workers and the client; never raises.

        Emits ``runtime_started`` on success, ``runtime_failed(message)`` otherwise (after
        stopping whatever did start, so a retry begins clean). A second call while one is
        starting waits for the same start.
        """
        if self._start_task is None:
            if self.runtime is not None:
                return
            self._start_task = asyncio.ensure_future(self._start_once())
            self._start_task.add_done_callback(self._on_start_task_done)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._start_task)

    async def _start_once(self) -> str | None:
        """Start one runtime; ``None`` on success, else the plain reason it failed."""
        try:
            runtime = AppRuntime(self.settings)
        except Exception as exc:  # e.g. an unwritable data dir
            log.error("cannot prepare the runtime: %s", exc)
            return describe_start_error(exc)
        runtime.on_status.append(self.status_changed.emit)
        runtime.on_log.append(self.log_appended.emit)
        self.runtime = runtime
        try:
            await runtime.start()
        except Exception as exc:
            log.error("runtime did not start: %s", exc)
            await self._discard(runtime)
            return describe_start_error(exc)
        log.info("runtime started (%s)", runtime.status.broker)
        return None

    def _on_start_task_done(self, task: asyncio.Task[str | None]) -> None:
        # Runs before any awaiting caller resumes: is_active is settled when signals go out.
        if self._start_task is task:
            self._start_task = None
        if task.cancelled():
            return
        error = task.result()
        if error is None:
            self.runtime_started.emit()
        else:
            self.runtime_failed.emit(error)

    async def _discard(self, runtime: AppRuntime) -> None:
        try:
            await runtime.stop()
        except Exception:
            log.exception("cleaning up after a failed start failed")
        self.runtime = None
        self.status_changed.emit(runtime.status)

    async def wait_for_workers(
        self, count: int = 1, timeout: float = WORKERS_ONLINE_TIMEOUT
    ) -> None:
        """Wait until ``count`` workers have announced themselves.

        Raises:
            RuntimeError: the runtime is not running.
            TimeoutError: fewer workers came online within ``timeout`` seconds.
        """
        if self.runtime is None or self.runtime.events is None:
            raise RuntimeError("the runtime is not running")
        await self.runtime.events.wait_for_workers(count, timeout=timeout)

    async def ping(self) -> list[PingReply]:
        """Ping the online workers; emits ``ping_finished`` or ``ping_failed``; never raises.

        Returns:
            The replies (empty when the ping failed).
        """
        self.ping_started.emit()
        if self.runtime is None or self.runtime.rpc is None:
            self.ping_failed.emit(
                self.tr("The broker is not running, so there is no worker to ping.")
            )
            return []
        try:
            replies = await self.runtime.ping_workers()
        except Exception as exc:
            log.warning("ping failed: %s", exc)
            self.ping_failed.emit(describe_ping_error(exc))
            return []
        for reply in replies:
            log.info("ping: %s answered in %.1f ms", reply.worker_id, reply.rtt_ms)
        self.ping_finished.emit(replies)
        return replies

    async def control_worker(self, action: str, worker_id: str) -> None:
        """Start, stop or restart a local worker; never raises (failures are a signal)."""
        if self.runtime is None:
            self.worker_control_failed.emit(self.tr("The workers are not running."))
            return
        try:
            await self.runtime.control_local_worker(action, worker_id)
        except Exception as exc:
            log.warning("worker %s %s failed: %s", worker_id, action, exc)
            self.worker_control_failed.emit(
                self.tr("{worker} could not {action}: {error}").format(
                    worker=worker_id, action=action, error=exc
                )
            )

    async def stop(self) -> None:
        """Stop workers and broker (cancelling a start in progress); never raises.

        Concurrent calls share one stop. Emits ``runtime_stopping`` then ``runtime_stopped``.
        """
        if self._stop_task is None:
            self._stop_task = asyncio.ensure_future(self._stop_once())
        await asyncio.shield(self._stop_task)

    async def _stop_once(self) -> None:
        self.runtime_stopping.emit()
        start, self._start_task = self._start_task, None
        if start is not None and not start.done():
            start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await start
        runtime = self.runtime
        if runtime is not None:
            try:
                await runtime.stop()
            except Exception:
                log.exception("stopping the runtime failed")
            self.runtime = None
            self.status_changed.emit(runtime.status)
        self._stop_task = None
        self.runtime_stopped.emit()
