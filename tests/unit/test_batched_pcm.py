"""Batched resampling reads the same samples as resampling frame by frame, to the sample.

``pcm_from_frames`` resamples the decoded frames a batch at a time (one resampler call for
a 30 s segment, not ~470); ``tests/media/per_frame_pcm.py`` keeps the reading as it was. On
real recordings of every kind the app meets (FLAC 44.1 kHz stereo s32, Opus 48 kHz, 16 kHz
WAV and FLAC, AAC in MP4, a stream that starts late and has gaps), whole streams and the
windows segments read come out equal to the sample, and so do the FLAC bytes a worker gets.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.media import per_frame_pcm as per_frame
from tests.support.media import JFK, SPEECH, decode_mono, make_video
from vt_desktop.core.media.audio import iter_pcm, read_pcm
from vt_desktop.core.media.encode import encode_pcm

RATE = 16000
LATE_S, GAP_AT_S, GAP_S, JITTER_AT_S = 0.3, 4.0, 0.6, 6.5


def gappy_mkv(path: Path) -> Path:
    """JFK as 44.1 kHz stereo PCM in Matroska, starting ``LATE_S`` in, with a ``GAP_S``
    hole in its timestamps at ``GAP_AT_S`` and a 10 ms one (tolerated) at ``JITTER_AT_S``."""
    rate = 44100
    samples = (decode_mono(JFK, rate) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="stereo")
        shift = round(LATE_S * rate)
        for start in range(0, samples.size, 1024):
            block = samples[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(
                np.repeat(block, 2).reshape(1, -1), format="s16", layout="stereo"
            )
            if start >= GAP_AT_S * rate and shift < (LATE_S + GAP_S) * rate:
                shift += round(GAP_S * rate)
            if start >= JITTER_AT_S * rate and shift < (LATE_S + GAP_S + 0.01) * rate:
                shift += round(0.01 * rate)
            frame.sample_rate, frame.pts = rate, start + shift
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("batched")
    return {
        "flac-44k-stereo": (JFK, 0),
        "opus-48k": (SPEECH / "es_mls_13697_11991_000000.opus", 0),
        "ogg-opus-48k": (SPEECH / "fr_fleurs_001.ogg", 0),
        "wav-16k": (SPEECH / "en_librivox_sense_and_sensibility_0870.wav", 0),
        "flac-16k": (SPEECH / "en_librispeech_2412-153948-0000.flac", 0),
        "aac-in-mp4": (make_video(folder / "jfk.mp4"), 1),
        "late-gappy-mkv": (gappy_mkv(folder / "gappy.mkv"), 0),
    }


KINDS = [
    "flac-44k-stereo", "opus-48k", "ogg-opus-48k", "wav-16k", "flac-16k", "aac-in-mp4",
    "late-gappy-mkv",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rate", [RATE, 22050])
def test_a_whole_stream_is_the_same_samples_as_frame_by_frame(sources, kind, rate):
    path, index = sources[kind]
    before = per_frame.iter_pcm(path, index, rate)

    after = np.concatenate(list(iter_pcm(path, index, rate=rate, block_s=3.0)))

    assert after.dtype == np.float32
    assert after.size == before.size
    assert np.array_equal(after, before), f"max abs diff {np.abs(after - before).max()}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("start_s", "end_s"), [(0.0, 1.5), (0.2, 8.9), (3.0, 5.0), (3.9, 7.1), (7.33, 9.1), (8.0, 30.0)]
)
def test_a_window_is_the_same_samples_as_frame_by_frame(sources, kind, start_s, end_s):
    path, index = sources[kind]
    before = per_frame.read_pcm(path, index, start_s, end_s, RATE)

    after = read_pcm(path, index, start_s, end_s)

    assert after.size == before.size
    assert np.array_equal(after, before), f"max abs diff {np.abs(after - before).max()}"


def test_the_gappy_stream_really_has_its_lead_in_and_gap_as_silence(sources):
    path, index = sources["late-gappy-mkv"]
    whole = np.concatenate(list(iter_pcm(path, index)))
    speech = decode_mono(JFK, RATE)

    assert not whole[: round(LATE_S * RATE)].any()
    hole = whole[
        round((GAP_AT_S + LATE_S + 0.1) * RATE) : round((GAP_AT_S + LATE_S + GAP_S) * RATE)
    ]
    assert not hole.any()
    assert whole.size == pytest.approx(speech.size + (LATE_S + GAP_S) * RATE, abs=0.02 * RATE)


@pytest.mark.parametrize("kind", ["flac-44k-stereo", "aac-in-mp4", "opus-48k"])
def test_a_segment_s_flac_bytes_are_unchanged(sources, kind):
    path, index = sources[kind]
    before = per_frame.encode_flac(per_frame.read_pcm(path, index, 1.25, 9.75, RATE))

    after = encode_pcm(read_pcm(path, index, 1.25, 9.75), codec="flac")

    assert after == before


def test_flac_of_clipped_and_half_way_samples_is_the_same_bytes_as_before(sources):
    path, index = sources["aac-in-mp4"]
    pcm = read_pcm(path, index, 0.5, 10.5)
    pcm[:50] = np.linspace(-1.5, 1.5, 50)  # clipped both ways
    pcm[50:60] = (np.arange(10) + 0.5) / 32767  # half way between two 16-bit steps
    expected = np.round(np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16)

    data = encode_pcm(pcm, codec="flac")

    assert data == per_frame.encode_flac(pcm)
    with av.open(io.BytesIO(data), mode="r") as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    assert np.array_equal(np.concatenate(frames), expected)
