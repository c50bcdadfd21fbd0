"""The ``mt`` service, called as the dispatcher will: bind a call context, await a handler."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from tests.mt.chat_server import ChatServer, Recorded, Reply, fake_translation, good_content
from tests.mt.tiny_ct2 import build_nllb_like
from worker.protocol.errors import Cancelled, InvalidParams, ModelUnavailable, ServiceError
from worker.protocol.mt import (
    MAX_SENTENCES,
    TRANSLATE,
    LanguagesParams,
    TranslateParams,
)
from worker.services.base import CallContext, WorkerInfo, set_current_call
from worker.services.mt_service import API_KEY_ENV, MtService

JFK = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


@pytest.fixture
def server():
    chat = ChatServer().start()
    yield chat
    chat.stop()


@pytest.fixture
def call():
    ctx = CallContext(call_id="call-1", method=TRANSLATE.name, job_id="job-1")
    set_current_call(ctx)
    return ctx


def make_service(tmp_path, **settings) -> MtService:
    info = WorkerInfo(worker_id="t", config_dir=str(tmp_path), cache_dir=str(tmp_path))
    return MtService(MtService.Settings(**settings), info)


def llm_settings(server: ChatServer, **more):
    return {
        "llm_base_url": server.base_url,
        "llm_model": "llama3.1:8b",
        "llm_backoff_base_s": 0.01,
        "llm_max_attempts": 2,
    } | more


def params(**fields) -> TranslateParams:
    return TranslateParams(**({"source_lang": "en", "target_lang": "pt"} | fields))


async def test_bergamot_translates_the_jfk_sentence_through_the_service(tmp_path, call):
    service = make_service(tmp_path)

    result = await service.translate(params(sentences=[JFK, "", JFK]))

    assert result.engine == "bergamot"
    assert result.translations[0] is not None
    assert "país" in result.translations[0]
    assert result.translations[1] == ""
    assert result.translations[2] == result.translations[0]
    assert result.warnings == []
    await service.stop()


async def test_without_an_engine_the_default_engine_setting_decides(tmp_path, call, server):
    service = make_service(tmp_path, **llm_settings(server), default_engine="llm")

    result = await service.translate(params(sentences=["Hello."]))
    await service.stop()

    assert result.engine == "llm"
    assert result.translations == [fake_translation("Hello.")]


def test_the_service_declares_both_mt_methods():
    assert set(MtService.handlers()) == {"mt.translate", "mt.languages"}
    assert MtService.name == "mt"
    assert MtService.builtin


async def test_a_cache_hit_sends_nothing_to_the_engine_even_after_a_restart(tmp_path, call, server):
    lines = ["Good evening.", "Thank you."]
    service = make_service(tmp_path, **llm_settings(server))

    first = await service.translate(params(engine="llm", sentences=lines))
    again = await service.translate(params(engine="llm", sentences=lines))
    await service.stop()
    restarted = make_service(tmp_path, **llm_settings(server))
    after_restart = await restarted.translate(params(engine="llm", sentences=lines))
    await restarted.stop()

    assert first.translations == [fake_translation(line) for line in lines]
    assert (first.cached, again.cached, after_restart.cached) == (0, 2, 2)
    assert again.translations == after_restart.translations == first.translations
    assert len(server.requests) == 1


async def test_another_glossary_is_another_cache_entry(tmp_path, call, server):
    service = make_service(tmp_path, **llm_settings(server), cache_file=False)

    await service.translate(params(engine="llm", sentences=["Hi."]))
    result = await service.translate(params(engine="llm", sentences=["Hi."], glossary={"Hi": "Oi"}))
    await service.stop()

    assert result.cached == 0
    assert len(server.requests) == 2
    assert '"Hi" → "Oi"' in server.requests[1].system_prompt


async def test_llm_warnings_point_at_the_callers_sentence_indexes(tmp_path, call, server):
    def drop_broken(request: Recorded, n: int) -> Reply:
        broken = {line["id"] for line in request.lines if "BROKEN" in line["text"]}
        return Reply(content=good_content(request, drop=broken))

    server.script = drop_broken
    service = make_service(tmp_path, **llm_settings(server), llm_batch_size=2, cache_file=False)
    lines = ["One.", "Two.", "Three.", "BROKEN four.", "Five."]

    result = await service.translate(params(engine="llm", sentences=lines, context=["Zero."]))
    await service.stop()

    assert result.translations == [fake_translation(s) for s in lines[:3]] + [
        None,
        fake_translation("Five."),
    ]
    assert [w.indexes for w in result.warnings] == [[3]]
    second_batch = next(r for r in server.requests if r.lines[0]["text"] == "Three.")
    assert "Two." in second_batch.system_prompt  # the sentences before it are its context


async def test_an_unreachable_endpoint_after_some_batches_degrades_to_warnings(
    tmp_path, call, server
):
    service = make_service(tmp_path, **llm_settings(server), llm_batch_size=1, cache_file=False)
    await service.translate(params(engine="llm", sentences=["Warm up."]))
    server.stop()

    with pytest.raises(ServiceError, match="cannot reach"):
        await service.translate(params(engine="llm", sentences=["Never sent."]))
    result = await service.translate(params(engine="llm", sentences=["Warm up.", "Lost."]))
    await service.stop()

    assert result.translations == [fake_translation("Warm up."), None]
    assert result.warnings[0].indexes == [1]
    assert "cannot reach" in result.warnings[0].message


async def test_the_api_key_can_come_from_the_environment(tmp_path, call, server, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-from-env")
    service = make_service(tmp_path, **llm_settings(server))

    await service.translate(params(engine="llm", sentences=["Hello."]))
    await service.stop()

    assert server.requests[0].headers["Authorization"] == "Bearer sk-from-env"


def test_the_api_key_setting_is_secret_in_reprs_and_dumps(tmp_path):
    service = make_service(tmp_path, llm_api_key="sk-never-shown")

    assert isinstance(service.config.llm_api_key, SecretStr)
    assert "sk-never-shown" not in repr(service.config)
    assert "sk-never-shown" not in service.config.model_dump_json()


async def test_whisper_is_refused_with_a_pointer_to_the_recognition_step(tmp_path, call):
    service = make_service(tmp_path)

    with pytest.raises(InvalidParams, match="at the recognition step"):
        await service.translate(
            params(engine="whisper", source_lang="de", target_lang="en", sentences=["Hallo"])
        )


async def test_unknown_engine_unconfigured_llm_and_missing_ct2_model_are_clear(tmp_path, call):
    service = make_service(tmp_path)

    with pytest.raises(InvalidParams, match="unknown engine 'deepl'"):
        await service.translate(params(engine="deepl", sentences=["Hi."]))
    with pytest.raises(ModelUnavailable, match="set llm_base_url and llm_model"):
        await service.translate(params(engine="llm", sentences=["Hi."]))
    with pytest.raises(InvalidParams, match="no CTranslate2 model translates en → pt"):
        await service.translate(params(engine="ct2", sentences=["Hi."]))


async def test_a_cancelled_call_stops_before_translating(tmp_path, call, server):
    service = make_service(tmp_path, **llm_settings(server))
    call.cancel_event.set()

    with pytest.raises(Cancelled):
        await service.translate(params(engine="llm", sentences=["Hi."]))

    assert server.requests == []


async def test_ct2_models_in_the_model_cache_are_listed_and_used(tmp_path, call):
    build_nllb_like(tmp_path / "models" / "ct2" / "nllb-tiny", ["eng_Latn", "por_Latn"])
    service = make_service(tmp_path, ct2_max_decoding_length=8, ct2_beam_size=1)

    languages = await service.languages(LanguagesParams())
    result = await service.translate(params(engine="ct2", sentences=["Ask what you can do."]))

    ct2 = next(e for e in languages.engines if e.engine == "ct2")
    assert ct2.available
    assert ct2.models == ["nllb-tiny"]
    assert ct2.supports("en", "pt-BR")
    assert not ct2.supports("en", "de")
    assert result.engine == "ct2"
    assert result.model == "nllb-tiny"
    assert isinstance(result.translations[0], str)
    assert "mt/ct2/nllb-tiny" in service.capabilities()["models"]


async def test_languages_lists_every_engine_with_its_pairs(tmp_path, server):
    service = make_service(tmp_path, **llm_settings(server))

    engines = {e.engine: e for e in (await service.languages(LanguagesParams())).engines}

    assert set(engines) == {"bergamot", "ct2", "llm", "whisper"}
    assert engines["bergamot"].supports("en", "pt-BR")
    assert engines["bergamot"].supports("pt", "en")
    assert not engines["bergamot"].supports("en", "de")
    assert engines["whisper"].supports("ja", "en")
    assert not engines["whisper"].supports("en", "ja")
    assert engines["llm"].supports("ja", "de")
    assert engines["llm"].models == ["llama3.1:8b"]
    assert not engines["ct2"].available
    assert "no CTranslate2" in (engines["ct2"].notice or "")


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"sentences": []}, "at least 1"),
        ({"sentences": ["x"] * (MAX_SENTENCES + 1)}, f"at most {MAX_SENTENCES}"),
        ({"sentences": ["x" * 2001]}, "at most 2000 characters"),
        ({"sentences": ["x"], "source_lang": "english!"}, "source_lang"),
        ({"sentences": ["x"], "glossary": {"term": " "}}, "blank side"),
        ({"sentences": ["x"], "temperature": 0.3}, "Extra inputs"),
        ({"sentences": [1]}, "valid string"),
    ],
)
def test_translate_params_are_validated_strictly(fields, complaint):
    with pytest.raises(ValidationError, match=complaint):
        params(**fields)


async def test_without_an_engine_a_pair_the_default_lacks_goes_to_an_engine_that_has_it(
    tmp_path, call
):
    build_nllb_like(tmp_path / "models" / "ct2" / "nllb-tiny", ["eng_Latn", "deu_Latn"])
    service = make_service(tmp_path, ct2_max_decoding_length=8, ct2_beam_size=1)

    german = await service.translate(params(target_lang="de", sentences=["Ask what you can."]))
    portuguese = await service.translate(params(sentences=[JFK]))
    await service.stop()

    assert german.engine == "ct2" and german.model == "nllb-tiny"
    assert isinstance(german.translations[0], str)
    assert portuguese.engine == "bergamot", "the default engine first when it has the pair"


async def test_without_an_engine_a_pair_no_engine_translates_is_refused_with_what_they_do(
    tmp_path, call
):
    service = make_service(tmp_path)

    with pytest.raises(InvalidParams) as refused:
        await service.translate(params(target_lang="de", sentences=["Hi."]))

    assert refused.value.message.startswith(
        "no engine here translates en → de, directly or through English (bergamot: en → pt, "
        "pt → en; "
        "ct2: no CTranslate2 translation model is installed; llm: set llm_base_url"
    )


async def test_languages_lists_the_default_engine_first_and_whisper_as_speech_only(
    tmp_path, server
):
    service = make_service(tmp_path, **llm_settings(server), default_engine="llm")

    engines = (await service.languages(LanguagesParams())).engines

    assert [e.engine for e in engines] == ["llm", "bergamot", "ct2", "whisper"]
    assert [e.engine for e in engines if not e.takes_text] == ["whisper"]
