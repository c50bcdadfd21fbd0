"""Start real worker processes (``python -m worker``) against a test broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WorkerProcs:
    """Worker processes started by a test; all are killed at teardown."""

    url: str
    prefix: str
    home: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RABBITMQ_URL=self.url,
            RABBITMQ_RPC_QUEUE=self.prefix,
            VT_CONFIG_DIR=str(self.home / "config"),
            VT_CACHE_DIR=str(self.home / "cache"),
            VT_LOG_DIR=str(self.home / "logs"),
            VT_HEARTBEAT_INTERVAL="0.5",
            VT_STOP_GRACE="5",
            HF_HUB_OFFLINE="1",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        return env

    def start(self, worker_id: str | None = None, module: str = "worker", **extra: str) -> str:
        """Start ``python -m <module>`` (the worker, or a test's wrapper around it)."""
        wid = worker_id or f"w-{uuid.uuid4().hex[:6]}"
        log = open(self.home / f"{wid}.log", "ab")  # noqa: SIM115
        self.procs[wid] = subprocess.Popen(
            [sys.executable, "-m", module, "--worker-id", wid],
            env=self.env(**extra),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return wid

    def kill(self, wid: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[wid]
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        proc.wait(30)

    def log_text(self, wid: str) -> str:
        return (self.home / f"{wid}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def worker_procs(url: str, home: Path) -> Iterator[WorkerProcs]:
    """Workers under a fresh exchange/queue prefix, so tests never see each other's calls."""
    home.mkdir(parents=True, exist_ok=True)
    pool = WorkerProcs(url=url, prefix=f"t{uuid.uuid4().hex[:8]}", home=home)
    try:
        yield pool
    finally:
        pool.stop_all()


async def replace_dead_workers(
    pool: WorkerProcs, crashes: list[str], module: str = "worker", **env: str
) -> None:
    """Replace each worker that dies at once, as the app's pool does (the ids of the dead
    gather in ``crashes``); runs until cancelled."""
    while True:
        for wid, proc in list(pool.procs.items()):
            if proc.poll() is not None and wid not in crashes:
                crashes.append(wid)
                pool.start(module=module, **env)
        await asyncio.sleep(0.1)
