"""A poison call: it crashes every worker that takes it. Moved to run alone in a process of
its own, it crashes only that process, and is given up once it has done so twice; its caller
is told which call failed and why, and other calls keep going."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.conftest import Caller, open_caller
from tests.support.broker import TestBroker
from tests.support.workers import WorkerProcs, replace_dead_workers, worker_procs
from worker.protocol.errors import PoisonCall
from worker.transport.consumer import CRASHES_ALONE_LIMIT, ISOLATE_AFTER

pytestmark = pytest.mark.slow
PLUGINS = Path(__file__).parent / "plugins"
OTHER_CALLS = 40


def _enable_crash_plugin(pool: WorkerProcs) -> dict[str, str]:
    services = pool.home / "config" / "services"
    services.mkdir(parents=True, exist_ok=True)
    (services / "crash.toml").write_text("rpc_enabled = true\n")  # plugins start disabled
    return {"VT_PLUGIN_DIR": str(PLUGINS), "VT_WORKER_SERVICES": "system,crash"}


@contextlib.asynccontextmanager
async def _crashing_workers(
    broker: TestBroker, home: Path, workers: int, **extra: str
) -> AsyncIterator[tuple[Caller, list[str], WorkerProcs]]:
    """``workers`` workers serving ``crash``, each replaced as it dies (the ids of the dead
    ones gather in the list), and a caller that sees them online."""
    with worker_procs(broker.url, home) as pool:
        env = {**_enable_crash_plugin(pool), **extra}
        for _ in range(workers):
            pool.start(**env)
        caller = await open_caller(broker.url, pool.prefix)
        crashes: list[str] = []
        supervisor = asyncio.create_task(replace_dead_workers(pool, crashes, **env))
        try:
            await caller.events.wait_for_workers(workers, "crash", timeout=60)
            yield caller, crashes, pool
            await asyncio.sleep(1.0)  # the last death is seen (it can beat the poll)
        finally:
            supervisor.cancel()
            await caller.rpc.close()
            await caller.rpc.connection.close()


async def test_poison_call_is_dead_lettered_named_and_other_calls_keep_going(
    broker: TestBroker, tmp_path: Path
) -> None:
    async with _crashing_workers(broker, tmp_path / "w", 2) as (caller, crashes, _):
        poison = asyncio.create_task(
            caller.rpc.call_raw("crash.maybe", {"poison": True}, call_id="poison-1", timeout=120)
        )
        others = [
            caller.rpc.call_raw("crash.maybe", {}, timeout=120, require_worker=False)
            for _ in range(OTHER_CALLS)
        ]
        answered = await asyncio.gather(*others)
        with pytest.raises(PoisonCall) as failed:
            await poison
    message = str(failed.value)
    assert "poison-1" in message and "crash.maybe" in message, message
    assert "crashed the worker process each time it ran alone (2 times" in message
    assert "exit code 70" in message, "how the lone process died"
    assert len(answered) == OTHER_CALLS and all("worker_id" in a for a in answered)
    # twice from the queue (ISOLATE_AFTER); then it crashes only the lone processes
    assert len(crashes) == ISOLATE_AFTER, crashes
    print(
        f"reliability: poison workers_crashed={len(crashes)} lone_processes_crashed=2 "
        f"given_up=1 other_calls={OTHER_CALLS} other_answered={len(answered)} "
        f"error={message!r}"
    )


async def test_with_prefetch_the_poison_call_alone_is_given_up_not_the_calls_held_beside_it(
    broker: TestBroker, tmp_path: Path
) -> None:
    """A worker taking 4 calls at once dies with all 4 whenever the poison call runs: its 3
    neighbours come back as often as the poison does. Past ISOLATE_AFTER returns each call
    runs alone, so the neighbours are answered and the poison alone is given up."""
    home = tmp_path / "w"
    async with _crashing_workers(broker, home, 1, VT_WORKER_PREFETCH="4") as (caller, crashes, _):
        neighbours = [
            asyncio.create_task(
                caller.rpc.call_raw(
                    "crash.maybe", {"hold_s": 1.5}, call_id=f"held-{i}", timeout=180
                )
            )
            for i in range(3)
        ]
        await asyncio.sleep(0.3)  # the neighbours are taken (and held) first
        call = caller.rpc.call_raw("crash.maybe", {"poison": True}, call_id="poison-2", timeout=180)
        poison = asyncio.create_task(call)
        answered = await asyncio.gather(*neighbours, return_exceptions=True)
        with pytest.raises(PoisonCall) as failed:
            await poison
    logs = "".join(p.read_text(errors="replace") for p in home.glob("*.log"))
    assert all(isinstance(a, dict) and "worker_id" in a for a in answered), answered
    assert "poison-2" in str(failed.value)
    assert logs.count("runs alone") >= 2, logs[-3000:]  # the poison, twice (and neighbours)
    # twice in the queue with its neighbours (ISOLATE_AFTER); alone, only its own process
    assert len(crashes) == ISOLATE_AFTER, crashes
    assert logs.count("crashed the process that ran it alone") == CRASHES_ALONE_LIMIT
    print(f"reliability: prefetch=4 neighbours=3 answered={len(answered)} "
          f"worker_deaths={len(crashes)} poison_given_up=1")  # fmt: skip


async def test_a_call_whose_worker_is_killed_while_it_runs_alone_is_never_given_up(
    broker: TestBroker, tmp_path: Path
) -> None:
    """Kills from outside (a user, the OOM killer for another process) are not the call's
    fault: a call whose worker is SIGKILLed twice while holding it, then three times more
    while it runs alone, is answered once a worker is left alone to finish it."""
    home = tmp_path / "w"
    async with _crashing_workers(broker, home, 1) as (caller, crashes, pool):
        call = asyncio.create_task(caller.rpc.call_raw(
            "crash.maybe", {"hold_s": 4.0}, call_id="innocent-1", timeout=240,
            require_worker=False,
        ))  # fmt: skip
        killed_alone, held = 0, 0
        for kill in range(5):
            # kill the worker only once the call is held (its lone process logs it there too)
            for _ in range(600):
                logs = "".join(p.read_text(errors="replace") for p in home.glob("*.log"))
                live = [w for w, p in pool.procs.items() if p.poll() is None]
                if live and logs.count("crash.maybe holds a call") > held:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"the call was not held a {kill + 1}. time")
            held = logs.count("crash.maybe holds a call")
            alone = logs.count("innocent-1 runs alone")
            await asyncio.sleep(0.5)  # well inside the call's 4 s
            pool.kill(live[0])
            killed_alone += alone > 0 and kill >= ISOLATE_AFTER
        answered = await call
    logs = "".join(p.read_text(errors="replace") for p in home.glob("*.log"))
    assert isinstance(answered, dict) and "worker_id" in answered, answered
    assert killed_alone == 3 and len(crashes) >= 5
    assert "crashed the process that ran it alone" not in logs
    print(f"reliability: innocent call killed {len(crashes)} times (3 alone), answered")
