"""Specification of the audio envelope behind the Review page's waveform."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.support.media import JFK, decode_mono, make_video
from vt_desktop.core.media.envelope import (
    BIN_S,
    ENVELOPE_FILE,
    Envelope,
    EnvelopeBuilder,
    compute_envelope,
    envelope_path,
    job_envelope,
    load_envelope,
    save_envelope,
)
from vt_desktop.core.media.plan import SegmentStream

RATE = 16000
BIN = round(BIN_S * RATE)


def test_each_bin_holds_the_lowest_and_highest_sample_of_its_10_ms_whatever_the_blocks():
    rng = np.random.default_rng(3)
    samples = rng.uniform(-1, 1, 10 * BIN + 37).astype(np.float32)
    builder = EnvelopeBuilder()
    for block in np.split(samples, [5, 170, 171, 900, 1500]):
        builder.add(block)
    envelope = builder.envelope()

    assert envelope.lows.size == 11  # ten whole bins and the 37 samples left over
    np.testing.assert_array_equal(envelope.lows[:10], samples[: 10 * BIN].reshape(10, BIN).min(1))
    np.testing.assert_array_equal(envelope.highs[:10], samples[: 10 * BIN].reshape(10, BIN).max(1))
    assert envelope.highs[10] == samples[10 * BIN :].max()
    assert envelope.duration_s == pytest.approx(0.11)


def test_columns_fold_the_bins_in_view_into_one_low_and_high_per_pixel():
    builder = EnvelopeBuilder()
    ramp = np.linspace(-1, 1, 100 * BIN, dtype=np.float32)  # one second
    builder.add(ramp)
    envelope = builder.envelope()

    lows, highs = envelope.columns(0.0, 0.1, 10)  # ten bins per pixel
    assert lows.size == highs.size == 10
    np.testing.assert_allclose(lows, envelope.lows[::10])
    np.testing.assert_allclose(highs, envelope.highs[9::10])

    zoomed_lows, _ = envelope.columns(0.5, BIN_S / 4, 8)  # four pixels per bin
    np.testing.assert_allclose(zoomed_lows, np.repeat(envelope.lows[50:52], 4))

    beyond_lows, beyond_highs = envelope.columns(0.95, 0.01, 20)  # runs past the end
    assert np.all(beyond_highs[5:] == 0) and np.all(beyond_lows[5:] == 0)
    assert np.all(beyond_highs[:5] > 0.8)
    before_lows, _ = envelope.columns(-0.05, 0.01, 10)  # starts before zero
    assert np.all(before_lows[:5] == 0) and before_lows[5] == envelope.lows[0]


def test_a_15_minute_envelope_folds_into_a_wide_view_in_a_few_milliseconds_at_most():
    bins = round(15 * 60 / BIN_S)
    rng = np.random.default_rng(1)
    levels = rng.uniform(0, 1, bins).astype(np.float32)
    envelope = Envelope(-levels, levels)
    started = time.thread_time()
    for _ in range(20):
        envelope.columns(0.0, 15 * 60 / 1200, 1200)  # the whole job across 1200 pixels
    assert (time.thread_time() - started) / 20 < 0.01


def test_the_envelope_of_a_video_matches_its_decoded_audio_and_survives_a_round_trip(
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "jfk.mp4")
    envelope = compute_envelope(video, 1)
    reference = decode_mono(video, RATE)

    assert envelope.duration_s == pytest.approx(reference.size / RATE, abs=0.1)
    assert float(envelope.highs.max()) == pytest.approx(float(reference.max()), abs=0.01)
    assert float(envelope.lows.min()) == pytest.approx(float(reference.min()), abs=0.01)
    kept = envelope_path(tmp_path / "data", "job1")
    save_envelope(envelope, kept)
    assert kept.name == ENVELOPE_FILE and kept.stat().st_size < envelope.lows.size * 4 + 200
    loaded = load_envelope(kept)
    assert loaded is not None
    np.testing.assert_allclose(loaded.highs, envelope.highs, atol=1e-3)


def test_a_missing_or_damaged_file_reads_as_none_and_is_made_again_from_the_source(
    tmp_path: Path,
) -> None:
    kept = envelope_path(tmp_path, "job2")
    assert load_envelope(kept) is None
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"not an array")
    assert load_envelope(kept) is None

    made = job_envelope(kept, JFK)
    assert made.duration_s == pytest.approx(11.0, abs=0.05)
    assert load_envelope(kept) is not None  # kept for the next time


def test_the_planner_writes_the_envelope_from_the_audio_it_decodes(tmp_path: Path) -> None:
    kept = envelope_path(tmp_path, "job3")
    stream = SegmentStream(JFK, 0, envelope_to=kept)
    segments = tuple(stream)

    assert segments and kept.is_file()
    written = load_envelope(kept)
    assert written is not None
    np.testing.assert_allclose(written.highs, compute_envelope(JFK, 0).highs, atol=1e-3)
