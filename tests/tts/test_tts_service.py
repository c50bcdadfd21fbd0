"""The ``tts`` service called as the dispatcher calls it, with the real engines."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import av
import numpy as np
import pytest
from pydantic import ValidationError

from worker.engines.tts.audio import frame_levels
from worker.protocol.errors import Cancelled, InvalidParams, ModelUnavailable
from worker.protocol.tts import SYNTHESIZE, SynthesizeParams, SynthesizeResult, VoicesParams
from worker.services.base import CallContext, WorkerInfo, set_current_call
from worker.services.tts_service import TtsService

PT = "E assim, meus compatriotas americanos, não perguntem o que o vosso país pode fazer por vós."
EN = "And so, my fellow Americans, ask not what your country can do for you."


@pytest.fixture
def call() -> CallContext:
    ctx = CallContext(call_id="call-1", method=SYNTHESIZE.name, job_id="job-1")
    set_current_call(ctx)
    return ctx


@pytest.fixture
def service(tmp_path: Path) -> TtsService:
    info = WorkerInfo(worker_id="t", config_dir=str(tmp_path), cache_dir=str(tmp_path))
    return TtsService(TtsService.Settings(), info)


def samples_of(result: SynthesizeResult) -> np.ndarray:
    with av.open(io.BytesIO(base64.b64decode(result.audio)), "r") as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return np.concatenate(frames).astype(np.float32) / 32768.0


def assert_trimmed(result: SynthesizeResult) -> None:
    """Speech from the first 5 ms frame; the audio is as long as the result says."""
    samples = samples_of(result)
    assert len(samples) == pytest.approx(result.duration_s * result.sample_rate, abs=2)
    rms, _ = frame_levels(samples, result.sample_rate)
    assert rms[0] > rms.max() * 10 ** (-40 / 20), "leading silence was not trimmed"


async def test_portuguese_line_at_natural_pace_when_it_fits(service, call) -> None:
    result = await service.synthesize(SynthesizeParams(text=PT, language="pt", target_s=20.0))
    assert (result.engine, result.voice, result.rate, result.fitted) == ("espeak-ng", "pt", 1, True)
    assert 3.0 < result.duration_s == result.natural_s < 8.0
    assert_trimmed(result)


async def test_line_too_long_for_its_cue_is_sped_up_no_more_than_the_cap(service, call) -> None:
    natural = await service.synthesize(SynthesizeParams(text=PT, language="pt"))
    target = natural.natural_s / 1.2
    fitted = await service.synthesize(
        SynthesizeParams(text=PT, language="pt", target_s=target, max_s=target + 0.1)
    )
    assert fitted.fitted and fitted.duration_s <= target + 0.1
    assert 1.1 < fitted.rate <= 1.3 * 1.02
    squeezed = await service.synthesize(
        SynthesizeParams(text=PT, language="pt", target_s=target / 2, max_s=target / 2)
    )
    assert not squeezed.fitted, "a line that cannot fit must be flagged"
    assert squeezed.rate <= 1.3 * 1.02
    assert squeezed.duration_s > target / 2
    assert_trimmed(squeezed)


async def test_english_goes_to_hibari_at_24_khz(service, call) -> None:
    result = await service.synthesize(SynthesizeParams(text=EN, language="en-US", target_s=3.2))
    assert (result.engine, result.voice, result.sample_rate) == ("hibari", "heart", 24000)
    assert result.natural_s > 3.2 and result.rate > 1.05
    assert_trimmed(result)


async def test_voice_per_language_and_engine_choice(service, call) -> None:
    brazil = await service.synthesize(
        SynthesizeParams(text="Olá.", language="pt-BR", engine="espeak-ng")
    )
    assert brazil.voice == "pt-br"
    english = await service.synthesize(
        SynthesizeParams(text="Hello.", language="en", engine="espeak-ng", voice="en-us")
    )
    assert (english.engine, english.voice) == ("espeak-ng", "en-us")


async def test_bad_requests_get_specific_errors(service, call) -> None:
    with pytest.raises(InvalidParams, match="unknown tts engine 'festival'"):
        await service.synthesize(SynthesizeParams(text="Oi.", language="pt", engine="festival"))
    with pytest.raises(InvalidParams, match="English only"):
        await service.synthesize(SynthesizeParams(text="Oi.", language="pt", engine="hibari"))
    with pytest.raises(InvalidParams, match="no voice for the language 'xx'"):
        await service.synthesize(SynthesizeParams(text="Oi.", language="xx"))
    with pytest.raises(InvalidParams, match="no voice 'klingon'"):
        await service.synthesize(SynthesizeParams(text="Oi.", language="pt", voice="klingon"))
    with pytest.raises(ModelUnavailable, match="piper-tts package"):
        await service.synthesize(SynthesizeParams(text="Oi.", language="pt", engine="piper"))
    with pytest.raises(ValidationError, match="blank"):
        SynthesizeParams(text="   ", language="pt")
    with pytest.raises(ValidationError, match="shorter than target_s"):
        SynthesizeParams(text="Oi.", language="pt", target_s=2.0, max_s=1.0)
    with pytest.raises(ValidationError, match="max_rate"):
        SynthesizeParams(text="Oi.", language="pt", max_rate=3.0)


async def test_cancelled_call_stops_between_passes(service, call) -> None:
    call.cancel_event.set()
    with pytest.raises(Cancelled):
        await service.synthesize(SynthesizeParams(text=PT, language="pt", target_s=2.0))


async def test_voices_lists_engines_and_says_why_one_cannot_run(service, call) -> None:
    result = await service.voices(VoicesParams(language="pt"))
    engines = {e.engine: e for e in result.engines}
    assert engines["espeak-ng"].available and engines["hibari"].available
    assert not engines["piper"].available and "piper-tts" in (engines["piper"].notice or "")
    assert {(v.engine, v.voice) for v in result.voices} >= {
        ("espeak-ng", "pt"),
        ("espeak-ng", "pt-br"),
    }
    assert all(v.engine != "hibari" for v in result.voices)
    english = await service.voices(VoicesParams(language="en"))
    assert ("hibari", "heart") in {(v.engine, v.voice) for v in english.voices}
    assert service.capabilities()["tts_engines"] == ["espeak-ng", "hibari"]
