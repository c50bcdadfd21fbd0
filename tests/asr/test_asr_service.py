"""The asr and models services, called as the dispatcher calls them (no broker needed)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from tests.asr.conftest import words_of
from worker.protocol.asr import DetectLanguageParams, TranscribeParams
from worker.protocol.errors import Cancelled, ModelUnavailable, ServiceError, UnsupportedMedia
from worker.protocol.models import ListModelsParams, ModelRefParams, VerifyModelParams
from worker.services.asr_service import AsrService
from worker.services.base import CallContext, WorkerInfo, set_current_call
from worker.services.models_service import ModelsService


@pytest.fixture(scope="module")
def worker_info(model_cache, tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    return WorkerInfo(worker_id="t", config_dir=str(config), cache_dir=str(model_cache))


@pytest.fixture(scope="module")
def asr(worker_info):
    settings = AsrService.Settings.model_validate(
        {"model": "tiny.en", "device": "cpu", "cpu_threads": 2, "batch_size": 4}
    )
    return AsrService(settings, worker_info)


def call(method: str) -> CallContext:
    ctx = CallContext(call_id=f"id-{method}", method=method)
    set_current_call(ctx)
    return ctx


async def wait_for(condition, task, deadline_s: float = 20.0) -> None:
    """Poll ``condition`` until true (fails if ``task`` ends first or the deadline passes)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        assert not task.done(), "the first call ended before the others queued"
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.slow
async def test_transcribe_returns_absolute_times_from_the_offset(asr, jfk_bytes):
    call("asr.transcribe")
    result = await asr.transcribe(TranscribeParams(audio=b64(jfk_bytes), offset_s=120.5))
    text = " ".join(words_of(" ".join(s.text for s in result.segments)))
    assert "ask not what your country can do for you" in text
    words = [w for s in result.segments for w in s.words]
    assert words[0].start >= 120.5
    assert words[-1].end <= 120.5 + 11.05
    assert result.segments[0].start == pytest.approx(120.5, abs=0.5)
    assert (result.model, result.device, result.language) == ("tiny.en", "cpu", "en")
    assert result.duration == pytest.approx(11.0, abs=0.01)


@pytest.mark.slow
async def test_calls_waiting_together_share_one_batch_and_agree(asr, jfk_bytes):
    async def one(offset: float):
        set_current_call(CallContext(call_id=f"c{offset}", method="asr.transcribe"))
        return await asr.transcribe(
            TranscribeParams(audio=b64(jfk_bytes), offset_s=offset, beam_size=1, language="en")
        )

    model_lock = (await asr.run_blocking(asr.engine.loaded)).lock
    model_lock.acquire()  # hold the model busy so the next calls must queue behind call 1
    try:
        first = asyncio.create_task(one(0.0))
        await wait_for(lambda: asr.batcher.busy and asr.batcher.waiting == 0, first)
        rest = [asyncio.create_task(one(30.0)), asyncio.create_task(one(60.0))]
        await wait_for(lambda: asr.batcher.waiting == 2, first)
    finally:
        model_lock.release()
    results = [await first, *await asyncio.gather(*rest)]
    assert results[0].batch_size == 1  # the first call did not wait for company
    assert results[1].batch_size == results[2].batch_size == 2
    texts = [[w.word for s in r.segments for w in s.words] for r in results]
    assert texts[0] == texts[1] == texts[2]
    first_word = [r.segments[0].words[0].start for r in results]
    assert first_word[1] - first_word[0] == pytest.approx(30.0, abs=0.1)
    assert first_word[2] - first_word[0] == pytest.approx(60.0, abs=0.1)


async def test_a_cancelled_call_is_answered_cancelled(asr, jfk_bytes):
    ctx = call("asr.transcribe")
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        await asr.transcribe(TranscribeParams(audio=b64(jfk_bytes)))


async def test_bad_audio_is_answered_unsupported_media(asr):
    call("asr.transcribe")
    with pytest.raises(UnsupportedMedia):
        await asr.transcribe(TranscribeParams(audio=b64(b"not audio at all" * 20)))


async def test_a_missing_model_is_answered_model_unavailable(asr, jfk_bytes):
    call("asr.transcribe")
    with pytest.raises(ModelUnavailable, match="offline: cannot download large-v3"):
        await asr.transcribe(TranscribeParams(audio=b64(jfk_bytes), model="large-v3"))


@pytest.mark.slow
async def test_detect_language_with_base_names_german(asr, german_wav):
    call("asr.detect_language")
    result = await asr.detect_language(
        DetectLanguageParams(audio=b64(german_wav.read_bytes()), model="base")
    )
    assert result.language == "de"
    assert result.candidates[0].language == "de"
    assert result.model == "base"


def test_capabilities_name_offline_models_and_the_device(asr):
    caps = asr.capabilities()
    assert {"tiny.en", "base"} <= set(caps["models"])
    assert caps["device"] in {"cpu", "cuda", "auto"}
    assert AsrService.handlers().keys() == {"asr.transcribe", "asr.detect_language"}


def test_bad_settings_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="compute_type must be one of"):
        AsrService.Settings.model_validate({"compute_type": "int3"})
    with pytest.raises(ValueError, match="device"):
        AsrService.Settings.model_validate({"device": "tpu"})


async def test_models_service_lists_verifies_and_guards_delete(worker_info, tmp_path):
    service = ModelsService(ModelsService.Settings(), worker_info)
    call("models.list")
    listed = await service.list_models(ListModelsParams())
    names = {m.name: m for m in listed.models}
    assert names["tiny.en"].installed and not names["large-v3"].installed
    call("models.verify")
    assert (await service.verify(VerifyModelParams(name="tiny.en"))).ok
    call("models.delete")
    with pytest.raises(ServiceError, match="only models inside the model cache"):
        await service.delete(ModelRefParams(name=str(tmp_path)))
    call("models.download")
    with pytest.raises(ModelUnavailable, match="offline"):
        await service.download(ModelRefParams(name="small.en"))
    fetched = await service.download(ModelRefParams(name="tiny.en"))
    assert fetched.model.location == "package" and not fetched.fetched
