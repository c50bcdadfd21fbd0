"""The micro-batcher adds no latency and batches what waits.

The tests of its time windows run on a virtual clock (tests/support/virtual_clock.py): arrivals
0.1 s from a window's edge join it or miss it by their times, not by how loaded the machine
running the suite is."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.virtual_clock import run_on_virtual_clock
from worker.engines.asr import MicroBatcher


class Recorder:
    """A batch runner that holds each batch until released and records what it got."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()

    async def run(self, jobs: list[str]) -> list[str | Exception]:
        self.batches.append(list(jobs))
        await self.release.wait()
        return [ValueError(f"bad {j}") if j.startswith("bad") else j.upper() for j in jobs]


async def test_the_first_job_starts_at_once_and_later_ones_wait_for_one_batch():
    rec = Recorder()
    batcher = MicroBatcher(rec.run, max_batch=8)
    first = asyncio.create_task(batcher.submit("a"))
    await asyncio.sleep(0.01)
    assert rec.batches == [["a"]]  # running alone, nobody waited for company
    later = [asyncio.create_task(batcher.submit(x)) for x in ("b", "c", "d")]
    await asyncio.sleep(0.01)
    assert batcher.waiting == 3
    rec.release.set()
    assert await first == "A"
    assert await asyncio.gather(*later) == ["B", "C", "D"]
    assert rec.batches == [["a"], ["b", "c", "d"]]


async def test_batches_never_exceed_max_batch_and_keep_arrival_order():
    rec = Recorder()
    rec.release.set()
    batcher = MicroBatcher(rec.run, max_batch=2)
    results = await asyncio.gather(*(batcher.submit(x) for x in "abcde"))
    assert results == list("ABCDE")
    assert all(len(b) <= 2 for b in rec.batches)
    assert [j for b in rec.batches for j in b] == list("abcde")


async def test_jobs_with_different_keys_never_share_a_batch():
    rec = Recorder()
    rec.release.set()
    batcher = MicroBatcher(rec.run, max_batch=8, key=lambda job: job[0])
    await asyncio.gather(*(batcher.submit(x) for x in ("x1", "y1", "x2", "y2")))
    # all four arrive before the first batch starts: one batch per key, oldest key first
    assert rec.batches == [["x1", "x2"], ["y1", "y2"]]


async def test_one_jobs_error_goes_to_that_job_only():
    rec = Recorder()
    rec.release.set()
    batcher = MicroBatcher(rec.run, max_batch=8)
    good, bad = await asyncio.gather(
        batcher.submit("ok"), batcher.submit("bad-one"), return_exceptions=True
    )
    assert good == "OK"
    assert isinstance(bad, ValueError)
    assert str(bad) == "bad bad-one"


async def test_a_waiter_that_gives_up_is_left_out_of_the_next_batch():
    rec = Recorder()
    batcher = MicroBatcher(rec.run, max_batch=8)
    running = asyncio.create_task(batcher.submit("a"))
    await asyncio.sleep(0.01)
    quitter = asyncio.create_task(batcher.submit("gone"))
    stayer = asyncio.create_task(batcher.submit("b"))
    await asyncio.sleep(0.01)
    quitter.cancel()
    rec.release.set()
    assert await running == "A"
    assert await stayer == "B"
    assert rec.batches == [["a"], ["b"]]


async def test_close_cancels_waiting_jobs():
    rec = Recorder()
    batcher = MicroBatcher(rec.run, max_batch=8)
    jobs = [asyncio.create_task(batcher.submit(x)) for x in "ab"]
    await asyncio.sleep(0.01)
    await batcher.close()
    for job in jobs:
        with pytest.raises(asyncio.CancelledError):
            await job


def test_a_batch_size_below_one_is_refused():
    async def run(jobs):
        return jobs

    with pytest.raises(ValueError, match="at least 1"):
        MicroBatcher(run, max_batch=0)


