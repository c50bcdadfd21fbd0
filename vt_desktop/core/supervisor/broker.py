"""A private RabbitMQ node: its own node name, ports and directories under the user data dir.

The node runs ``rabbitmq-server`` from the system's RabbitMQ install (not the
``/usr/sbin`` wrapper, which switches user and then cannot write our directories). It is
ready when an AMQP handshake succeeds. Credentials are generated once per data dir and the
node listens on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aio_pika

from vt_desktop.core.errors import VtError
from worker.orphans import die_with_parent

log = logging.getLogger(__name__)

SERVER_CANDIDATES = (
    "/usr/lib/rabbitmq/bin/rabbitmq-server",
    "/usr/local/opt/rabbitmq/sbin/rabbitmq-server",
    "/opt/homebrew/opt/rabbitmq/sbin/rabbitmq-server",
)
INSTALL_HINT = (
    "RabbitMQ is not installed, so the local broker cannot start. Install it "
    "(Debian/Ubuntu: 'sudo apt-get install -y rabbitmq-server'; macOS: 'brew install rabbitmq'; "
    "Windows: the installer from rabbitmq.com), or switch to remote mode in Settings and "
    "enter the URL of a broker whose workers run elsewhere."
)


class BrokerMissing(VtError, RuntimeError):
    """Raised when no ``rabbitmq-server`` can be found on this machine."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class BrokerStartError(VtError, RuntimeError):
    """Raised when the node exits or does not answer AMQP within its deadline."""


def find_rabbitmq_server(explicit: str | None = None) -> Path:
    """The ``rabbitmq-server`` script to run.

    Raises:
        BrokerMissing: none is installed.
    """
    candidates = [explicit] if explicit else []
    candidates += [*SERVER_CANDIDATES]
    for cand in candidates:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return Path(cand)
    found = shutil.which("rabbitmq-server")
    # /usr/sbin/rabbitmq-server switches to the rabbitmq user: only use a PATH hit elsewhere.
    if found and not found.startswith("/usr/sbin"):
        return Path(found)
    raise BrokerMissing


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dist_port(amqp_port: int) -> int:
    """The Erlang distribution port: AMQP + 20000 as RabbitMQ does, or a free one above 65535."""
    return amqp_port + 20000 if amqp_port + 20000 <= 65535 else free_port()


@dataclass(frozen=True)
class NodeLayout:
    """Where a private node keeps its files."""

    base: Path

    @property
    def mnesia(self) -> Path:
        return self.base / "mnesia"

    @property
    def logs(self) -> Path:
        return self.base / "log"

    @property
    def config(self) -> Path:
        return self.base / "rabbitmq.conf"

    @property
    def credentials(self) -> Path:
        return self.base / "credentials"


class BrokerNode:
    """Start, probe and stop one private RabbitMQ node."""

    def __init__(
        self,
        base_dir: Path,
        *,
        port: int = 5682,
        node_name: str | None = None,
        server: str | None = None,
        extra_config: str = "",
    ) -> None:
        self.layout = NodeLayout(Path(base_dir))
        self.port = port
        self.node_name = node_name or f"vt-{port}@localhost"
        self._server = server
        self._extra_config = extra_config
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self.user, self.password = self._credentials()

    @property
    def url(self) -> str:
        """The AMQP URL of this node (with its private credentials)."""
        return f"amqp://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The process id of the running node, if we started it."""
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    def _credentials(self) -> tuple[str, str]:
        path = self.layout.credentials
        if path.is_file():
            user, _, password = path.read_text().strip().partition(":")
            if user and password:
                return user, password
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"vt:{password}\n")
        return "vt", password

    def prepare(self) -> tuple[list[str], dict[str, str]]:
        """Write the node's files; return the command and environment that start it.

        Raises:
            BrokerMissing: rabbitmq-server is not installed.
        """
        server = find_rabbitmq_server(self._server)
        return [str(server)], self._write_files()

    def _write_files(self) -> dict[str, str]:
        lay = self.layout
        for d in (lay.mnesia, lay.logs):
            d.mkdir(parents=True, exist_ok=True)
        lay.config.write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            f"default_user = {self.user}\n"
            f"default_pass = {self.password}\n"
            "default_vhost = /\n"
            "loopback_users = none\n"
            "disk_free_limit.absolute = 50MB\n"
            "log.console = false\n"
            "log.file.level = info\n"
            f"{self._extra_config}"
        )
        (lay.base / "enabled_plugins").write_text("[].\n")
        env = dict(os.environ)
        env.update(
            RABBITMQ_NODENAME=self.node_name,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(dist_port(self.port)),
            RABBITMQ_MNESIA_BASE=str(lay.mnesia),
            RABBITMQ_LOG_BASE=str(lay.logs),
            RABBITMQ_CONFIG_FILE=str(lay.config),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(lay.base / "enabled_plugins"),
            RABBITMQ_FEATURE_FLAGS_FILE=str(lay.base / "feature_flags"),
            RABBITMQ_PID_FILE=str(lay.base / "node.pid"),
            ERL_CRASH_DUMP=str(lay.logs / "erl_crash.dump"),
        )
        return env

    async def answers(self, timeout: float = 2.0) -> bool:
        """True when an AMQP handshake with this node's URL succeeds."""
        try:  # a plain TCP probe first keeps aiormq from logging refused connections
            _, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), timeout
            )
            writer.close()
        except (TimeoutError, OSError):
            return False
        try:
            conn = await asyncio.wait_for(aio_pika.connect(self.url, timeout=timeout), timeout)
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError, ConnectionError):
            return False
        except Exception:  # aiormq raises assorted errors on a half-started node
            return False
        await conn.close()
        return True

    async def start(self, timeout: float = 90.0) -> None:
        """Start the node (or adopt one already answering on our URL) and wait until ready.

        Raises:
            BrokerMissing: rabbitmq-server is not installed.
            BrokerStartError: the node exited or did not become ready in time.
        """
        if await self.answers():
            log.info("broker already answering on 127.0.0.1:%s; using it", self.port)
            return
        argv, env = self.prepare()
        log.info("starting private broker %s on port %s", self.node_name, self.port)
        self._proc = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._reader = asyncio.create_task(self._pump_output(self._proc))
        await self._wait_ready(timeout)

    async def _pump_output(self, proc: asyncio.subprocess.Process) -> None:
        if proc.stdout is None:
            return
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            if line:
                log.debug("broker: %s", line)

    async def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.returncode is not None:
                raise BrokerStartError(
                    f"rabbitmq-server exited with code {self._proc.returncode} before it was "
                    f"ready; its log is in {self.layout.logs}: {self._log_tail()}"
                )
            if await self.answers(timeout=1.0):
                log.info("broker ready on 127.0.0.1:%s", self.port)
                return
            await asyncio.sleep(0.25)
        await self.stop()
        raise BrokerStartError(
            f"rabbitmq-server did not answer on port {self.port} within {timeout:.0f} s; "
            f"its log is in {self.layout.logs}: {self._log_tail()}"
        )

    def _log_tail(self, lines: int = 5) -> str:
        tails: list[str] = []
        for path in sorted(self.layout.logs.glob("*.log")):
            with contextlib.suppress(OSError):
                tails += path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(tails[-lines:]) or "(empty)"

    async def stop(self, grace: float = 20.0) -> None:
        """Stop the node we started: TERM to its process group, then KILL after ``grace``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        log.info("stopping private broker %s", self.node_name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            log.warning("broker did not stop in %.0f s; killing it", grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
