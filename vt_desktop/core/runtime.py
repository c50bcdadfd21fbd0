"""The app's running parts, without Qt: broker, local workers, RPC client, events, logs.

The window and the CLI both drive one ``AppRuntime``: ``await start()``, then use ``rpc``
and ``events``; ``await stop()`` on exit leaves no worker or broker process behind.
Listeners are plain callables (the UI wraps them in Qt signals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aio_pika.abc import AbstractRobustConnection
from pydantic import SecretStr

from vt_desktop.core.config import BROKER_FIELDS, AppSettings
from vt_desktop.core.jobs.store import open_job_store
from vt_desktop.core.pipeline.context import CallPolicy
from vt_desktop.core.pipeline.events import PipelineEvent
from vt_desktop.core.pipeline.queue import JobQueue
from vt_desktop.core.supervisor import BrokerNode, WorkerPool
from worker.protocol.errors import RpcError
from worker.protocol.jsonrpc import Response
from worker.protocol.system import PING, PingParams
from worker.transport.client import RpcClient
from worker.transport.connection import connect, safe_url
from worker.transport.events import EventStream, WorkerSeen
from worker.transport.topology import Names

if TYPE_CHECKING:  # the runner's media stack (numpy, PyAV) loads once the runtime starts
    from vt_desktop.core.pipeline.runner import PipelineRunner

log = logging.getLogger(__name__)
#: How long a job waits for a speech worker to announce itself before it starts anyway (it
#: then explains what is missing).
WORKER_WAIT_S = 120.0


@dataclass(frozen=True)
class LogLine:
    """One line for the log panel, from the app or from a worker."""

    time: float
    level: str
    source: str
    message: str


@dataclass(frozen=True)
class PingReply:
    """Who answered a ping and how long the round trip took."""

    worker_id: str
    rtt_ms: float


@dataclass
class RuntimeStatus:
    """What the window shows about the broker and the workers."""

    broker: str = "stopped"
    broker_ok: bool = False
    broker_url: str = ""
    workers: list[WorkerSeen] = field(default_factory=list)
    local: list[tuple[str, int | None, str, int]] = field(default_factory=list)


def _broker_env(settings: AppSettings) -> dict[str, str]:
    """The variables that give a local worker the app's broker settings: every broker field
    (CA file, client certificate, heartbeat, …), each under the name the worker's
    ``BrokerSettings`` reads it from. The pool sets ``RABBITMQ_URL`` to the URL in use."""
    env: dict[str, str] = {}
    for name in BROKER_FIELDS:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            value = "true" if value else "false"
        if value is not None:
            env[name.upper()] = str(value)
    return env


class _Forward(logging.Handler):
    def __init__(self, runtime: AppRuntime) -> None:
        super().__init__(logging.INFO)
        self.runtime = runtime

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("worker."):
            return  # worker output arrives through the pool with its own source
        self.runtime.emit_log(LogLine(record.created, record.levelname, "app", record.getMessage()))


class AppRuntime:
    """Starts and stops everything the app needs to run jobs."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.client_id = settings.ensure_client_id()
        self.names = Names(settings.rabbitmq_rpc_queue)
        self.status = RuntimeStatus()
        self.broker: BrokerNode | None = None
        self.pool: WorkerPool | None = None
        self.connection: AbstractRobustConnection | None = None
        self.rpc: RpcClient | None = None
        self.events: EventStream | None = None
        self.on_status: list[Callable[[RuntimeStatus], None]] = []
        self.on_log: list[Callable[[LogLine], None]] = []
        self.on_job_event: list[Callable[[PipelineEvent], None]] = []
        self.store = open_job_store(settings.data_dir)
        self.runner: PipelineRunner | None = None
        #: Keeps the jobs from the first; runs them once started (``start``, then
        #: ``ready_to_run``, then ``queue.start()``).
        self.queue = JobQueue(self.store)
        self._store_open = True
        self._log_handler = _Forward(self)
        self._ticker: asyncio.Task[None] | None = None
        #: Seconds the private broker keeps running after ``stop()`` for a next launch to
        #: adopt (0: it stops with us). The window sets it from ``broker_keep_warm_minutes``.
        self.keep_broker_warm_s = 0.0

    def emit_log(self, line: LogLine) -> None:
        """Hand one log line to every listener."""
        for cb in self.on_log:
            with contextlib.suppress(Exception):
                cb(line)

    def _set_status(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.status, key, value)
        if self.events is not None:
            self.status.workers = sorted(
                self.events.workers.values(), key=lambda w: w.caps.worker_id
            )
        if self.pool is not None:
            self.status.local = [
                (w.worker_id, w.pid, w.state, w.restarts) for w in self.pool.workers.values()
            ]
        for cb in self.on_status:
            with contextlib.suppress(Exception):
                cb(self.status)

    async def start(self) -> None:
        """Start (or reach) the broker, start local workers, connect the client.

        Raises:
            BrokerMissing: local mode and rabbitmq-server is not installed.
            BrokerStartError: the private node did not start.
            BrokerError: the broker cannot be reached.
        """
        logging.getLogger().addHandler(self._log_handler)
        url = await self._start_broker()
        self.connection = await connect(self.settings, url=url, name=f"app {self.client_id}")
        self.rpc = RpcClient(
            self.connection,
            client_id=self.client_id,
            names=self.names,
            on_orphan_reply=self._on_orphan_reply,
        )
        await self.rpc.start()
        self.events = EventStream(await self.connection.channel(), self.names, self.client_id)
        self.events.on_presence.append(lambda _: self._set_status())
        self.events.on_log.append(self._on_worker_log)
        await self.events.start()
        if self.settings.workers:
            self.pool = WorkerPool(
                url,
                count=self.settings.workers,
                env=self._worker_env(),
                on_output=self._on_worker_output,
                nice=self.settings.worker_nice,
            )
            await self.pool.start()
        from vt_desktop.core.pipeline.runner import PipelineRunner

        self.runner = PipelineRunner(
            self.rpc,
            self.events,
            self.store,
            max_file_size=self.settings.max_file_size,
            sink=self._on_job_event,
            policy=CallPolicy(
                self.settings.call_timeout_s, self.settings.call_tries, self.settings.worker_wait_s
            ),
        )
        self.queue.runner = self.runner
        self._ticker = asyncio.create_task(self._tick())
        self._set_status()

    async def ready_to_run(self, worker_wait_s: float = WORKER_WAIT_S) -> None:
        """Wait up to ``worker_wait_s`` for a speech worker (0: not at all), then take the
        replies an earlier run left in the reply queue, so a job started next neither waits
        out the "no worker" deadline nor sends again what was answered while the app was shut.

        Raises:
            RuntimeError: the runtime is not started.
            BrokerError: the reply queue cannot be read.
        """
        if self.rpc is None or self.events is None:
            raise RuntimeError("runtime not started")
        if worker_wait_s > 0:
            try:
                await self.events.wait_for_workers(1, "asr", timeout=worker_wait_s)
            except TimeoutError:
                log.warning("no speech worker after %.0f s: starting anyway", worker_wait_s)
        backlog = await self.rpc.drain_backlog()
        if backlog.left:
            log.warning("%d replies of an earlier run still wait in the reply queue", backlog.left)

    async def _on_orphan_reply(self, resp: Response) -> None:
        """A reply for a call of an earlier run (kept by the broker): store its result."""
        stored = resp.error is None and resp.id is not None
        if stored and self.store.save_result(str(resp.id), resp.result):
            log.info("rpc id=%s result from an earlier run stored", resp.id)

    def _on_job_event(self, event: PipelineEvent) -> None:
        for cb in self.on_job_event:
            with contextlib.suppress(Exception):
                cb(event)

    def _worker_env(self) -> dict[str, str]:
        s = self.settings
        env = {
            **_broker_env(s),
            "VT_WORKER_PREFETCH": str(s.worker_prefetch),
            "VT_CONFIG_DIR": str(s.config_dir),
            "VT_CACHE_DIR": str(s.cache_dir),
            "VT_LOG_DIR": str(s.log_dir / "workers"),
            "LOG_LEVEL": s.effective_log_level(),
        }
        if s.plugin_dir is not None:
            env["VT_PLUGIN_DIR"] = str(s.plugin_dir)
        return env

    async def _start_broker(self) -> str:
        if self.settings.mode == "remote":
            url = self.settings.broker_url()
            self._set_status(broker=f"remote {safe_url(url)}", broker_url=safe_url(url))
            return url
        self.broker = BrokerNode(
            self.settings.data_dir / "broker", port=self.settings.rabbitmq_port
        )
        self._set_status(broker="starting private broker…")
        try:
            await self.broker.start()
        except Exception as exc:
            self._set_status(broker=f"error: {exc}", broker_ok=False)
            raise
        url = self.broker.url
        self._set_status(
            broker=f"private broker on port {self.broker.port}",
            broker_ok=True,
            broker_url=safe_url(url),
        )
        return url

    def _on_worker_output(self, worker_id: str, line: str) -> None:
        level = "INFO"
        for name in ("CRITICAL", "ERROR", "WARNING", "DEBUG"):
            if f" - {name} - " in line:
                level = name
                break
        self.emit_log(LogLine(time.time(), level, worker_id, line))

    def _on_worker_log(self, body: dict[str, Any]) -> None:
        # Local workers' records already arrive through their output; show remote ones.
        wid = str(body.get("worker_id", "?"))
        if self.pool is not None and wid in self.pool.workers:
            return
        self.emit_log(
            LogLine(
                float(body.get("time") or time.time()),
                str(body.get("level", "INFO")),
                wid,
                str(body.get("message", "")),
            )
        )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._set_status(
                broker_ok=self.connection is not None and not self.connection.is_closed
            )

    async def control_local_worker(self, action: str, worker_id: str) -> None:
        """Start, stop or restart one of this app's own workers.

        Raises:
            ValueError: ``worker_id`` is not a local worker, or ``action`` is unknown.
        """
        if self.pool is None or worker_id not in self.pool.workers:
            raise ValueError(f"{worker_id} is not one of this app's local workers")
        actions = {
            "start": self.pool.start_worker,
            "stop": self.pool.stop_worker,
            "restart": self.pool.restart,
        }
        if action not in actions:
            raise ValueError(f"unknown worker action {action!r}")
        log.info("local worker %s: %s", worker_id, action)
        await actions[action](worker_id)
        self._set_status()

    async def ping_workers(self, calls: int | None = None, timeout: float = 5.0) -> list[PingReply]:
        """Ping as many times as workers are online (at least once); replies in arrival order.

        Raises:
            RpcError: no worker answered (NoWorker, CallTimeout, …).
        """
        if self.rpc is None or self.events is None:
            raise RuntimeError("runtime not started")
        n = calls or max(1, len(self.events.online("system")))
        rpc = self.rpc

        async def one() -> PingReply:
            started = time.perf_counter()
            pong = await rpc.call(PING, PingParams(), timeout=timeout)
            return PingReply(pong.worker_id, (time.perf_counter() - started) * 1000)

        results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
        replies = [r for r in results if isinstance(r, PingReply)]
        if not replies:
            first = next(r for r in results if isinstance(r, BaseException))
            if isinstance(first, RpcError):
                raise first
            raise RuntimeError(str(first))
        return replies

    async def stop(self) -> None:
        """Stop workers, close the client, stop the private broker we started (or leave it
        running ``keep_broker_warm_s`` seconds for the next launch)."""
        if self._ticker is not None:
            self._ticker.cancel()
        await self.queue.stop()
        if self.runner is not None:
            await self.runner.settle()
        if self.pool is not None:
            await self.pool.stop()
        if self.rpc is not None:
            with contextlib.suppress(Exception):
                await self.rpc.close()
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()
        if self.broker is not None:
            await self.broker.release(self.keep_broker_warm_s)
        logging.getLogger().removeHandler(self._log_handler)
        if self._store_open:
            self._store_open = False
            self.store.close()
        self._set_status(broker="stopped", broker_ok=False)
