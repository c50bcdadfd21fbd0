"""The dubbed track rendered over the real jfk clip, and added to MKV and MP4 by remux."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.media import decode_mono, make_video
from vt_desktop.core.dubbing import RATE, Clip, Timeline, render_track
from vt_desktop.core.subtitles import Cue
from vt_desktop.core.video import MediaError, SubtitleTrack, mux_soft_subtitles
from vt_desktop.core.video.audio_tracks import AudioTrack, add_audio_tracks

VOICE_AT = (2.0, 3.0)  # seconds


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("mix") / "jfk.mp4")


def beep_timeline() -> Timeline:
    t = np.arange(RATE) / RATE
    beep = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    return Timeline([Clip(round(VOICE_AT[0] * RATE), beep)])


def band_rms(samples: np.ndarray, a: float, b: float) -> float:
    return float(np.sqrt(np.mean(samples[round(a * RATE) : round(b * RATE)] ** 2)))


def test_duck_lowers_the_original_12_db_under_the_voice_only(video: Path, tmp_path: Path) -> None:
    out = tmp_path / "duck.m4a"
    render_track(video, 1, beep_timeline(), [out], mode="duck", duration_s=11.0, language="por")
    mixed = decode_mono(out, RATE)
    original = decode_mono(video, RATE)
    n = min(len(mixed), len(original))
    # Outside the voice (and its ramps) the track is the original.
    assert band_rms(mixed[:n] - original[:n], 4.0, 10.0) < 0.05 * band_rms(original, 4.0, 10.0)
    # Under the voice: mixed − voice ≈ original × 10^(−12/20).
    t = np.arange(RATE) / RATE
    voice = np.zeros(n, dtype=np.float32)
    voice[2 * RATE : 3 * RATE] = 0.3 * np.sin(2 * np.pi * 1000 * t)
    residue = band_rms(mixed[:n] - voice, 2.1, 2.9)
    assert residue / band_rms(original, 2.1, 2.9) == pytest.approx(10 ** (-12 / 20), rel=0.15)
    with av.open(str(out)) as container:
        assert container.streams.audio[0].metadata.get("language") == "por"


def test_replace_keeps_only_the_voice_exactly_placed(video: Path, tmp_path: Path) -> None:
    m4a, mka = tmp_path / "v.m4a", tmp_path / "v.mka"
    render_track(video, 1, beep_timeline(), [m4a, mka], mode="replace", duration_s=11.0)
    for path in (m4a, mka):
        track = decode_mono(path, RATE)
        assert len(track) >= 11 * RATE
        assert band_rms(track, 0.0, 1.95) < 1e-3 and band_rms(track, 3.05, 11.0) < 1e-3
        onset = int(np.flatnonzero(np.abs(track) > 0.05)[0])
        assert abs(onset / RATE - VOICE_AT[0]) < 0.002, path
    with pytest.raises(ValueError, match=r"use \.m4a or \.mka"):
        render_track(video, 1, beep_timeline(), [tmp_path / "x.wav"], mode="replace")


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_dub_track_is_added_in_place_keeping_every_stream_and_its_timing(
    video: Path, tmp_path: Path, suffix: str
) -> None:
    m4a, mka = tmp_path / "v.m4a", tmp_path / "v.mka"
    render_track(video, 1, beep_timeline(), [m4a, mka], mode="replace", duration_s=11.0)
    subtitled = mux_soft_subtitles(
        video, [SubtitleTrack([Cue(1, 1.0, 2.0, ("olá",))], "por")], tmp_path / f"s{suffix}"
    )
    source = mka if suffix == ".mkv" else m4a
    add_audio_tracks(subtitled, [AudioTrack(source, "por", "pt (dub)")], subtitled)
    with av.open(str(subtitled)) as container:
        kinds = [s.type for s in container.streams]
        dub = container.streams.audio[1]
        assert kinds == ["video", "audio", "subtitle", "audio"]
        name = dub.metadata.get("title") or dub.metadata.get("handler_name")
        assert (dub.metadata.get("language"), name) == ("por", "pt (dub)")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks = [
            f.to_ndarray().reshape(-1)
            for fr in container.decode(dub)
            for f in resampler.resample(fr)
        ]
    track = np.concatenate(chunks)
    onset = int(np.flatnonzero(np.abs(track) > 0.05)[0])
    assert abs(onset / RATE - VOICE_AT[0]) < 0.002


def test_bad_tracks_are_refused_with_their_reason(video: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="three-letter ISO 639-2"):
        AudioTrack(tmp_path / "x.m4a", "pt")
    with pytest.raises(ValueError, match="no audio tracks"):
        add_audio_tracks(video, [], tmp_path / "o.mkv")
    with pytest.raises(FileNotFoundError, match=r"missing\.m4a"):
        add_audio_tracks(video, [AudioTrack(tmp_path / "missing.m4a", "por")], tmp_path / "o.mkv")
    with pytest.raises(ValueError, match=r"cannot write o\.avi"):
        add_audio_tracks(video, [AudioTrack(video, "por")], tmp_path / "o.avi")
    silent = make_video(tmp_path / "silent.mkv", None)
    with pytest.raises(MediaError, match="holds no audio stream"):
        add_audio_tracks(video, [AudioTrack(silent, "por")], tmp_path / "o.mkv")
    assert not (tmp_path / "o.mkv").exists()
