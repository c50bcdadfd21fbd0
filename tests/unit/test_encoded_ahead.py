"""The planned path's encoder: segments' call audio encoded in order, a bounded way ahead of
the calls that take it (bench/fanout_scaling.py measured why)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from vt_desktop.core.media import Segment
from vt_desktop.core.pipeline.recognise import (
    EncodedAhead,
    SegmentRecogniser,
    last_wave_longest_first,
)


class CountingRecogniser:
    """Stands in for ``SegmentRecogniser.encoded``: records which segments were encoded."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.encoded_order: list[int] = []
        self.fail_at = fail_at

    async def encoded(self, seg: Segment) -> str | None:
        await asyncio.sleep(0)
        if seg.index == self.fail_at:
            raise OSError(f"cannot read segment {seg.index}")
        self.encoded_order.append(seg.index)
        return None if seg.index % 3 == 0 else f"audio-{seg.index}"


def segments(n: int) -> list[Segment]:
    return [Segment(i, 30.0 * i, 30.0 * i + 29.0) for i in range(n)]


def ahead_of(rec: CountingRecogniser, n: int, room: int) -> EncodedAhead:
    return EncodedAhead(cast(SegmentRecogniser, rec), segments(n), lambda: room)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_encodes_in_plan_order_no_further_than_room_ahead_of_takes() -> None:
    rec = CountingRecogniser()
    ahead = ahead_of(rec, 10, room=3)
    await settle()
    assert rec.encoded_order == [0, 1, 2]
    segs = segments(10)
    assert await ahead.take(segs[0]) is None  # stored result: no audio
    assert await ahead.take(segs[1]) == "audio-1"
    await settle()
    assert rec.encoded_order == [0, 1, 2, 3, 4]
    await ahead.close()


async def test_every_taker_gets_its_own_segments_audio() -> None:
    rec = CountingRecogniser()
    ahead = ahead_of(rec, 8, room=2)
    got = await asyncio.gather(*(ahead.take(s) for s in segments(8)))
    assert got == [None if i % 3 == 0 else f"audio-{i}" for i in range(8)]
    assert rec.encoded_order == list(range(8))
    await ahead.close()


async def test_a_segment_that_cannot_be_read_fails_its_own_call_only() -> None:
    rec = CountingRecogniser(fail_at=2)
    ahead = ahead_of(rec, 5, room=5)
    segs = segments(5)
    assert await ahead.take(segs[1]) == "audio-1"
    with pytest.raises(OSError, match="segment 2"):
        await ahead.take(segs[2])
    assert await ahead.take(segs[4]) == "audio-4"
    await ahead.close()


async def test_closing_stops_the_encoder_and_leaves_nothing_unretrieved() -> None:
    rec = CountingRecogniser(fail_at=1)
    ahead = ahead_of(rec, 100, room=4)
    await settle()
    await ahead.close()
    done_before = len(rec.encoded_order)
    await settle()
    assert len(rec.encoded_order) == done_before < 100
    task = cast(Any, ahead.task)
    assert task.cancelled() or task.done()


async def test_peek_leaves_the_audio_for_the_call_that_takes_it() -> None:
    rec = CountingRecogniser(fail_at=2)
    ahead = ahead_of(rec, 6, room=3)
    segs = segments(6)
    assert await ahead.peek(segs[1]) == "audio-1"
    assert await ahead.peek(segs[1]) == "audio-1"
    await settle()
    assert rec.encoded_order == [0, 1]  # peeking is not taking: still room for 3 only
    with pytest.raises(OSError, match="segment 2"):
        await ahead.peek(segs[2])
    assert await ahead.take(segs[1]) == "audio-1"
    with pytest.raises(OSError, match="segment 2"):  # its call still gets the failure
        await ahead.take(segs[2])
    await ahead.close()


def lengths(segs: list[Segment]) -> list[float]:
    return [round(s.duration_s, 3) for s in segs]


def test_only_the_last_wave_leaves_longest_first() -> None:
    durations = [20.5, 31.2, 26.1, 22.0, 29.9, 27.3, 24.4, 30.0]
    segs, at = [], 0.0
    for i, d in enumerate(durations):
        segs.append(Segment(i, at, at + d))
        at += d + 1.0
    order = last_wave_longest_first(segs, 3)
    assert [s.index for s in order[:5]] == [0, 1, 2, 3, 4]  # the plan's order until the tail
    assert lengths(order[5:]) == [30.0, 27.3, 24.4]
    assert sorted(s.index for s in order) == list(range(8))  # every segment, once
    # A plan that fits in one wave goes longest first; capacity 0 (no worker yet) and
    # capacity 1 leave the plan as it is.
    assert lengths(last_wave_longest_first(segs, 16)) == sorted(durations, reverse=True)
    assert last_wave_longest_first(segs, 0) == segs == last_wave_longest_first(segs, 1)
    assert last_wave_longest_first([], 4) == []
