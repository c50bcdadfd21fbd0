"""Trimming, pause shortening and the fitting order, on signals whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from worker.engines.tts.audio import KEPT_PAUSE_S, shorten_pauses, trim
from worker.engines.tts.base import Speech
from worker.engines.tts.fit import fit_line

RATE = 24_000


def tone(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


def test_trim_puts_the_onset_at_sample_zero_and_keeps_a_short_tail() -> None:
    speech = Speech(np.concatenate([silence(0.33), tone(1.0), silence(0.4)]), RATE)
    trimmed = trim(speech)
    assert abs(trimmed.samples[0]) < 0.05 and np.abs(trimmed.samples[:48]).max() > 0.02
    assert trimmed.duration_s == pytest.approx(1.0 + 0.02, abs=0.006)


def test_trim_of_silence_is_empty() -> None:
    assert trim(Speech(silence(1.0), RATE)).duration_s == 0


def test_pauses_are_shortened_longest_first_and_never_below_80_ms() -> None:
    line = np.concatenate([tone(0.5), silence(0.6), tone(0.5), silence(0.2), tone(0.5)])
    shorter, removed = shorten_pauses(Speech(line, RATE), 0.3)
    assert removed == pytest.approx(0.3, abs=0.006)
    assert shorter.duration_s == pytest.approx(2.3 - removed, abs=1e-6)
    # the tones are intact: same energy as before
    assert np.sum(shorter.samples**2) == pytest.approx(np.sum(line**2), rel=1e-3)
    _most, removed_all = shorten_pauses(Speech(line, RATE), 10.0)
    assert removed_all == pytest.approx(0.6 + 0.2 - 2 * KEPT_PAUSE_S, abs=0.012)


class UnevenEngine:
    """Speaks a 3 s line whose speed-up stalls as Hibari's does (paces 1.25-1.35 → 1.15×)."""

    def __init__(self) -> None:
        self.paces: list[float] = []

    def __call__(self, pace: float) -> Speech:
        self.paces.append(pace)
        measured = pace if pace < 1.25 else 1.15 if pace < 1.35 else 1.15 + (pace - 1.35)
        return Speech(np.concatenate([silence(0.3), tone(3.0 / measured), silence(0.3)]), RATE)


def test_fit_keeps_natural_pace_when_the_line_fits() -> None:
    engine = UnevenEngine()
    line = fit_line(engine, target_s=3.5, max_s=4.0, max_rate=1.3)
    assert (line.rate, line.fitted, engine.paces) == (1.0, True, [1.0])


def test_fit_searches_the_pace_but_never_goes_past_the_cap() -> None:
    engine = UnevenEngine()
    line = fit_line(engine, target_s=3.0 / 1.28, max_s=3.0 / 1.28 + 0.05, max_rate=1.3)
    assert 1.2 <= line.rate <= 1.3 * 1.02, engine.paces
    assert len(engine.paces) <= 6


def test_a_line_that_cannot_fit_is_flagged_not_sped_up_more() -> None:
    line = fit_line(UnevenEngine(), target_s=1.0, max_s=1.2, max_rate=1.3)
    assert not line.fitted and line.rate <= 1.3 * 1.02
    assert line.speech.duration_s > 1.2
