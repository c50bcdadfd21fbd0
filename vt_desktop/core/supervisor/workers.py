"""Local worker processes: start N, stream their output, restart crashes, stop cleanly.

A crashed worker is restarted with exponential backoff (1 s, 2 s, 4 s … 30 s; reset after a
minute of good health). Stopping sends TERM, then KILL after a grace period. Each worker gets
``--parent-pid`` and exits by itself when this process is gone, so no orphan survives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from worker.orphans import die_with_parent

log = logging.getLogger(__name__)
OutputCallback = Callable[[str, str], None]
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0


def worker_command() -> list[str]:
    """The command that starts one worker, from source or from the frozen app."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--worker"]
    return [sys.executable, "-m", "worker"]


@dataclass
class ManagedWorker:
    """One supervised worker process."""

    worker_id: str
    proc: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = BACKOFF_START
    state: str = "stopped"
    watcher: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None


class WorkerPool:
    """Supervises ``count`` local workers for one broker URL."""

    def __init__(
        self,
        broker_url: str,
        *,
        count: int,
        env: dict[str, str] | None = None,
        id_prefix: str = "local",
        on_output: OutputCallback | None = None,
        stop_grace: float = 10.0,
        nice: int = 0,
    ) -> None:
        self.broker_url = broker_url
        self.count = count
        self.extra_env = env or {}
        self.id_prefix = id_prefix
        self.on_output = on_output
        self.stop_grace = stop_grace
        #: Added to each worker's scheduling niceness, so the window stays responsive while
        #: local workers use every core (an idle machine still gives them all of it).
        self.nice = nice
        self.workers: dict[str, ManagedWorker] = {}
        self._stopping = False

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["RABBITMQ_URL"] = self.broker_url
        env["VT_PARENT_PID"] = str(os.getpid())
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    async def start(self) -> None:
        """Start the configured number of workers."""
        self._stopping = False
        await self.resize(self.count)

    async def resize(self, count: int) -> None:
        """Grow or shrink the pool to ``count`` workers."""
        self.count = count
        wanted = [f"{self.id_prefix}-{i + 1}" for i in range(count)]
        for wid in list(self.workers):
            if wid not in wanted:
                await self._stop_one(self.workers.pop(wid))
        for wid in wanted:
            if wid not in self.workers:
                self.workers[wid] = ManagedWorker(wid)
                await self._spawn(self.workers[wid])

    async def _spawn(self, w: ManagedWorker) -> None:
        argv = [*worker_command(), "--worker-id", w.worker_id, "--parent-pid", str(os.getpid())]
        w.proc = await asyncio.create_subprocess_exec(
            *argv,
            env=self._env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=self._in_child if sys.platform.startswith("linux") else None,
        )
        w.started_at = time.monotonic()
        w.state = "running"
        log.info("worker %s started (pid %s)", w.worker_id, w.proc.pid)
        w.watcher = asyncio.create_task(self._watch(w, w.proc))

    def _in_child(self) -> None:
        """Runs in the forked child before exec: die with us, run at the pool's niceness."""
        die_with_parent()
        if self.nice:
            with contextlib.suppress(OSError):
                os.nice(self.nice)

    async def _watch(self, w: ManagedWorker, proc: asyncio.subprocess.Process) -> None:
        if proc.stdout is not None:
            async for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip()
                if line:
                    self._emit(w.worker_id, line)
        code = await proc.wait()
        if self._stopping or w.state == "stopping" or self.workers.get(w.worker_id) is not w:
            w.state = "stopped"
            return
        w.state = "crashed"
        if time.monotonic() - w.started_at > HEALTHY_AFTER:
            w.backoff = BACKOFF_START
        log.warning(
            "worker %s exited with code %s; restarting in %.0f s", w.worker_id, code, w.backoff
        )
        await asyncio.sleep(w.backoff)
        w.backoff = min(BACKOFF_MAX, w.backoff * 2)
        if self._stopping or self.workers.get(w.worker_id) is not w:
            return
        w.restarts += 1
        await self._spawn(w)

    def _emit(self, worker_id: str, line: str) -> None:
        logging.getLogger(f"worker.{worker_id}").info("%s", line)
        if self.on_output is not None:
            self.on_output(worker_id, line)

    async def restart(self, worker_id: str) -> None:
        """Stop one worker and start it again at once.

        Raises:
            KeyError: no local worker has that id.
        """
        w = self.workers[worker_id]
        await self._stop_one(w)
        w.backoff = BACKOFF_START
        await self._spawn(w)

    async def stop_worker(self, worker_id: str) -> None:
        """Stop one worker and leave it stopped (no restart) until ``start_worker``.

        Raises:
            KeyError: no local worker has that id.
        """
        await self._stop_one(self.workers[worker_id])

    async def start_worker(self, worker_id: str) -> None:
        """Start a stopped worker again (a running one is left alone).

        Raises:
            KeyError: no local worker has that id.
        """
        w = self.workers[worker_id]
        if w.pid is None and w.state != "running":
            w.backoff = BACKOFF_START
            await self._spawn(w)

    async def _stop_one(self, w: ManagedWorker) -> None:
        proc = w.proc
        w.state = "stopping"
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), self.stop_grace)
            except TimeoutError:
                log.warning(
                    "worker %s ignored TERM for %.0f s; killing it", w.worker_id, self.stop_grace
                )
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if w.watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(w.watcher, 5)
        w.state = "stopped"

    async def stop(self) -> None:
        """Stop every worker (TERM, then KILL after the grace period)."""
        self._stopping = True
        await asyncio.gather(*(self._stop_one(w) for w in self.workers.values()))

    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [pid for w in self.workers.values() if (pid := w.pid) is not None]
