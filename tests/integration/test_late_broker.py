"""A standalone worker started before its broker waits for it, saying so at each try, and
serves calls once the broker is up; SIGTERM ends the wait at once; a worker that waits in
vain past ``--connect-timeout`` exits 3 naming the broker."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import open_caller
from tests.support.broker import TestBroker
from tests.support.workers import ROOT, worker_procs
from vt_desktop.core.supervisor.broker import free_port
from worker.protocol.system import PING, PingParams

pytestmark = pytest.mark.slow


async def test_a_worker_started_before_its_broker_serves_once_it_is_up(tmp_path: Path) -> None:
    node = TestBroker(tmp_path / "late-broker", port=free_port())
    with worker_procs(node.url, tmp_path / "workers") as pool:
        wid = pool.start(VT_CONNECT_TIMEOUT="120")
        # 10 s at least, and until it has said it waits and will try again: a loaded machine
        # may take longer than 10 s to start it
        begun = time.monotonic()
        while time.monotonic() - begun < 10 or "next try in" not in pool.log_text(wid):
            assert pool.procs[wid].poll() is None, pool.log_text(wid)[-2000:]
            assert time.monotonic() - begun < 90, pool.log_text(wid)[-2000:]
            await asyncio.sleep(0.2)
        assert pool.procs[wid].poll() is None, pool.log_text(wid)[-2000:]
        waited = pool.log_text(wid)
        assert "waiting for the broker at amqp://vt:***@127.0.0.1:" in waited
        assert "nothing answers at" in waited and "next try in" in waited
        assert node.node.password not in waited
        started = time.monotonic()
        await asyncio.to_thread(node.start)
        try:
            up = time.monotonic() - started
            caller = await open_caller(node.url, pool.prefix)
            try:
                await caller.events.wait_for_workers(1, timeout=30)
                served_after = time.monotonic() - started
                pong = await caller.rpc.call(PING, PingParams(), timeout=20)
                assert pong.worker_id == wid
            finally:
                await caller.rpc.close()
                await caller.rpc.connection.close()
        finally:
            pool.stop_all()
            await asyncio.to_thread(node.stop)
    tries = waited.count("next try in")
    print(
        f"late broker: worker waited {started - begun:.1f} s ({tries} tries), broker up after "
        f"{up:.1f} s, worker online {served_after:.1f} s after start"
    )


def test_sigterm_ends_the_wait_at_once_and_a_timeout_exits_3(tmp_path: Path) -> None:
    url = f"amqp://vt:secret-pass@127.0.0.1:{free_port()}/"
    with worker_procs(url, tmp_path) as pool:
        waiting = pool.start(VT_CONNECT_TIMEOUT="forever")
        deadline = time.monotonic() + 60
        while "waiting for the broker" not in pool.log_text(waiting):
            alive = pool.procs[waiting].poll() is None
            assert alive and time.monotonic() < deadline, pool.log_text(waiting)[-2000:]
            time.sleep(0.2)
        sent = time.monotonic()
        pool.kill(waiting, signal.SIGTERM)
        assert time.monotonic() - sent < 3.0
        assert pool.procs[waiting].returncode == 0
        assert "stopped before its broker answered" in pool.log_text(waiting)
    gave_up = subprocess.run(
        [sys.executable, "-m", "worker", "--connect-timeout", "2"],
        env=pool.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert gave_up.returncode == 3, gave_up.stderr[-2000:]
    last = gave_up.stderr.strip().splitlines()[-1]
    assert "nothing answers at amqp://vt:***@127.0.0.1:" in last
    assert "(--connect-timeout 2)" in last and "secret-pass" not in gave_up.stderr
