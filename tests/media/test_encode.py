"""Specification of segment encoding: small, deterministic, and the same length back."""

from __future__ import annotations

import numpy as np
import pytest

from tests.media.conftest import RATE
from vt_desktop.core.media import (
    NotMediaError,
    Segment,
    decode_segment_bytes,
    encode_pcm,
    encode_segment,
    read_pcm,
)

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def thirty_seconds(recording) -> Segment:
    return Segment(index=0, start_s=12.3, end_s=42.3)


@pytest.mark.parametrize("codec", ["opus", "flac"])
def test_a_30_s_segment_round_trips_with_its_length_and_stays_under_1_mib(
    recording, thirty_seconds, codec
):
    data = encode_segment(recording.path, 0, thirty_seconds, codec=codec)

    decoded = decode_segment_bytes(data)

    assert len(data) < MIB
    assert abs(decoded.size / RATE - thirty_seconds.duration_s) <= 0.02
    original = read_pcm(recording.path, 0, thirty_seconds.start_s, thirty_seconds.end_s)
    n = min(decoded.size, original.size)
    assert np.corrcoef(decoded[:n], original[:n])[0, 1] > 0.95


def test_opus_segment_is_compact_speech_bit_rate(recording, thirty_seconds):
    data = encode_segment(recording.path, 0, thirty_seconds)
    assert data[:4] == b"OggS"
    assert 30_000 < len(data) < 150_000  # ~24-32 kbit/s for 30 s


def test_flac_segment_is_lossless_at_16_bit(recording, thirty_seconds):
    data = encode_segment(recording.path, 0, thirty_seconds, codec="flac")
    original = read_pcm(recording.path, 0, thirty_seconds.start_s, thirty_seconds.end_s)
    assert data[:4] == b"fLaC"
    np.testing.assert_allclose(decode_segment_bytes(data), original, atol=1.0 / 32767)


@pytest.mark.parametrize("codec", ["opus", "flac"])
def test_encoding_is_deterministic(recording, codec):
    segment = Segment(index=3, start_s=50.0, end_s=61.5)
    first = encode_segment(recording.path, 0, segment, codec=codec)
    assert encode_segment(recording.path, 0, segment, codec=codec) == first


def test_an_unknown_codec_is_refused():
    with pytest.raises(ValueError, match="unknown segment codec 'mp3'"):
        encode_pcm(np.zeros(RATE, dtype=np.float32), codec="mp3")  # type: ignore[arg-type]


def test_bytes_that_are_not_audio_are_refused():
    with pytest.raises(NotMediaError, match="not a readable audio file"):
        decode_segment_bytes(b"definitely not an ogg file" * 10)
