"""Soft subtitles by remuxing: every audio/video packet copied untouched, tracks tagged."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from av.subtitles.subtitle import AssSubtitle

from tests.support.media import make_video
from vt_desktop.core.subtitles import Cue, write_ass, write_srt
from vt_desktop.core.video import MediaError, SubtitleTrack, mux_soft_subtitles

CUES = [
    Cue(1, 0.5, 2.25, ("E assim, meus caros americanos,", "não perguntem"), "And so"),
    Cue(2, 3.1, 5.0, ("o que o seu país pode fazer por vocês.",), "ask not"),
    Cue(3, 8.0, 10.5, ("Perguntem o que vocês podem fazer.",), "ask what"),
]


@pytest.fixture(scope="module")
def jfk_video(tmp_path_factory):
    """An H.264 + AAC MP4 of jfk.flac (11 s)."""
    return make_video(tmp_path_factory.mktemp("media") / "jfk.mp4")


def media_packets(path: Path) -> dict[str, list[tuple[bytes, float]]]:
    """Per stream type: [(bytes, pts in seconds)] of every video and audio packet."""
    packets: dict[str, list[tuple[bytes, float]]] = {"video": [], "audio": []}
    with av.open(str(path)) as container:
        for packet in container.demux(*container.streams.video, *container.streams.audio):
            if packet.size and packet.pts is not None:
                seconds = float(packet.pts * packet.time_base)
                packets[packet.stream.type].append((bytes(packet), seconds))
    return packets


def subtitle_events(
    path: Path, track: int = 0
) -> tuple[list[tuple[float, float, str]], str | None, str, str | None]:
    """(start, end, text, language, codec, title) of each non-empty cue of a subtitle track."""
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[track]
        language, title = stream.metadata.get("language"), stream.metadata.get("title")
        codec = stream.codec_context.name
        events = []
        for packet in container.demux(stream):
            if not packet.size or packet.pts is None:
                continue
            texts = [
                sub.dialogue.decode() for sub in packet.decode() if isinstance(sub, AssSubtitle)
            ]
            if any(texts):
                start = float(packet.pts * packet.time_base)
                end = start + float((packet.duration or 0) * packet.time_base)
                events.append((start, end, "\n".join(texts)))
    return events, language, codec, title


def assert_packets_copied_untouched(source: Path, output: Path) -> float:
    """Same bytes in the same order per stream; times equal up to one container-wide shift."""
    before, after = media_packets(source), media_packets(output)
    shift = after["video"][0][1] - before["video"][0][1]
    assert abs(shift) < 0.1
    for kind in ("video", "audio"):
        assert len(after[kind]) == len(before[kind]) > 10
        for (data_in, pts_in), (data_out, pts_out) in zip(before[kind], after[kind], strict=False):
            assert data_out == data_in
            assert pts_out - shift == pytest.approx(pts_in, abs=0.0011)
    return shift


def assert_cues_match(
    events: list[tuple[float, float, str]], shift: float, cues: list[Cue] = CUES
) -> None:
    assert len(events) == len(cues)
    for (start, end, text), cue in zip(events, cues, strict=False):
        assert start - shift == pytest.approx(cue.start, abs=0.010)
        assert end - shift == pytest.approx(cue.end, abs=0.010)
        assert text == cue.text


def test_an_srt_file_muxed_into_mkv_keeps_every_packet_and_its_timing(jfk_video, tmp_path):
    srt = write_srt(CUES, tmp_path / "pt.srt")
    out = mux_soft_subtitles(
        jfk_video, [SubtitleTrack(srt, "por", "Português")], tmp_path / "o.mkv"
    )
    shift = assert_packets_copied_untouched(jfk_video, out)
    events, language, codec, title = subtitle_events(out)
    assert (language, title) == ("por", "Português")
    assert codec in ("subrip", "srt")  # FFmpeg's two names for the SubRip decoder
    assert_cues_match(events, shift)


def test_cues_muxed_into_mp4_become_mov_text_tracks_with_languages(jfk_video, tmp_path):
    english = [Cue(1, 1.0, 3.0, ("And so, my fellow Americans",))]
    tracks = [SubtitleTrack(CUES, "por", "Português"), SubtitleTrack(english, "eng", "English")]
    out = mux_soft_subtitles(jfk_video, tracks, tmp_path / "o.mp4")
    shift = assert_packets_copied_untouched(jfk_video, out)
    events, language, codec, _ = subtitle_events(out, 0)
    assert (language, codec) == ("por", "mov_text")
    assert_cues_match(events, shift)
    events, language, _, _ = subtitle_events(out, 1)
    assert language == "eng"
    assert_cues_match(events, shift, english)


def test_an_ass_file_muxed_into_mkv_stays_ass_with_its_styles(jfk_video, tmp_path):
    ass = write_ass(CUES, tmp_path / "pt.ass")
    out = mux_soft_subtitles(jfk_video, [SubtitleTrack(ass, "por")], tmp_path / "o.mkv")
    shift = assert_packets_copied_untouched(jfk_video, out)
    events, language, codec, _ = subtitle_events(out)
    assert language == "por"
    assert codec in ("ass", "ssa")  # FFmpeg decodes ASS tracks with its "ssa" decoder
    assert_cues_match(events, shift)
    with av.open(str(out)) as container:
        header = (container.streams.subtitles[0].codec_context.extradata or b"").decode()
    assert "Style: Default,Arial,56" in header


def test_a_two_letter_language_code_is_refused_with_the_expected_form():
    with pytest.raises(ValueError, match="ISO 639-2 code such as 'por', got 'pt'"):
        SubtitleTrack(CUES, "pt")


def test_the_source_video_is_never_overwritten(jfk_video):
    before = jfk_video.read_bytes()
    with pytest.raises(ValueError, match="refusing to overwrite"):
        mux_soft_subtitles(jfk_video, [SubtitleTrack(CUES, "por")], jfk_video)
    assert jfk_video.read_bytes() == before


def test_bad_requests_are_refused_with_clear_messages(jfk_video, tmp_path):
    track = SubtitleTrack(CUES, "por")
    with pytest.raises(ValueError, match=r"use one of \.mkv"):
        mux_soft_subtitles(jfk_video, [track], tmp_path / "o.avi")
    with pytest.raises(ValueError, match="no subtitle tracks"):
        mux_soft_subtitles(jfk_video, [], tmp_path / "o.mkv")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mux_soft_subtitles(tmp_path / "missing.mp4", [track], tmp_path / "o.mkv")
    missing = SubtitleTrack(tmp_path / "missing.srt", "por")
    with pytest.raises(FileNotFoundError, match="subtitle file"):
        mux_soft_subtitles(jfk_video, [missing], tmp_path / "o.mkv")


def test_a_file_that_is_not_a_video_fails_cleanly_and_leaves_nothing(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"this is not a video at all" * 100)
    with pytest.raises(MediaError, match=r"cannot remux fake\.mp4"):
        mux_soft_subtitles(fake, [SubtitleTrack(CUES, "por")], tmp_path / "out.mkv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake.mp4"]
