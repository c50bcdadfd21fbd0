"""End to end: ``vt translate --dub`` of the jfk clip, with real broker, workers and voices.

One run dubs into Portuguese (espeak-ng ``pt``) and English (Hibari) with ``--dub-mode
replace``, so the dubbed tracks hold only the voice: an onset found in them is the dub's own,
never the original speaker's. The checks read the tracks back out of the MKV the CLI wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pysubs2
import pytest

from tests.support.cli import vt, vt_env
from tests.support.media import make_video, write_wav
from tests.support.wer import norm_words, wer

pytestmark = pytest.mark.slow
RATE = 16_000
FRAME_S = 0.005
#: A frame is voiced when its RMS is within this many dB of the track's loudest frame.
VOICED_DB = -35.0
ONSET_TOLERANCE_S = 0.05
#: Word error rate of the ASR round trip on the English dub (see the test for why 0.25).
ROUND_TRIP_MAX_WER = 0.25


@dataclass(frozen=True)
class Dubbed:
    out: Path
    mkv: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory: pytest.TempPathFactory) -> Dubbed:
    home = tmp_path_factory.mktemp("dub")
    video = make_video(home / "jfk.mp4")
    out = home / "out"
    done = vt(
        "translate", str(video), "--to", "pt,en", "--model", "tiny.en",
        "--engine", "bergamot", "--formats", "srt,mkv", "--out", str(out),
        "--dub", "--dub-mode", "replace", "--voice", "pt=espeak-ng:pt", "--voice", "en=hibari",
        env=vt_env(home) | {"SUBTITLE_MAX_LINES": "1"},  # one-line cues: more lines to check
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return Dubbed(out, out / "jfk.subtitled.mkv", done.stdout, done.stderr)


def track(mkv: Path, language: str) -> np.ndarray:
    """The audio stream tagged ``language``, decoded to 16 kHz mono."""
    chunks: list[np.ndarray] = []
    with av.open(str(mkv)) as container:
        streams = [s for s in container.streams.audio if s.metadata.get("language") == language]
        assert len(streams) == 1, [s.metadata for s in container.streams.audio]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        for frame in container.decode(streams[0]):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks)


def voiced_runs(samples: np.ndarray) -> list[tuple[float, float]]:
    """(onset, offset) in seconds of each run of voiced 5 ms frames (energy detector)."""
    size = round(FRAME_S * RATE)
    count = len(samples) // size
    rms = np.sqrt(np.mean(samples[: count * size].reshape(count, size) ** 2, axis=1))
    voiced = rms > rms.max() * 10 ** (VOICED_DB / 20)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(int), [0]])))
    return [(a * FRAME_S, b * FRAME_S) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def cues(path: Path) -> list[tuple[float, float]]:
    return [(e.start / 1000, e.end / 1000) for e in pysubs2.load(str(path))]


def test_every_portuguese_line_starts_at_its_cue_and_ends_before_the_next(dubbed: Dubbed) -> None:
    slots = cues(dubbed.out / "jfk.pt.srt")
    assert len(slots) >= 4, slots  # several lines: drift would show by the last one
    runs = voiced_runs(track(dubbed.mkv, "por"))
    onsets = []
    for i, (start, _end) in enumerate(slots):
        following = slots[i + 1][0] if i + 1 < len(slots) else float("inf")
        mine = [r for r in runs if start - 0.25 <= r[0] < following - ONSET_TOLERANCE_S]
        assert mine, f"no voice for cue {i + 1} at {start:.3f}s; runs {runs}"
        onsets.append(mine[0][0] - start)
        assert abs(mine[0][0] - start) <= ONSET_TOLERANCE_S, (i + 1, start, mine[0])
        assert max(off for _on, off in mine) <= following, (i + 1, following, mine[-1])
    print("pt onset errors (ms):", [round(1000 * e, 1) for e in onsets])
    # The standalone file is the same track.
    assert (dubbed.out / "jfk.pt.dub.m4a").stat().st_size > 10_000


def test_english_hibari_dub_transcribes_back_to_the_translated_text(
    dubbed: Dubbed, tmp_path: Path
) -> None:
    # Tiny.en reads the original jfk clip back with no errors; a synthetic voice, sped up to
    # fit and spoken cue by cue, costs a few words ("fellow" → "follow"). 0.25 means three
    # words in four come back right, while an unintelligible or empty track scores near 1.
    reference = " ".join(e.plaintext for e in pysubs2.load(str(dubbed.out / "jfk.en.srt")))
    wav = write_wav(tmp_path / "dub-en.wav", track(dubbed.mkv, "eng"))
    out = tmp_path / "back"
    done = vt(
        "translate", str(wav), "--to", "en", "--model", "tiny.en", "--formats", "srt",
        "--out", str(out), env=vt_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    heard = " ".join(e.plaintext for e in pysubs2.load(str(out / "dub-en.en.srt")))
    score = wer(norm_words(reference), norm_words(heard))
    print(f"round trip WER {score:.3f}\n  sent:  {reference}\n  heard: {heard}")
    assert score <= ROUND_TRIP_MAX_WER, (reference, heard)


def test_dub_tracks_are_tagged_and_the_originals_kept(dubbed: Dubbed) -> None:
    with av.open(str(dubbed.mkv)) as container:
        audio = [
            (s.codec_context.name, s.metadata.get("language")) for s in container.streams.audio
        ]
        kinds = sorted(s.type for s in container.streams)
    assert audio[1:] == [("opus", "por"), ("opus", "eng")], audio
    assert kinds == ["audio", "audio", "audio", "subtitle", "subtitle", "video"]
    assert str(dubbed.out / "jfk.en.dub.m4a") in dubbed.stdout
    assert not list(dubbed.out.glob(".*.mka")), "temporary Opus tracks left behind"
    # Progress and ETA cover the stage; the overall bar reaches 100 % only after it.
    assert "dub: " in dubbed.stderr, dubbed.stderr
    print(dubbed.stderr)


def test_a_bad_voice_option_is_refused_before_any_work(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk.mp4")
    done = vt(
        "translate", str(video), "--to", "pt", "--dub", "--voice", "pt:espeak-ng",
        env=vt_env(tmp_path), timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--voice 'pt:espeak-ng' must be LANG=ENGINE[:VOICE]" in done.stderr
