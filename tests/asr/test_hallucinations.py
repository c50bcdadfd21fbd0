"""Hallucinations caught, not shipped: what Whisper invents in music, noise and loops never
reaches the result as speech, and real speech loses no word to the checks.

Real models (tiny.en), real speech (jfk.flac and the English recordings of
``tests/data/speech``), and music and noise made here with numpy. Each test first shows the
model's unchecked decode (``check_hallucinations=False``) inventing the text the checks are
for, so it fails if the checks are gone.
"""

from __future__ import annotations

import csv
import dataclasses
import logging

import numpy as np
import pytest

from tests.support.media import SPEECH, decode_mono
from tests.support.wer import norm_words, wer
from worker.engines.asr import TranscribeRequest, Transcript, WhisperEngine
from worker.engines.asr.hallucination import screened, speech_regions, suspicions
from worker.engines.asr.types import SpeechSegment, WordTiming
from worker.protocol.asr import TRANSCRIBE
from worker.services.asr_service import to_result

RATE = 16000


def _chords(seconds: float) -> np.ndarray:
    """Piano-like chords (C, Am, F, G), each with its harmonics and a decaying envelope."""
    roots = [261.63, 220.00, 174.61, 196.00]
    each = seconds / len(roots)
    t = np.arange(round(each * RATE)) / RATE
    bars = []
    for root in roots:
        chord = sum(
            np.sin(2 * np.pi * root * ratio * k * t) / k
            for ratio in (1.0, 1.26, 1.5)
            for k in (1, 2, 3)
        )
        bars.append(chord * np.exp(-2.0 * t))
    music = np.concatenate(bars)
    scaled: np.ndarray = (0.3 * music / np.abs(music).max()).astype(np.float32)
    return scaled


