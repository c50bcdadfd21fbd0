"""Specification of PCM decoding: streaming blocks and seeked windows on one clock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.media import JFK, decode_mono, make_video
from vt_desktop.core.media import NoSuchAudioStreamError, iter_pcm, read_pcm

RATE = 16000


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("audio") / "jfk.mp4")


def best_lag(reference: np.ndarray, at: int, window: np.ndarray, search: int = 320) -> int:
    """The shift (in samples) at which ``window`` best matches ``reference[at:]``."""
    padded = np.pad(reference, search + window.size)
    at += search + window.size
    errors = [
        np.abs(padded[at + lag : at + lag + window.size] - window).mean()
        for lag in range(-search, search + 1)
    ]
    return int(np.argmin(errors)) - search


def test_iter_pcm_gives_fixed_blocks_of_the_whole_stream_at_16k_mono():
    blocks = list(iter_pcm(JFK, 0, block_s=2.0))

    assert all(block.dtype == np.float32 and block.ndim == 1 for block in blocks)
    assert [block.size for block in blocks[:-1]] == [2 * RATE] * (len(blocks) - 1)
    whole = np.concatenate(blocks)
    assert whole.size == 11 * RATE
    np.testing.assert_allclose(whole, decode_mono(JFK, RATE), atol=1e-6)


def test_iter_pcm_reads_the_audio_stream_of_a_video(video):
    whole = np.concatenate(list(iter_pcm(video, 1, block_s=5.0)))
    assert whole.size == pytest.approx(11 * RATE, abs=RATE // 20)
    assert np.sqrt(np.mean(whole**2)) > 0.05  # speech, not silence


def test_a_stream_index_that_is_not_audio_is_refused(video):
    with pytest.raises(
        NoSuchAudioStreamError, match=r"no audio stream #0 \(its audio streams: #1\)"
    ):
        next(iter_pcm(video, 0))


@pytest.mark.parametrize(("start_s", "end_s"), [(0.0, 1.5), (3.0, 5.0), (7.33, 9.1)])
@pytest.mark.parametrize("source", ["flac", "mp4"])
def test_read_pcm_window_lines_up_with_the_stream_within_3_ms(video, source, start_s, end_s):
    path, index = (JFK, 0) if source == "flac" else (video, 1)
    whole = np.concatenate(list(iter_pcm(path, index)))

    window = read_pcm(path, index, start_s, end_s)

    assert window.size == round((end_s - start_s) * RATE)
    lag = best_lag(whole, round(start_s * RATE), window)
    assert abs(lag) <= 48, f"window is {lag / RATE * 1000:.1f} ms off"


def test_read_pcm_past_the_end_returns_what_there_is():
    tail = read_pcm(JFK, 0, 10.5, 12.0)
    assert tail.size == pytest.approx(RATE // 2, abs=2)


def test_read_pcm_refuses_an_empty_window():
    with pytest.raises(ValueError, match="start_s < end_s"):
        read_pcm(JFK, 0, 2.0, 2.0)
