"""Supervision: the private broker, local workers, restarts and a clean exit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.broker import TestBroker
from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor import WorkerPool
from vt_desktop.core.supervisor.broker import BrokerMissing, BrokerNode, find_rabbitmq_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


async def wait_until(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def settings_for(tmp: Path, **kw: object) -> AppSettings:
    return AppSettings(
        data_dir=tmp / "data",
        cache_dir=tmp / "cache",
        log_dir=tmp / "logs",
        config_dir=tmp / "config",
        **kw,  # type: ignore[arg-type]
    )


async def test_app_runtime_starts_broker_and_workers_pings_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    from vt_desktop.core.supervisor.broker import free_port

    rt = AppRuntime(settings_for(tmp_path, workers=2, rabbitmq_port=free_port()))
    await rt.start()
    try:
        assert rt.events is not None
        await rt.events.wait_for_workers(2, timeout=60)
        replies = await rt.ping_workers()
        assert len(replies) == 2
        assert all(r.rtt_ms > 0 for r in replies)
        assert {r.worker_id for r in replies} <= {"local-1", "local-2"}
        assert rt.status.broker_ok
        assert rt.pool is not None and rt.broker is not None
        pids = [*rt.pool.pids(), rt.broker.pid]
    finally:
        await rt.stop()
    assert all(p is not None for p in pids)
    await wait_until(lambda: not any(alive(p) for p in pids if p))
    beams = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], check=False, capture_output=True, text=True
    )
    assert beams.stdout.strip() == ""


async def test_supervisor_restarts_a_killed_worker_at_its_lower_priority(
    broker: TestBroker, tmp_path: Path
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    pool = WorkerPool(
        broker.url,
        count=1,
        env={"VT_CONFIG_DIR": str(tmp_path), "RABBITMQ_RPC_QUEUE": "sup1"},
        nice=7,
    )
    await pool.start()
    try:
        w = pool.workers["local-1"]
        first = w.pid
        assert first is not None
        assert os.getpriority(os.PRIO_PROCESS, first) == min(19, own + 7)
        os.kill(first, signal.SIGKILL)
        await wait_until(lambda: w.restarts == 1 and w.pid not in (None, first))
        assert alive(w.pid)  # type: ignore[arg-type]
        assert os.getpriority(os.PRIO_PROCESS, w.pid) == min(19, own + 7)  # type: ignore[arg-type]
    finally:
        await pool.stop()
    assert pool.pids() == []


def test_killed_app_leaves_no_orphan_worker(broker: TestBroker, tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(ROOT)!r})
        from vt_desktop.core.supervisor import WorkerPool
        async def main():
            env = {{"VT_CONFIG_DIR": {str(tmp_path)!r}, "RABBITMQ_RPC_QUEUE": "orph"}}
            pool = WorkerPool({broker.url!r}, count=2, env=env)
            await pool.start()
            print(" ".join(map(str, pool.pids())), flush=True)
            await asyncio.sleep(600)
        asyncio.run(main())
    """)
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    pids = [int(p) for p in app.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    app.kill()
    app.wait()
    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)


def test_missing_rabbitmq_server_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("vt_desktop.core.supervisor.broker.SERVER_CANDIDATES", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrokerMissing) as err:
        find_rabbitmq_server()
    assert "apt-get install -y rabbitmq-server" in str(err.value)
    assert "remote mode" in str(err.value)


async def test_broker_node_credentials_are_private_and_stable(tmp_path: Path) -> None:
    a = BrokerNode(tmp_path, port=1)
    b = BrokerNode(tmp_path, port=1)
    assert a.password == b.password and len(a.password) >= 20
    assert (tmp_path / "credentials").stat().st_mode & 0o077 == 0
