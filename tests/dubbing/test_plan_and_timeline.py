"""Slots from cues, voices per language and speaker, placement and ducking on the timeline."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from vt_desktop.core.dubbing import (
    GUARD_S,
    RATE,
    Clip,
    Timeline,
    VoiceChoice,
    decode_clip,
    parse_voice,
    place,
    plan_lines,
    voice_for,
)
from vt_desktop.core.subtitles import Cue
from worker.engines.tts.audio import encode_flac
from worker.engines.tts.base import Speech


def cue(index: int, start: float, end: float, *lines: str, flags: frozenset[str] = frozenset()):
    return Cue(index, start, end, tuple(lines), flags=flags)


def test_each_line_starts_at_its_cue_and_may_run_to_just_before_the_next() -> None:
    cues = [
        cue(1, 0.22, 2.0, "E assim, meus", "compatriotas"),
        cue(2, 2.1, 4.0, "não perguntem"),
        cue(3, 6.0, 7.5, "o que o país"),
    ]
    lines, skipped = plan_lines(cues, media_end_s=11.0)
    assert skipped == []
    assert [(ln.start, ln.end, ln.text) for ln in lines] == [
        (0.22, 2.0, "E assim, meus compatriotas"),
        (2.1, 4.0, "não perguntem"),
        (6.0, 7.5, "o que o país"),
    ]
    assert [ln.limit for ln in lines] == pytest.approx(
        [2.1 - GUARD_S, 6.0 - GUARD_S, 11.0 - GUARD_S]
    )
    assert lines[0].target_s == pytest.approx(1.78) and lines[0].max_s == pytest.approx(1.83)


def test_untranslated_blank_and_roomless_cues_are_not_dubbed() -> None:
    cues = [
        cue(1, 0.0, 1.0, "not translated", flags=frozenset({"untranslated"})),
        cue(2, 1.5, 2.0, "   "),
        cue(3, 3.0, 3.1, "oi"),
        cue(4, 3.2, 4.0, "tchau"),
    ]
    lines, skipped = plan_lines(cues, media_end_s=5.0)
    assert [ln.cue for ln in lines] == [4]
    assert [c.index for c in skipped] == [1, 2, 3]


def test_voice_for_a_speaker_wins_over_the_language_then_the_worker_decides() -> None:
    voices = {"pt": "espeak-ng:pt-br", "pt:SPEAKER_01": "piper:pt_BR-faber-medium", "en": "hibari"}
    assert voice_for(voices, "pt", "SPEAKER_01") == VoiceChoice("piper", "pt_BR-faber-medium")
    assert voice_for(voices, "pt-BR", "SPEAKER_01") == VoiceChoice("piper", "pt_BR-faber-medium")
    assert voice_for(voices, "pt", "SPEAKER_02") == VoiceChoice("espeak-ng", "pt-br")
    assert voice_for(voices, "en-US") == VoiceChoice("hibari", "")
    assert voice_for(voices, "de") == VoiceChoice()
    with pytest.raises(ValueError, match="ENGINE or ENGINE:VOICE"):
        parse_voice(":heart")


def test_a_clip_is_placed_on_its_exact_sample_and_cut_with_a_fade_when_too_long() -> None:
    voice = np.full(RATE, 0.5, dtype=np.float32)  # 1 s
    clip, cut = place(2.5, voice, max_s=2.0)
    assert (clip.start, len(clip.samples), cut) == (120_000, RATE, False)
    clip, cut = place(2.5, voice, max_s=0.5)
    assert (len(clip.samples), cut) == (RATE // 2, True)
    assert clip.samples[-1] == 0.0 and clip.samples[0] > 0


def test_spoken_audio_from_the_wire_decodes_at_48_khz_in_place() -> None:
    samples = np.zeros(24_000, dtype=np.float32)
    samples[2400:2410] = 0.9
    wire = base64.b64encode(encode_flac(Speech(samples, 24_000))).decode()
    decoded = decode_clip(wire)
    assert len(decoded) == RATE
    assert abs(int(np.argmax(np.abs(decoded))) - 4800) <= 2
    with pytest.raises(ValueError, match="cannot be decoded"):
        decode_clip(base64.b64encode(b"not audio at all").decode())


def test_many_lines_never_drift_each_sits_at_its_own_start() -> None:
    starts = [0.25 + 1.37 * i for i in range(200)]  # 200 lines over 4.5 minutes
    burst = np.ones(480, dtype=np.float32) * 0.3
    timeline = Timeline([place(s, burst, 1.0)[0] for s in starts])
    track = timeline.voice(0, timeline.end)
    onsets = np.flatnonzero(np.diff((np.abs(track) > 0.01).astype(int)) == 1) + 1
    assert len(onsets) == 200
    assert np.max(np.abs(onsets / RATE - np.array(starts))) < 1 / RATE


def test_ducking_is_minus_12_db_under_the_voice_with_ramps_and_unity_elsewhere() -> None:
    timeline = Timeline([Clip(RATE, np.ones(RATE, dtype=np.float32))])  # voice 1 s … 2 s
    gain = timeline.duck_gain(0, 3 * RATE, -12.0, 0.08)
    floor = 10 ** (-12 / 20)
    assert gain[: int(0.9 * RATE)] == pytest.approx(1.0)
    assert gain[RATE : 2 * RATE] == pytest.approx(floor, abs=1e-6)
    assert gain[int(2.1 * RATE) :] == pytest.approx(1.0)
    ramp = gain[int(0.92 * RATE) : RATE]
    assert np.all(np.diff(ramp) <= 0) and ramp[0] > floor
    # a block rendered alone gives the same gain as the whole
    assert timeline.duck_gain(RATE - 100, 200, -12.0, 0.08) == pytest.approx(
        gain[RATE - 100 : RATE + 100]
    )
