"""The asr and models wire declarations refuse bad params before any engine sees them."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from worker.protocol.asr import (
    MAX_AUDIO_BYTES,
    TRANSCRIBE,
    DetectLanguageParams,
    TranscribeParams,
)
from worker.protocol.models import DELETE_MODEL, ModelRefParams, VerifyModelParams


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_transcribe_params_defaults_follow_the_design(jfk_bytes):
    p = TranscribeParams.model_validate({"audio": b64(jfk_bytes)})
    assert (p.language, p.task, p.word_timestamps, p.offset_s, p.beam_size, p.model) == (
        None,
        "transcribe",
        True,
        0.0,
        5,
        None,
    )
    assert p.audio_bytes() == jfk_bytes
    assert TRANSCRIBE.service == "asr"


def test_offset_given_as_a_json_integer_is_accepted(jfk_bytes):
    p = TranscribeParams.model_validate({"audio": b64(jfk_bytes), "offset_s": 30})
    assert p.offset_s == 30.0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("audio", "not base64!!", "base64"),
        ("audio", "", "at least"),
        ("language", "xx", "unknown language code"),
        ("language", "EN", "unknown language code"),
        ("task", "summarise", "transcribe"),
        ("beam_size", 0, "greater than or equal"),
        ("beam_size", 11, "less than or equal"),
        ("offset_s", -1.0, "greater than or equal"),
        ("word_timestamps", "yes", "boolean"),
        ("initial_prompt", "x" * 2001, "at most 2000"),
        ("model", "", "at least 1"),
        ("surprise", 1, "Extra inputs"),
    ],
)
def test_bad_transcribe_params_are_refused_with_the_reason(jfk_bytes, field, value, words):
    params = {"audio": b64(jfk_bytes), field: value}
    with pytest.raises(ValidationError) as caught:
        TranscribeParams.model_validate(params)
    assert words in str(caught.value)


def test_audio_over_one_mebibyte_is_refused():
    too_big = b64(b"\0" * (MAX_AUDIO_BYTES + 1))
    with pytest.raises(ValidationError, match="at most"):
        DetectLanguageParams.model_validate({"audio": too_big})


def test_audio_of_exactly_one_mebibyte_passes_validation():
    p = DetectLanguageParams.model_validate({"audio": b64(b"\1" * MAX_AUDIO_BYTES)})
    assert len(p.audio_bytes()) == MAX_AUDIO_BYTES


def test_model_params_refuse_extra_fields_and_empty_names():
    with pytest.raises(ValidationError):
        ModelRefParams.model_validate({"name": "  "})
    with pytest.raises(ValidationError):
        VerifyModelParams.model_validate({"name": "base", "deep": True})
    assert DELETE_MODEL.name == "models.delete"