def test_the_first_job_after_idle_waits_briefly_for_others_to_join_it() -> None:
    run_on_virtual_clock(_the_first_job_after_idle_waits_briefly_for_others_to_join_it())


async def _the_first_job_after_idle_waits_briefly_for_others_to_join_it() -> None:
    from worker.engines.asr.micro_batcher import MicroBatcher

    sizes: list[int] = []

    async def run(jobs: list[int]) -> list[int]:
        sizes.append(len(jobs))
        await asyncio.sleep(0.05)
        return jobs

    batcher: MicroBatcher[int, int] = MicroBatcher(run, 8, gather_s=0.5)

    async def late(i: int) -> int:
        await asyncio.sleep(0.02 * i)  # arrivals a few milliseconds apart, as segments do
        return await batcher.submit(i)

    assert await asyncio.gather(*(late(i) for i in range(8))) == list(range(8))
    assert sizes == [8]  # one batch, filled before the window ran out


class BatchSizes(list[int]):
    """A batch runner that returns its jobs at once and records each batch's size."""

    async def run(self, jobs: list[int]) -> list[int]:
        self.append(len(jobs))
        return jobs


def test_a_batch_waits_for_calls_already_received_and_still_being_decoded() -> None:
    run_on_virtual_clock(_a_batch_waits_for_calls_already_received_and_still_being_decoded())


async def _a_batch_waits_for_calls_already_received_and_still_being_decoded() -> None:
    sizes = BatchSizes()
    # no idle window at all: only the announced calls hold the batch back
    batcher: MicroBatcher[int, int] = MicroBatcher(sizes.run, 8, gather_s=0.0, max_gather_s=2.0)

    async def received(i: int) -> int:
        batcher.announce()
        try:
            await asyncio.sleep(0.1 + 0.05 * i)  # decoding its audio
        finally:
            batcher.arrived()
        return await batcher.submit(i)

    first = asyncio.create_task(batcher.submit(-1))
    rest = [asyncio.create_task(received(i)) for i in range(4)]
    assert await asyncio.gather(first, *rest) == [-1, 0, 1, 2, 3]
    assert sizes == [5]
    assert batcher.coming == 0


def test_an_announced_call_that_fails_to_decode_does_not_hold_the_batch() -> None:
    run_on_virtual_clock(_an_announced_call_that_fails_to_decode_does_not_hold_the_batch())


async def _an_announced_call_that_fails_to_decode_does_not_hold_the_batch() -> None:
    sizes = BatchSizes()
    batcher: MicroBatcher[int, int] = MicroBatcher(sizes.run, 8, gather_s=0.0, max_gather_s=5.0)
    batcher.announce()
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.05)
    assert sizes == []  # held for the announced one
    started = asyncio.get_running_loop().time()
    batcher.arrived()  # its audio was bad: it will never be submitted
    assert await first == 1
    assert asyncio.get_running_loop().time() - started < 0.5
    assert sizes == [1]


def test_arrivals_a_little_apart_keep_the_window_open_up_to_its_cap() -> None:
    run_on_virtual_clock(_arrivals_a_little_apart_keep_the_window_open_up_to_its_cap())


async def _arrivals_a_little_apart_keep_the_window_open_up_to_its_cap() -> None:
    sizes = BatchSizes()
    # each arrival comes 0.2 s after the last: more than one window (0.35 s) from the first
    # call, but each within the window of the one before; the cap (0.7 s) ends the gathering
    batcher: MicroBatcher[int, int] = MicroBatcher(sizes.run, 8, gather_s=0.35, max_gather_s=0.7)

    async def late(i: int) -> int:
        await asyncio.sleep(0.2 * i)
        return await batcher.submit(i)

    assert await asyncio.gather(*(late(i) for i in range(6))) == list(range(6))
    assert sizes == [4, 2]  # 0, 0.2, 0.4 and 0.6 s joined; 0.8 and 1.0 s came after the cap
    print(f"batcher: sizes={sizes} virtual_s={asyncio.get_running_loop().time():.2f}")
