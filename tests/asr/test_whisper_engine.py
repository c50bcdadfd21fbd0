"""The Whisper engine, with the real tiny.en and base models shipped in packages."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.asr.conftest import encode_segment, words_of
from tests.support.media import JFK_TEXT
from worker.engines.asr import (
    TranscribeRequest,
    Transcript,
    WhisperEngine,
    WordTiming,
    decode_segment,
    explain_cuda_failure,
)
from worker.engines.asr.audio import _as_sent
from worker.engines.asr.device import choose_device, cuda_device_count
from worker.protocol.errors import Cancelled, InvalidParams, ModelUnavailable, UnsupportedMedia


def all_words(transcript: Transcript) -> list[WordTiming]:
    return [w for s in transcript.segments for w in s.words]


def overlap(expected: list[str], got: list[str]) -> float:
    """Share of the expected words found, in order-insensitive multiset terms."""
    pool = list(got)
    hits = 0
    for word in expected:
        if word in pool:
            pool.remove(word)
            hits += 1
    return hits / len(expected)


@pytest.mark.slow
def test_tiny_en_recognises_the_jfk_sentence(engine, jfk_audio):
    transcript = engine.transcribe(TranscribeRequest(audio=jfk_audio))
    text = " ".join(s.text for s in transcript.segments)
    assert "ask not what your country can do for you" in " ".join(words_of(text))
    assert overlap(words_of(JFK_TEXT), words_of(text)) >= 0.9
    assert transcript.language == "en"
    assert transcript.model == "tiny.en"
    assert transcript.duration == pytest.approx(11.0, abs=0.01)


@pytest.mark.slow
def test_word_timestamps_are_monotonic_and_inside_the_audio(engine, jfk_audio):
    transcript = engine.transcribe(TranscribeRequest(audio=jfk_audio))
    words = all_words(transcript)
    assert len(words) >= 20
    for word in words:
        assert 0.0 <= word.start <= word.end <= transcript.duration + 0.05
        assert 0.0 <= word.probability <= 1.0
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for seg in transcript.segments:
        assert seg.words[0].start >= seg.start - 0.05
        assert seg.words[-1].end <= seg.end + 0.05


def test_word_timestamps_can_be_turned_off(engine, jfk_audio):
    transcript = engine.transcribe(
        TranscribeRequest(audio=jfk_audio, word_timestamps=False, beam_size=1)
    )
    assert transcript.segments
    assert all(s.words == [] for s in transcript.segments)


def test_an_opus_segment_decodes_and_transcribes_like_flac(engine, jfk_samples):
    audio = decode_segment(encode_segment(jfk_samples, "opus"))
    transcript = engine.transcribe(TranscribeRequest(audio=audio, beam_size=1))
    text = " ".join(words_of(" ".join(s.text for s in transcript.segments)))
    assert "your country" in text


@pytest.mark.slow
def test_base_detects_german_and_spanish_in_espeak_speech(engine, german_wav, spanish_wav):
    german = engine.detect_language(decode_segment(german_wav.read_bytes()), "base")
    spanish = engine.detect_language(decode_segment(spanish_wav.read_bytes()), "base")
    assert (german.language, spanish.language) == ("de", "es")
    assert german.probability > 0.5
    assert spanish.probability > 0.5
    assert german.candidates[0] == ("de", pytest.approx(german.probability))


@pytest.mark.slow
def test_translate_task_turns_german_speech_into_english_words(engine, german_wav):
    """Base's translation of espeak German is rough (NOTES.md): assert robust keywords only."""
    audio = decode_segment(german_wav.read_bytes())
    transcript = engine.transcribe(TranscribeRequest(audio=audio, task="translate"), "base")
    words = set(words_of(" ".join(s.text for s in transcript.segments)))
    assert transcript.language == "de"
    assert len(words & {"good", "morning", "berlin", "park", "today", "weather", "beautiful"}) >= 2
    assert not words & {"guten", "morgen", "heute", "wetter"}


def test_english_only_model_refuses_another_language(engine, jfk_audio):
    with pytest.raises(InvalidParams, match="English only"):
        engine.transcribe(TranscribeRequest(audio=jfk_audio, language="de"))


@pytest.mark.slow
def test_cancel_mid_transcription_stops_at_the_next_segment(engine, jfk_twice_bytes):
    audio = decode_segment(jfk_twice_bytes)
    cancel = threading.Event()
    progress_seen: list[float] = []

    def checkpoint() -> None:
        if cancel.is_set():
            raise Cancelled("call c1 cancelled")

    def on_progress(fraction: float) -> None:
        progress_seen.append(fraction)
        cancel.set()  # the user cancels as soon as the first segment is out

    request = TranscribeRequest(audio=audio, checkpoint=checkpoint, progress=on_progress)
    with pytest.raises(Cancelled):
        engine.transcribe(request)
    assert len(progress_seen) == 1
    assert progress_seen[0] < 0.9


def test_a_call_cancelled_before_it_starts_does_no_work(engine, jfk_audio):
    def checkpoint() -> None:
        raise Cancelled("already cancelled")

    with pytest.raises(Cancelled):
        engine.transcribe(TranscribeRequest(audio=jfk_audio, checkpoint=checkpoint))


