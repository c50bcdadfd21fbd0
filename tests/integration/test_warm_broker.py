"""The private broker kept warm: a closed app leaves it running for its keep-warm time, the
next runtime on the same data adopts it (no second node), and it stops by itself when the
time is up, when the login session ends, or at once when an app dies without keep-warm."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.integration.test_supervisor import alive, settings_for, wait_until
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor import keeper
from vt_desktop.core.supervisor.broker import BrokerNode, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
#: A warm launch's budget from start to a worker's answer (issue 21: under 3 s); the machine
#: running the suite is shared (a worker process alone took 11 s to start at a load of 12 on
#: 2 cores), so the test allows this much more before it fails; bench/startup.py measures.
WARM_PING_S = 3.0
SLACK_S = 27.0


def beams(folder: Path) -> list[str]:
    """Pids of the Erlang VMs whose node lives in ``folder`` (by their environment: a
    node's command line names none of its dirs)."""
    found = subprocess.run(["pgrep", "beam.smp"], check=False, capture_output=True, text=True)
    ours = []
    for pid in found.stdout.split():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"RABBITMQ_MNESIA_BASE={folder}".encode() in environ:
            ours.append(pid)
    return ours


async def test_a_closed_app_leaves_the_broker_warm_and_the_next_adopts_it(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, workers=1, rabbitmq_port=free_port())
    first = AppRuntime(settings)
    await first.start()
    assert first.broker is not None and not first.broker.adopted
    node_pid, keeper_pid = first.broker.pid, first.broker.keeper_pid
    assert node_pid is not None and keeper_pid is not None
    [vm] = beams(tmp_path / "data")
    first.keep_broker_warm_s = 60
    await first.stop()
    assert alive(node_pid) and alive(keeper_pid)  # the window is gone, the broker is not
    second = AppRuntime(settings)
    started = time.monotonic()
    try:
        await second.start()
        assert second.broker is not None and second.broker.adopted
        assert second.broker.pid == node_pid
        assert second.events is not None
        await second.events.wait_for_workers(1, timeout=WARM_PING_S + SLACK_S)
        [reply] = await second.ping_workers(calls=1)
        took = time.monotonic() - started
        print(f"warm: runtime start to first ping {took:.2f} s")
        assert took < WARM_PING_S + SLACK_S
        assert reply.worker_id == "local-1"
        assert beams(tmp_path / "data") == [vm]  # the same Erlang VM: no second node
    finally:
        await second.stop()  # keep_broker_warm_s is 0: it stops now
    await wait_until(lambda: not alive(node_pid) and not alive(keeper_pid), timeout=40)
    assert beams(tmp_path / "data") == []
    assert not keeper.keeper_running(tmp_path / "data" / "broker")


async def test_a_broker_set_booting_at_launch_is_the_one_the_runtime_then_starts(
    tmp_path: Path,
) -> None:
    port = free_port()
    assert BrokerNode(tmp_path / "broker", port=port).prestart()
    assert not BrokerNode(tmp_path / "broker", port=port).prestart()  # once per folder
    node = BrokerNode(tmp_path / "broker", port=port)
    await node.start()
    try:
        assert not node.adopted and node.pid is not None
        assert len(beams(tmp_path / "broker")) == 1
        assert await node.answers()
    finally:
        await node.stop()
    assert beams(tmp_path / "broker") == []
    assert not keeper.keeper_running(tmp_path / "broker")


async def test_a_warm_broker_stops_when_its_time_is_up(tmp_path: Path) -> None:
    node = BrokerNode(tmp_path / "broker", port=free_port())
    await node.start()
    node_pid, keeper_pid = node.pid, node.keeper_pid
    assert node_pid is not None and keeper_pid is not None
    await node.release(linger_s=2.0)
    released = time.monotonic()
    await asyncio.sleep(1.0)
    assert alive(node_pid), "stopped before its keep-warm time"
    await wait_until(lambda: not alive(node_pid) and not alive(keeper_pid), timeout=40)
    assert time.monotonic() - released >= 2.0
    assert not keeper.keeper_running(tmp_path / "broker")
    log = (tmp_path / "broker" / "log" / "keeper.log").read_text()
    assert "no client wants the node any more" in log


async def test_a_warm_broker_stops_when_the_login_session_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = tmp_path / "run-user"  # stands for /run/user/UID, which logind removes
    session.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(session))
    node = BrokerNode(tmp_path / "broker", port=free_port())
    await node.start()
    node_pid = node.pid
    assert node_pid is not None
    await node.release(linger_s=600)
    await asyncio.sleep(0.5)
    assert alive(node_pid)
    session.rmdir()
    await wait_until(lambda: not alive(node_pid), timeout=40)
    log = (tmp_path / "broker" / "log" / "keeper.log").read_text()
    assert "the login session ended" in log


