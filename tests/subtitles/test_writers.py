"""Subtitle files: SRT, WebVTT and styled ASS, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pysubs2
import pytest

from vt_desktop.core.subtitles import (
    AssStyle,
    Cue,
    ass_header,
    write_ass,
    write_srt,
    write_subtitles,
    write_vtt,
)

CUES = [
    Cue(1, 0.5, 2.25, ("E assim, meus caros americanos,", "não perguntem"), "And so"),
    Cue(2, 2.4, 4.0, ("o que o seu país pode fazer por vocês.",), "ask not"),
    Cue(3, 61.001, 3600 + 62.5, ("Até já — 中文 «ok»",), "bye", frozenset({"too_long"})),
]


def read_back(path: Path) -> list[tuple[int, int, str]]:
    return [(event.start, event.end, event.plaintext) for event in pysubs2.load(str(path)).events]


def expected_events() -> list[tuple[int, int, str]]:
    return [(round(c.start * 1000), round(c.end * 1000), c.text) for c in CUES]


@pytest.mark.parametrize("writer", [write_srt, write_vtt, write_ass])
def test_cues_round_trip_through_pysubs2(tmp_path, writer):
    suffix = {write_srt: ".srt", write_vtt: ".vtt", write_ass: ".ass"}[writer]
    path = writer(CUES, tmp_path / f"subs{suffix}")
    precision_ms = 10 if suffix == ".ass" else 0  # ASS times are in centiseconds
    events = read_back(path)
    assert [text for _, _, text in events] == [text for _, _, text in expected_events()]
    for (start, end, _), (want_start, want_end, _) in zip(events, expected_events(), strict=False):
        assert abs(start - want_start) <= precision_ms
        assert abs(end - want_end) <= precision_ms


def test_srt_is_plain_numbered_subrip(tmp_path):
    text = write_srt(CUES, tmp_path / "a.srt").read_text(encoding="utf-8")
    assert text.startswith("1\n00:00:00,500 --> 00:00:02,250\nE assim, meus caros americanos,\n")
    assert "01:01:02,500" in text


def test_ass_has_a_readable_default_style_that_can_be_tweaked(tmp_path):
    path = write_ass(CUES, tmp_path / "a.ass", AssStyle(font_size=72, margin_vertical=80))
    document = pysubs2.load(str(path))
    style = document.styles["Default"]
    assert (style.primarycolor.r, style.primarycolor.g, style.primarycolor.b) == (255, 255, 255)
    assert (style.outlinecolor.r, style.outlinecolor.g, style.outlinecolor.b) == (0, 0, 0)
    assert style.outline > 0
    assert style.alignment == pysubs2.Alignment.BOTTOM_CENTER
    assert (style.fontsize, style.marginv) == (72, 80)
    assert document.info["PlayResY"] == "1080"


def test_ass_header_has_styles_and_no_events():
    header = ass_header()
    assert "[V4+ Styles]" in header
    assert "Style: Default," in header
    assert "Dialogue:" not in header


def test_write_subtitles_picks_the_format_from_the_suffix_and_refuses_others(tmp_path):
    assert read_back(write_subtitles(CUES, tmp_path / "x.VTT")) == expected_events()
    with pytest.raises(ValueError, match=r"use one of \.srt, \.vtt, \.ass"):
        write_subtitles(CUES, tmp_path / "x.docx")


def test_a_failure_mid_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "subs.srt"
    target.write_text("old content", encoding="utf-8")

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_srt(CUES, target)
    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subs.srt"]


def test_a_failure_before_the_rename_creates_no_file(tmp_path, monkeypatch):
    def rename_fails(source, destination):
        raise PermissionError("rename refused")

    monkeypatch.setattr(os, "replace", rename_fails)
    with pytest.raises(PermissionError):
        write_ass(CUES, tmp_path / "new.ass")
    assert list(tmp_path.iterdir()) == []


def test_writing_into_a_missing_folder_says_which_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_srt(CUES, tmp_path / "nowhere" / "a.srt")