def assert_batch_gives_what_each_gives_alone(
    engine: WhisperEngine, requests: list[TranscribeRequest]
) -> None:
    """The same words, within 0.1 s, from one batched call as from each request alone."""
    alone = [engine.transcribe(r) for r in requests]
    batched = engine.transcribe_batch(requests)
    for single, together in zip(alone, batched, strict=True):
        assert not isinstance(together, Exception)
        assert together.batch_size == len(requests)
        single_words, batch_words = all_words(single), all_words(together)
        assert [w.word for w in batch_words] == [w.word for w in single_words]
        for a, b in zip(single_words, batch_words, strict=True):
            assert abs(a.start - b.start) <= 0.1
            assert abs(a.end - b.end) <= 0.1


@pytest.mark.slow
def test_batched_results_equal_single_results(engine, jfk_samples):
    """Three different segments in one batched call give what each gives alone."""
    segments = [
        jfk_samples[: 16000 * 5],
        jfk_samples,
        jfk_samples[16000 * 4 :],
    ]
    requests = [TranscribeRequest(audio=s, language="en") for s in segments]
    assert_batch_gives_what_each_gives_alone(engine, requests)


@pytest.mark.slow
def test_two_copies_share_one_set_of_weights_and_split_a_batch_alike(manager, jfk_samples):
    """On the CPU a batch is split over two copies of the model; the copies are one
    CTranslate2 model with two workers (the weights in memory once), and each part of the
    batch gives what each segment gives alone."""
    engine = WhisperEngine(
        manager, default_model="tiny.en", device="cpu", cpu_threads=2, replicas=2
    )
    first, second = engine.loaded().replicas
    assert second.model.model is first.model.model
    assert first.model.model.num_workers == 2
    assert second.model is not first.model
    assert second.model.feature_extractor is not first.model.feature_extractor
    segments = [jfk_samples[: 16000 * 5], jfk_samples, jfk_samples[16000 * 4 :], jfk_samples]
    requests = [TranscribeRequest(audio=s, language="en") for s in segments]
    assert_batch_gives_what_each_gives_alone(engine, requests)


def test_a_cancelled_request_in_a_batch_does_not_stop_the_others(engine, jfk_samples):
    def cancelled() -> None:
        raise Cancelled("call c2 cancelled")

    requests = [
        TranscribeRequest(audio=jfk_samples[: 16000 * 4], beam_size=1),
        TranscribeRequest(audio=jfk_samples, beam_size=1, checkpoint=cancelled),
    ]
    first, second = engine.transcribe_batch(requests)
    assert isinstance(second, Cancelled)
    assert not isinstance(first, Exception)
    assert "fellow" in words_of(" ".join(s.text for s in first.segments))


def test_the_pipelines_flac_is_read_as_sent_bit_identical_to_the_resampling_decoder(
    jfk_bytes, jfk_samples, german_wav
):
    from faster_whisper import decode_audio

    fast = _as_sent(jfk_bytes)  # 16 kHz mono 16-bit FLAC, as the pipeline sends it
    assert fast is not None
    reference = decode_audio(io.BytesIO(jfk_bytes), sampling_rate=16000)
    np.testing.assert_array_equal(decode_segment(jfk_bytes), reference)
    np.testing.assert_array_equal(fast, reference)
    # other rates and sample formats go through the resampler, as before
    assert _as_sent(encode_segment(jfk_samples, "opus")) is None  # 48 kHz float
    assert _as_sent(german_wav.read_bytes()) is None  # espeak-ng: 22.05 kHz
    german = decode_segment(german_wav.read_bytes())
    assert german.dtype == np.float32
    assert abs(len(german) / 16000 - _seconds(german_wav)) < 0.01


def _seconds(wav: Path) -> float:
    import wave

    with wave.open(str(wav)) as w:
        return float(w.getnframes() / w.getframerate())


@pytest.mark.parametrize(
    "data",
    [b"definitely not audio" * 50, b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 64],
)
def test_undecodable_bytes_are_refused_as_unsupported_media(data):
    with pytest.raises(UnsupportedMedia, match="cannot decode"):
        decode_segment(data)


def test_a_segment_with_almost_no_sound_is_refused():
    with pytest.raises(UnsupportedMedia, match="holds only"):
        decode_segment(encode_segment(np.zeros(160, dtype=np.float32)))


def test_an_unknown_model_fails_cleanly_and_fast(engine, jfk_audio):
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="offline: cannot download small"):
        engine.transcribe(TranscribeRequest(audio=jfk_audio), "small")
    assert time.monotonic() - started < 30  # a guard against hanging on the network


def test_without_a_cuda_gpu_auto_runs_on_the_cpu_and_says_so():
    if cuda_device_count() > 0:
        pytest.skip("this machine has a CUDA GPU; the CPU fallback is exercised elsewhere")
    choice = choose_device("auto", "auto", probe=lambda ct: None)
    assert (choice.device, choice.compute_type) == ("cpu", "int8")
    assert choice.notice and "no CUDA GPU" in choice.notice
    with pytest.raises(ModelUnavailable, match="sees no CUDA GPU"):
        choose_device("cuda", "auto", probe=lambda ct: None)


@pytest.mark.parametrize(
    ("message", "advice"),
    [
        ("Library libcublas.so.12 is not found or cannot be loaded", "cuBLAS 12"),
        ("Could not load library libcudnn_ops_infer.so.8. Error: cannot open shared", "cuDNN 9"),
        ("CUDA failed with error CUDA driver version is insufficient for CUDA runtime", "driver"),
        ("CUDA failed with error out of memory", "smaller model"),
        ("Requested float16 compute type, but the target device does not support it", "int8"),
    ],
)
def test_cuda_failures_are_explained_in_plain_words(message, advice):
    explained = explain_cuda_failure(RuntimeError(message))
    assert advice in explained
    assert message[:40] in explained
