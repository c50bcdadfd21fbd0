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
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import aio_pika

from vt_desktop.core.errors import VtError
from vt_desktop.core.supervisor import keeper
from vt_desktop.core.supervisor.keeper_client import (
    KeeperLost,
    as_pid,
    run_keeper,
    running_state,
    stop_keeper,
)

log = logging.getLogger(__name__)
#: How long a stopping node may take before it is killed.
STOP_GRACE_S = 20.0
#: Keepers this process started at launch (``prestart``), by node folder, for ``start``.
_PRESTARTED: dict[Path, subprocess.Popen[bytes]] = {}

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
        self._keeper: subprocess.Popen[bytes] | None = None
        self._client: Path | None = None
        #: True when ``start`` found the node running (left warm by an earlier window).
        self.adopted = False
        self.user, self.password = self._credentials()

    @property
    def url(self) -> str:
        """The AMQP URL of this node (with its private credentials)."""
        return f"amqp://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The process id of the running node, if we started or adopted it."""
        if self._client is None:
            return None
        return as_pid((keeper.read_state(self.layout.base) or {}).get("broker_pid"))

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
        """Reach the node: adopt the one a keeper already runs on this folder (a window closed
        a moment ago left it warm), else start one under a new keeper; wait until it is ready.

        A node that answers on our port without a keeper (started by hand, or by a test) is
        used as it is and never stopped by us.

        Raises:
            BrokerMissing: rabbitmq-server is not installed.
            BrokerStartError: the node exited or did not become ready in time.
        """
        base = self.layout.base
        base.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        if (early := _PRESTARTED.pop(base, None)) is not None and early.poll() is None:
            self._attach()  # this process's launch set it booting (``prestart``)
            self._keeper = early
            log.info("private broker %s on port %s booting since launch: waiting for it",
                     self.node_name, self.port)  # fmt: skip
            try:
                await self._wait_ready(deadline)
                return
            except KeeperLost as lost:  # another keeper had the folder: found below
                self._keeper = None
                if lost.code != keeper.EXIT_TAKEN:
                    raise self._start_error() from None
        for _ in range(3):  # a keeper starting beside ours can win the folder: adopt it then
            if keeper.keeper_running(base):
                state = await running_state(base)
                if state.get("port") == self.port and state.get("node") == self.node_name:
                    self._attach()
                    log.info("broker %s on port %s is up or booting (left warm, or started "
                             "at launch): using it", self.node_name, self.port)  # fmt: skip
                    self.adopted = True
                    await self._wait_ready(deadline)
                    return
                log.info("the broker left running in %s is on another port: stopping it", base)
                await self._stop_keeper(as_pid(state.get("keeper_pid")), grace=STOP_GRACE_S)
            if await self.answers():
                log.info("broker already answering on 127.0.0.1:%s; using it", self.port)
                return
            if await self._spawn_keeper(deadline):
                return
        raise BrokerStartError(f"another app keeps starting the broker in {base}")

    def prestart(self) -> bool:
        """Set the node booting now without waiting for it: the app calls this at launch,
        before it loads its window, so the node's seconds of boot overlap the window's; the
        runtime's ``start`` then finds it. False (nothing done) when a keeper already runs
        the node or something else listens on the port.

        Raises:
            BrokerMissing: rabbitmq-server is not installed.
        """
        base = self.layout.base
        base.mkdir(parents=True, exist_ok=True)
        early = _PRESTARTED.get(base)
        if (early is not None and early.poll() is None) or keeper.keeper_running(base):
            return False
        if _listening(self.port):
            return False
        argv, env = self.prepare()
        self._attach()
        # DEBUG: the window is not up yet; the runtime says at INFO once it is.
        log.debug("booting the private RabbitMQ node %s on port %s while the window loads",
                  self.node_name, self.port)  # fmt: skip
        self._keeper = _PRESTARTED[base] = self._run_keeper(argv, env)
        return True

    def _run_keeper(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        return run_keeper(self.layout.base, self.layout.logs, argv, env)

    def _attach(self) -> None:
        self._client = keeper.write_client(self.layout.base, 0, attached=True)

    async def _spawn_keeper(self, deadline: float) -> bool:
        """Start a keeper with the node; False when another keeper took the folder first."""
        argv, env = self.prepare()
        self._attach()
        log.info("starting private broker %s on port %s", self.node_name, self.port)
        self._keeper = self._run_keeper(argv, env)
        try:
            await self._wait_ready(deadline)
        except KeeperLost as lost:
            if lost.code == keeper.EXIT_TAKEN:
                self._keeper = None
                return False
            raise self._start_error() from None
        return True

    def _start_error(self) -> BrokerStartError:
        return BrokerStartError(
            f"rabbitmq-server exited before it was ready; its log is in "
            f"{self.layout.logs}: {self._log_tail()}"
        )

    @property
    def keeper_pid(self) -> int | None:
        """The pid of the keeper that runs the node (ours or adopted), while it runs."""
        if self._keeper is not None and self._keeper.poll() is None:
            return self._keeper.pid
        if self._client is None:
            return None
        return as_pid((keeper.read_state(self.layout.base) or {}).get("keeper_pid"))

    async def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            proc = self._keeper
            if proc is not None and proc.poll() is not None:
                raise KeeperLost(proc.returncode)
            if proc is None and not keeper.keeper_running(self.layout.base):
                raise BrokerStartError(
                    f"the private broker stopped before it was ready; its log is in "
                    f"{self.layout.logs}: {self._log_tail()}"
                )
            if await self.answers(timeout=1.0):
                log.info("broker ready on 127.0.0.1:%s", self.port)
                return
            await asyncio.sleep(0.1)
        tail = self._log_tail()
        await self.stop()
        raise BrokerStartError(
            f"rabbitmq-server did not answer on port {self.port} in time; "
            f"its log is in {self.layout.logs}: {tail}"
        )

    def _log_tail(self, lines: int = 5) -> str:
        tails: list[str] = []
        for path in sorted(self.layout.logs.glob("*.log")):
            with contextlib.suppress(OSError):
                tails += path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(tails[-lines:]) or "(empty)"

    async def release(self, linger_s: float, grace: float = STOP_GRACE_S) -> None:
        """Let go of the node: it keeps running ``linger_s`` seconds for a next launch (then
        its keeper stops it), or stops now when ``linger_s`` is 0 and no other app uses it."""
        client, self._client = self._client, None
        if client is None:
            return  # not ours: a node we found answering
        keeper.write_client(self.layout.base, linger_s, attached=False)
        if linger_s > 0:
            log.info("private broker %s left running for %.0f s", self.node_name, linger_s)
            self._keeper = None
            return
        others = [
            c for c in keeper.clients(self.layout.base)
            if c.attached and c.alive and c.pid != os.getpid()
        ]  # fmt: skip
        if others:
            log.info("private broker %s stays: another app uses it", self.node_name)
            return
        log.info("stopping private broker %s", self.node_name)
        state = keeper.read_state(self.layout.base) or {}
        await self._stop_keeper(as_pid(state.get("keeper_pid")), grace)
        with contextlib.suppress(OSError):
            client.unlink()

    async def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Stop the node now (unless another app uses it): ``release(0)``."""
        await self.release(0.0, grace)

    async def _stop_keeper(self, pid: int | None, grace: float) -> None:
        """TERM the keeper (it stops the node, then exits); KILL both after ``grace``."""
        proc, self._keeper = self._keeper, None
        await stop_keeper(self.layout.base, proc, pid, grace)


def _listening(port: int) -> bool:
    """True when something accepts TCP connections on loopback ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
