"""Specification of the segment plan: speech cut at pauses into ~30 s pieces, streaming."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from tests.media.conftest import RATE, Recording
from tests.support.media import write_wav
from vt_desktop.core.media import Segment, iter_pcm, plan_segments
from vt_desktop.core.media._speech import SpeechRun
from vt_desktop.core.media.plan import SegmentStream, cut_at_pauses

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TARGET_S, MAX_S = 30.0, 40.0


def rms(samples: np.ndarray, at_s: float, half_width_s: float = 0.02) -> float:
    lo, hi = round((at_s - half_width_s) * RATE), round((at_s + half_width_s) * RATE)
    window = samples[max(lo, 0) : hi]
    return float(np.sqrt(np.mean(window**2))) if window.size else 0.0


@pytest.fixture(scope="module")
def plan(recording: Recording):
    return plan_segments(recording.path, 0, target_s=TARGET_S, max_s=MAX_S)


def test_recording_is_long_enough_to_need_several_segments(recording, plan):
    assert recording.samples.size / RATE >= 180
    assert plan.duration_s == pytest.approx(recording.samples.size / RATE, abs=0.05)
    assert len(plan.segments) >= 6


def test_segments_are_ordered_non_overlapping_and_within_max(plan):
    assert [s.index for s in plan.segments] == list(range(len(plan.segments)))
    for segment in plan.segments:
        assert 0 < segment.duration_s <= MAX_S
    for before, after in zip(plan.segments, plan.segments[1:], strict=False):
        assert before.end_s <= after.start_s


def test_segments_aim_at_the_target_length(plan):
    lengths = [s.duration_s for s in plan.segments]
    near_target = [length for length in lengths if TARGET_S * 2 / 3 <= length <= MAX_S]
    assert len(near_target) >= len(lengths) - 3  # the rest end at the long silence or the end


def test_every_cut_falls_in_silence_not_through_a_word(recording, plan):
    loud = float(np.percentile(np.abs(recording.samples), 99))
    edges = [s.start_s for s in plan.segments] + [s.end_s for s in plan.segments]
    for edge in edges:
        assert rms(recording.samples, edge) < 0.05 * loud, f"cut at {edge:.2f}s is in speech"


def test_all_speech_is_inside_a_segment(recording, plan):
    frame = RATE // 50
    frames = recording.samples[: recording.samples.size // frame * frame].reshape(-1, frame)
    speaking = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 0.05)
    times = (speaking + 0.5) * frame / RATE
    starts = np.array([s.start_s for s in plan.segments])
    ends = np.array([s.end_s for s in plan.segments])
    inside = ((times[:, None] >= starts) & (times[:, None] <= ends)).any(axis=1)
    assert inside.all(), f"speech left out at {times[~inside][:5]}"


def test_a_long_silence_is_left_out_of_every_segment(recording, plan):
    silence_start, silence_end = recording.long_silence
    middle = (silence_start + 1.0, silence_end - 1.0)
    for segment in plan.segments:
        assert segment.end_s <= middle[0] or segment.start_s >= middle[1]


def test_planning_leaves_the_source_untouched(recording, plan):
    digest = hashlib.sha256(recording.path.read_bytes()).hexdigest()
    stamp = recording.path.stat().st_mtime_ns
    plan_segments(recording.path, 0, target_s=10.0)
    assert hashlib.sha256(recording.path.read_bytes()).hexdigest() == digest
    assert recording.path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in recording.path.parent.iterdir()) == ["talk.wav"]


def test_audio_without_speech_gives_an_empty_plan(tmp_path):
    hum = 0.01 * np.sin(2 * np.pi * 50 * np.arange(20 * RATE) / RATE).astype(np.float32)
    path = write_wav(tmp_path / "hum.wav", hum)

    plan = plan_segments(path, 0)

    assert plan.segments == ()
    assert plan.speech_s == 0.0
    assert plan.duration_s == pytest.approx(20.0, abs=0.01)


def test_progress_is_reported_up_to_the_whole_length(recording):
    seen: list[float] = []
    plan_segments(recording.path, 0, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(recording.samples.size / RATE, abs=0.01)


def test_a_streamed_segment_comes_with_its_samples_cut_from_the_audio_decoded_for_the_plan(
    recording: Recording,
) -> None:
    whole = np.concatenate(list(iter_pcm(recording.path, 0)))
    stream = SegmentStream(recording.path, 0, keep_s=150.0)
    cut: list[tuple[Segment, np.ndarray | None]] = [(seg, stream.pcm(seg)) for seg in stream]

    assert len(cut) >= 6
    for seg, pcm in cut:
        assert pcm is not None, f"segment {seg.index} was no longer at hand"
        start, end = round(seg.start_s * RATE), round(seg.end_s * RATE)
        assert np.array_equal(pcm, whole[start:end])


def test_samples_no_longer_kept_are_not_guessed_at(recording: Recording) -> None:
    stream = SegmentStream(recording.path, 0, keep_s=20.0)
    kept = [stream.pcm(seg) is not None for seg in stream]
    no_keep = SegmentStream(recording.path, 0)
    assert not any(no_keep.pcm(seg) is not None for seg in no_keep)
    assert not all(kept), "20 s of audio cannot hold every segment the planner finds"


# The cutting rule itself, on speech runs given directly.


def cuts(
    runs: list[tuple[float, float]],
    target: float = 30.0,
    maximum: float = 40.0,
    quiet: Callable[[float, float], float] = lambda lo, hi: (lo + hi) / 2,
) -> list[tuple[float, float]]:
    speech = [SpeechRun(a, b) for a, b in runs]
    return list(
        cut_at_pauses(
            speech, target_s=target, max_s=maximum, drop_silence_s=2.0, quietest_point=quiet
        )
    )


def test_short_speech_is_one_segment_with_a_margin_either_side():
    assert cuts([(1.0, 5.0), (5.5, 9.0)]) == [(0.75, 9.25)]


def test_the_longest_pause_before_the_target_wins():
    runs = [(0.0, 21.0), (21.3, 26.0), (26.8, 29.0), (29.2, 35.0)]
    assert cuts(runs)[0] == pytest.approx((0.0, 26.4))


def test_a_pause_after_the_target_is_used_when_none_comes_before():
    runs = [(0.0, 33.0), (33.5, 38.0), (38.2, 50.0)]
    assert cuts(runs)[0] == pytest.approx((0.0, 33.25))


def test_speech_without_pauses_is_cut_at_the_quietest_point_within_max():
    asked = []

    def quiet(lo, hi):
        asked.append((lo, hi))
        return 37.0

    segments = cuts([(0.0, 70.0)], quiet=quiet)
    assert asked[0] == (pytest.approx(20.0), pytest.approx(40.0))
    assert segments[0] == (0.0, 37.0)
    assert segments[1][0] == 37.0
    assert all(end - start <= 40.0 for start, end in segments)
    assert segments[-1][1] == 70.25


def test_long_pauses_end_segments_and_are_dropped():
    assert cuts([(0.0, 4.0), (9.0, 12.0), (12.5, 14.0)]) == [(0.0, 4.25), (8.75, 14.25)]


def test_no_speech_gives_no_segments():
    assert cuts([]) == []


# Memory stays bounded for long files.


def _write_long_recording(path: Path, clip: np.ndarray, minutes: float) -> Path:
    """Stream ``minutes`` of clip + pause to a FLAC file without holding it in memory."""
    pause = np.zeros(RATE, dtype=np.float32)
    unit = (np.concatenate([clip, pause]) * 32767).astype(np.int16).reshape(1, -1)
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        written = 0
        while written < minutes * 60 * RATE:
            frame = av.AudioFrame.from_ndarray(unit, format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, written
            for packet in stream.encode(frame):
                out.mux(packet)
            written += unit.shape[1]
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _peak_traced_bytes(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        plan = plan_segments(path, 0)
        return tracemalloc.get_traced_memory()[1], len(plan.segments)
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_planning_memory_does_not_grow_with_the_length_of_the_file(tmp_path, speech_clips):
    short = _write_long_recording(tmp_path / "short.flac", speech_clips[0], minutes=1.5)
    long = _write_long_recording(tmp_path / "long.flac", speech_clips[0], minutes=20)

    short_peak, short_segments = _peak_traced_bytes(short)
    long_peak, long_segments = _peak_traced_bytes(long)

    whole_file_pcm = 20 * 60 * RATE * 4
    assert long_segments > 10 * short_segments
    assert long_peak < 1.3 * short_peak + 1_000_000
    assert long_peak < whole_file_pcm / 4


def test_the_silence_gate_changes_nothing_the_vad_would_hear(
    recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vt_desktop.core.media import _speech

    speech = recording.samples[: 60 * RATE].astype(np.float32)
    speech = speech / np.max(np.abs(speech))
    quiet = speech * 10 ** (-40 / 20)  # a soft recording: peaks at -40 dBFS
    inaudible = speech * _speech.SILENCE_PEAK * 0.9  # below the gate: peaks under -60 dBFS

    asked: list[int] = []
    vad = _speech.get_speech_timestamps  # type: ignore[attr-defined]

    def counted(samples: np.ndarray, *args: object, **kwargs: object) -> object:
        asked.append(samples.size)
        return vad(samples, *args, **kwargs)

    monkeypatch.setattr(_speech, "get_speech_timestamps", counted)
    gated = [list(_speech.find_speech([x])) for x in (speech, quiet, inaudible)]
    assert len(asked) == 2, "speech and soft speech go to the VAD; the inaudible one does not"
    monkeypatch.setattr(_speech, "SILENCE_PEAK", 0.0)
    ungated = [list(_speech.find_speech([x])) for x in (speech, quiet)]

    assert gated[0] and gated[1], "normal and soft speech are heard"
    assert gated[:2] == ungated, "the gate never hides speech the VAD hears"
    assert gated[2] == []