def _pink_noise(seconds: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    scaled: np.ndarray = (0.3 * noise / np.abs(noise).max()).astype(np.float32)
    return scaled


def _words(transcript: Transcript) -> list[str]:
    return norm_words(" ".join(s.text for s in transcript.segments))


def _english_speech() -> list[np.ndarray]:
    with (SPEECH / "MANIFEST.tsv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["lang"] == "en"]
    return [decode_mono(SPEECH / r["file"]) for r in rows]


def _organ(seconds: float) -> np.ndarray:
    """Plain organ chords (C, Am, F, G triads of pure tones), held, with short ramps."""
    triads = [(261.63, 329.63, 392.00), (220.00, 261.63, 329.63),
              (174.61, 220.00, 261.63), (196.00, 246.94, 293.66)]  # fmt: skip
    each = seconds / len(triads)
    t = np.arange(round(each * RATE)) / RATE
    ramp = np.minimum(1.0, np.minimum(t / 0.05, (each - t) / 0.2))
    bars = [sum(np.sin(2 * np.pi * f * t) for f in triad) * ramp / 3 for triad in triads]
    return (0.3 * np.concatenate(bars)).astype(np.float32)


def _sweep(seconds: float) -> np.ndarray:
    """A sine sweeping from 200 Hz to 2 kHz."""
    t = np.arange(round(seconds * RATE)) / RATE
    freq = 200.0 * np.exp(np.log(10.0) * t / seconds)
    return (0.3 * np.sin(2 * np.pi * np.cumsum(freq) / RATE)).astype(np.float32)


def _white_noise(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(round(seconds * RATE))).astype(np.float32)


def _loops(transcript: Transcript) -> list[str]:
    reasons = suspicions(transcript.segments, [(0.0, transcript.duration)])
    return [r for r in reasons if r and "repeats" in r]


@pytest.mark.slow
def test_music_and_noise_in_a_batch_give_no_words_and_speech_beside_them_keeps_its_own(
    engine: WhisperEngine, jfk_samples: np.ndarray
) -> None:
    """In one batched call, music (chords, a sweep) and noise (white, pink) come back with no
    words, though the unchecked decode invents text in each; JFK in the same batch keeps
    every word.

    Whether the unchecked decode also loops on this music depends on the stack's numerics,
    not on our code: tiny.en looped on both clips when this test was written, loops on the
    chords only with numpy 2.4.5-2.4.6 and on neither with 2.4.3 (same model, same
    ctranslate2, same audio). So loops are shown where
    they can be forced, in ``test_a_loop_forced_by_the_prompt_is_caught_and_decoded_again_
    without_it``, and here every clip's checked result must be empty whatever it invented.
    """
    clips = {
        "chords": _chords(6.0),
        "sweep": _sweep(6.0),
        "white noise": _white_noise(6.0),
        "pink noise": _pink_noise(6.0),
        "jfk": jfk_samples,
    }

    def requests(checked: bool) -> list[TranscribeRequest]:
        return [
            TranscribeRequest(audio=a, language="en", check_hallucinations=checked, call_id=n)
            for n, a in clips.items()
        ]

    unchecked = dict(zip(clips, engine.transcribe_batch(requests(False)), strict=True))
    checked = dict(zip(clips, engine.transcribe_batch(requests(True)), strict=True))
    for name in ("chords", "sweep", "white noise", "pink noise"):
        invented, kept = unchecked[name], checked[name]
        assert isinstance(invented, Transcript) and isinstance(kept, Transcript)
        assert _words(invented), f"the model invents nothing in {name}: the test shows nothing"
        assert _words(kept) == [], (name, [s.text for s in kept.segments])
    jfk_unchecked, jfk_checked = unchecked["jfk"], checked["jfk"]
    assert isinstance(jfk_unchecked, Transcript) and isinstance(jfk_checked, Transcript)
    assert _words(jfk_checked) == _words(jfk_unchecked)


@pytest.mark.slow
def test_a_word_invented_in_noise_is_dropped_and_the_log_names_the_call(
    engine: WhisperEngine, caplog: pytest.LogCaptureFixture
) -> None:
    noise = _pink_noise(6.0)
    unchecked = engine.transcribe(
        TranscribeRequest(audio=noise, language="en", check_hallucinations=False)
    )
    assert _words(unchecked), "the model invents nothing here: the test shows nothing"
    with caplog.at_level(logging.INFO, logger="worker.engines.asr.hallucination"):
        checked = engine.transcribe(
            TranscribeRequest(audio=noise, language="en", call_id="call-noise-1")
        )
    assert checked.segments == []
    assert "id=call-noise-1 dropped" in caplog.text


@pytest.mark.slow
def test_a_loop_forced_by_the_prompt_is_caught_and_decoded_again_without_it(
    engine: WhisperEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """A prompt that says one sentence over and over makes tiny.en say it over and over in
    organ music; the checks see the loop, decode again (no prompt, temperature fallback),
    and no loop is left."""
    request = TranscribeRequest(
        audio=_organ(6.0), language="en", initial_prompt="I'm going home. " * 10
    )
    unchecked = engine.transcribe(dataclasses.replace(request, check_hallucinations=False))
    assert _loops(unchecked), [s.text for s in unchecked.segments]
    with caplog.at_level(logging.INFO, logger="worker.engines.asr.hallucination"):
        checked = engine.transcribe(dataclasses.replace(request, call_id="call-loop-1"))
    assert _loops(checked) == []
    assert "i'm going home" not in " ".join(_words(checked))
    assert "id=call-loop-1" in caplog.text and "repeats 'i'm going home' " in caplog.text
    assert "decoding again" in caplog.text


@pytest.mark.slow
def test_real_speech_loses_no_word_to_the_checks_alone_or_batched(
    engine: WhisperEngine, jfk_samples: np.ndarray
) -> None:
    """JFK and the English recordings, each a call: the checked words are the unchecked
    decode's (WER ≤ 0.01 over all), alone and in one batch, and nothing is marked suspect."""
    clips = [jfk_samples, *_english_speech()]

    def requests(checked: bool) -> list[TranscribeRequest]:
        return [
            TranscribeRequest(audio=c, language="en", check_hallucinations=checked) for c in clips
        ]

    ways: dict[str, tuple[list[Transcript | Exception], list[Transcript | Exception]]] = {
        "alone": ([engine.transcribe(r) for r in requests(False)],
                  [engine.transcribe(r) for r in requests(True)]),
        "batched": (engine.transcribe_batch(requests(False)),
                    engine.transcribe_batch(requests(True))),
    }  # fmt: skip
    for way, (unchecked, checked) in ways.items():
        errors, words = 0.0, 0
        for before, after in zip(unchecked, checked, strict=True):
            assert isinstance(before, Transcript) and isinstance(after, Transcript)
            assert [s.suspect for s in after.segments if s.suspect] == []
            want = _words(before)
            errors += wer(want, _words(after)) * len(want)
            words += len(want)
        print(f"asr: checked vs unchecked, {way}, {len(clips)} calls, {words} words: "
              f"WER {errors / words:.3f}")  # fmt: skip
        assert errors / words <= 0.01, way


def _crafted_loop(start: float, times: int) -> SpeechSegment:
    """'Thank you.' said ``times`` times from ``start``, half a second each."""
    words = [
        WordTiming(start + i * 0.5 + k * 0.25, start + i * 0.5 + (k + 1) * 0.25, w, 0.9)
        for i in range(times)
        for k, w in enumerate((" Thank", " you."))
    ]
    text = " ".join(["Thank you."] * times)
    return SpeechSegment(start, start + times * 0.5, text, words, avg_logprob=-0.3)


@pytest.mark.slow
def test_a_crafted_loop_after_real_speech_is_the_only_suspect_and_named_in_plain_words(
    engine: WhisperEngine, jfk_samples: np.ndarray
) -> None:
    """A real decode of JFK followed by 4 s of silence, plus a crafted 'Thank you.' loop in
    that silence: only the loop is suspect, with the reason a person can read."""
    audio = np.concatenate([jfk_samples, np.zeros(4 * RATE, dtype=np.float32)])
    real = engine.transcribe(
        TranscribeRequest(audio=audio, language="en", check_hallucinations=False)
    ).segments
    assert real and all(s.end < 11.5 for s in real)
    reasons = suspicions([*real, _crafted_loop(11.5, 6)], speech_regions(audio))
    assert reasons[:-1] == [None] * len(real)
    assert reasons[-1] is not None
    assert reasons[-1].startswith("repeats 'thank you' 6 times")
    assert "12 of 12 word(s) where no speech was heard" in reasons[-1]


def test_what_stays_suspect_is_dropped_over_silence_and_kept_marked_over_speech(
    jfk_samples: np.ndarray,
) -> None:
    """The re-decode loops again (as a model may): the loop over JFK's voice is kept and
    marked, the one in the silence after it is dropped (one loop of 10 over both)."""
    audio = np.concatenate([jfk_samples, np.zeros(4 * RATE, dtype=np.float32)])
    over_speech, over_silence = _crafted_loop(2.0, 6), _crafted_loop(12.0, 4)
    decode = [over_speech, over_silence]
    kept = screened(list(decode), audio, lambda: list(decode), call_id="call-2")
    assert [(s.start, s.text) for s in kept] == [(over_speech.start, over_speech.text)]
    assert kept[0].suspect is not None
    assert kept[0].suspect.startswith("repeats 'thank you' 10 times")


def test_a_suspect_segment_reaches_the_wire_with_its_reason_and_older_results_still_validate() -> (
    None
):
    transcript = Transcript(
        language="en", language_probability=1.0, duration=5.0, model="tiny.en", device="cpu",
        compute_s=0.1, segments=[SpeechSegment(0.5, 3.5, "Thank you. Thank you.",
                                               suspect="repeats 'thank you' 6 times")],
    )  # fmt: skip
    result = to_result(transcript, offset_s=30.0)
    assert result.segments[0].suspect == "repeats 'thank you' 6 times"
    wire = TRANSCRIBE.result.model_validate_json(result.model_dump_json())
    assert wire.segments[0].suspect == "repeats 'thank you' 6 times"
    older = result.model_dump()
    del older["segments"][0]["suspect"]
    assert TRANSCRIBE.result.model_validate(older).segments[0].suspect is None
