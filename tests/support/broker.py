"""A private RabbitMQ node for tests, started with the app's own ``BrokerNode`` files.

Several can form a cluster: give each its own ``node_name`` and the same ``home`` (a private
HOME whose ``.erlang.cookie`` they share, see ``shared_cookie_home``), then ``join(first)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from vt_desktop.core.supervisor.broker import BrokerNode, free_port

RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def shared_cookie_home(home: Path) -> Path:
    """A private HOME holding one Erlang cookie, for nodes that cluster (and their ctl)."""
    home.mkdir(parents=True, exist_ok=True)
    cookie = home / ".erlang.cookie"
    if not cookie.exists():
        cookie.write_text(f"VTTEST{os.urandom(12).hex().upper()}")
        cookie.chmod(0o400)
    return home


class TestBroker:
    """Start/stop/restart a private node synchronously (usable from any test style)."""

    __test__ = False

    def __init__(
        self,
        base: Path,
        port: int | None = None,
        extra_config: str = "",
        *,
        node_name: str | None = None,
        home: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.node = BrokerNode(
            base, port=port or free_port(), extra_config=extra_config, node_name=node_name
        )
        self.proc: subprocess.Popen[bytes] | None = None
        #: HOME of the node and its ``rabbitmqctl`` (its ``.erlang.cookie``); None: the user's.
        self.home = home
        #: More environment for the node (e.g. ``RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS``).
        self.extra_env = env or {}

    @property
    def name(self) -> str:
        """The Erlang node name (``name@host``)."""
        return self.node.node_name

    def _env(self, env: dict[str, str]) -> dict[str, str]:
        env = {**env, **self.extra_env}
        if self.home is not None:
            env = {**env, "HOME": str(self.home)}
        return env

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def port(self) -> int:
        return self.node.port

    def start(self, timeout: float = 120.0) -> None:
        argv, env = self.node.prepare()
        env = self._env(env)
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

    def kill(self) -> None:
        """SIGKILL the node (its whole process group): no goodbye to clients or peers."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def freeze(self) -> None:
        """SIGSTOP the node: it answers nothing, to clients or peers, until ``thaw``."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT a frozen node."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def ctl(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``rabbitmqctl -n <this node> ARGS`` with the node's cookie; its output.

        Raises:
            RuntimeError: rabbitmqctl failed (its output says why).
        """
        return self.tool(RABBITMQCTL, *args, timeout=timeout)

    def tool(self, path: str, *args: str, timeout: float = 60.0) -> str:
        """Run a RabbitMQ CLI tool (``rabbitmqctl``, ``rabbitmq-queues``) against this node."""
        env = self._env(dict(os.environ))
        done = subprocess.run(
            [path, "-n", self.name, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(path).name} {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def join(self, other: TestBroker) -> None:
        """Join ``other``'s cluster (this node's own data, its user included, is reset: it
        takes ``other``'s user and password, which ``url`` then carries)."""
        self.ctl("stop_app")
        self.ctl("reset")
        self.ctl("join_cluster", other.name)
        self.ctl("start_app")
        self.node.user, self.node.password = other.node.user, other.node.password
        self.node.layout.credentials.write_text(f"{other.node.user}:{other.node.password}\n")