def test_an_app_killed_without_keep_warm_takes_its_broker_along(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from vt_desktop.core.supervisor.broker import BrokerNode
        async def main():
            node = BrokerNode(Path({str(tmp_path / "broker")!r}), port={free_port()})
            await node.start()
            print(node.pid, flush=True)
            await asyncio.sleep(600)
        asyncio.run(main())
    """)
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    node_pid = int(app.stdout.readline())
    assert alive(node_pid)
    app.kill()
    app.wait()
    deadline = time.monotonic() + 40
    while alive(node_pid):
        assert time.monotonic() < deadline, "the broker outlived its killed app"
        time.sleep(0.2)
    assert beams(tmp_path / "broker") == []


def test_a_second_keeper_on_the_same_folder_exits_at_once(tmp_path: Path) -> None:
    base = tmp_path / "broker"
    base.mkdir()
    held = open(base / keeper.LOCK_FILE, "a")  # noqa: SIM115 (stands for a running keeper)
    try:
        import fcntl

        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert keeper.keeper_running(base)
        code = keeper.main(["--base", str(base), "--", "/bin/true"])
        assert code == keeper.EXIT_TAKEN
        # the frozen app runs its keeper as 'VideoTranslator --broker-keeper …'
        from vt_desktop.__main__ import main

        assert main(["--broker-keeper", "--base", str(base), "--", "/bin/true"]) == code
    finally:
        held.close()
    assert not keeper.keeper_running(base)


def test_a_client_file_names_its_process_so_a_reused_pid_is_not_taken_for_it(
    tmp_path: Path,
) -> None:
    path = keeper.write_client(tmp_path, 600, attached=True)
    [me] = keeper.clients(tmp_path)
    assert me.path == path and me.pid == os.getpid() and me.attached and me.linger_s == 600
    assert me.alive
    path.write_text(f"{os.getpid()} 12345 600 1\n")  # same pid, another start time
    [other] = keeper.clients(tmp_path)
    assert not other.alive


def test_the_keeper_runs_its_node_while_a_client_is_attached_then_for_its_linger(
    tmp_path: Path,
) -> None:
    (tmp_path / "log").mkdir()
    keeper.write_client(tmp_path, 0, attached=True)
    run = [sys.executable, keeper.__file__, "--base", str(tmp_path), "--", "sleep", "600"]
    proc = subprocess.Popen(run, start_new_session=True)  # a stand-in node: sleep
    try:
        deadline = time.monotonic() + 20
        while (state := keeper.read_state(tmp_path)) is None:
            assert time.monotonic() < deadline, "the keeper wrote no state"
            time.sleep(0.05)
        node_pid = state["broker_pid"]
        assert isinstance(node_pid, int) and alive(node_pid)
        time.sleep(1.0)
        assert proc.poll() is None and alive(node_pid), "stopped while a client was attached"
        keeper.write_client(tmp_path, 1.5, attached=False)
        detached = time.monotonic()
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - detached >= 1.4
        assert not alive(node_pid)
        assert keeper.read_state(tmp_path) is None
    finally:
        if proc.poll() is None:
            proc.kill()
