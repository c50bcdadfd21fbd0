"""Wait for a job's stored results at the moment they are stored, not at a poll after it.

A test that acts on a running job "once N results are stored" (pause it, cancel it, close the
app) must act before the job ends. Polling the store every 50 ms leaves the job those 50 ms to
finish on a quick machine; here the waiting test is woken by the store write itself, and runs
at the loop's next turn, while the job still awaits its next call's answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from vt_desktop.core.jobs.store import JobStore


async def until_results(
    store: JobStore,
    job: str,
    count: int,
    running: asyncio.Future[Any] | None = None,
    timeout: float = 300,
) -> int:
    """Wait until ``job`` has ``count`` results stored; returns how many it has then.

    Raises:
        AssertionError: ``running`` (the job's task, when given) ended first, or ``timeout``
            passed.
    """
    loop = asyncio.get_running_loop()
    reached = asyncio.Event()
    save_result = store.save_result

    def save_and_tell(cid: str, result: Any) -> bool:
        stored = save_result(cid, result)
        if store.result_count(job) >= count:
            loop.call_soon_threadsafe(reached.set)  # stores may be written from a thread
        return stored

    store.save_result = save_and_tell  # type: ignore[method-assign]
    try:
        if store.result_count(job) < count:
            told = asyncio.ensure_future(reached.wait())
            waits: set[asyncio.Future[Any]] = {told}
            if running is not None:
                waits.add(asyncio.ensure_future(asyncio.shield(running)))
            try:
                await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
            ended = running is not None and running.done()
            assert reached.is_set(), (
                f"job {job}: {store.result_count(job)} result(s) stored, not {count}; "
                + ("the job ended first" if ended else f"not within {timeout:.0f} s")
            )
    finally:
        del store.save_result  # the class's own method again
    return store.result_count(job)
