"""A private RabbitMQ node for tests, started with the app's own ``BrokerNode`` files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from vt_desktop.core.supervisor.broker import BrokerNode, free_port


class TestBroker:
    """Start/stop/restart a private node synchronously (usable from any test style)."""

    __test__ = False

    def __init__(self, base: Path, port: int | None = None, extra_config: str = "") -> None:
        self.node = BrokerNode(base, port=port or free_port(), extra_config=extra_config)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def port(self) -> int:
        return self.node.port

    def start(self, timeout: float = 120.0) -> None:
        argv, env = self.node.prepare()
        log = open(self.node.layout.base / "stdout.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited with {self.proc.returncode}")
            if asyncio.run(self.node.answers(timeout=1.0)):
                return
            time.sleep(0.3)
        raise RuntimeError("rabbitmq-server did not become ready")

    def stop(self, grace: float = 30.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()
