"""How a pair gets translated when no engine is named (``plan_route``, the one rule of the
worker and the app): direct pair → multilingual model → through English → LLM endpoint, and a
non-commercial model (NLLB) only when nothing else can."""

from __future__ import annotations

import pytest

from worker.protocol.mt import EngineLanguages, LanguagePairs, RouteKind, plan_route

BERGAMOT = EngineLanguages(
    engine="bergamot",
    pairs=[
        LanguagePairs(sources=["en"], targets=["pt"]),
        LanguagePairs(sources=["pt"], targets=["en"]),
    ],
)
M2M = LanguagePairs(
    sources=["en", "de", "fr", "pt"],
    targets=["en", "de", "fr", "pt"],
    model="m2m",
    multilingual=True,
)
NLLB_LANGS = ["en", "de", "fr", "ko", "pt", "uk"]
NLLB = LanguagePairs(
    sources=NLLB_LANGS, targets=NLLB_LANGS, model="nllb", multilingual=True, non_commercial=True
)
EN_DE = LanguagePairs(sources=["en"], targets=["de"], model="opus-mt-en-de")
UK_EN = LanguagePairs(sources=["uk"], targets=["en"], model="opus-mt-uk-en")
LLM = EngineLanguages(
    engine="llm", models=["m"], pairs=[LanguagePairs(sources=["*"], targets=["*"])]
)
WHISPER = EngineLanguages(
    engine="whisper", pairs=[LanguagePairs(sources=["*"], targets=["en"])], takes_text=False
)


def ct2(*groups: LanguagePairs) -> EngineLanguages:
    return EngineLanguages(engine="ct2", models=[g.model for g in groups], pairs=list(groups))


def way(engines: list[EngineLanguages], source: str, target: str, engine: str | None = None):
    route = plan_route(engines, source, target, engine)
    return None if route is None else (route.kind, [(s.engine, s.model) for s in route.steps])


def test_a_direct_pair_wins_over_a_multilingual_model_listed_before_it() -> None:
    engines = [ct2(M2M, EN_DE), BERGAMOT, LLM]

    assert way(engines, "en", "de") == (RouteKind.DIRECT, [("ct2", "opus-mt-en-de")])
    assert way(engines, "en", "pt-BR") == (RouteKind.DIRECT, [("bergamot", "")])


def test_a_multilingual_model_comes_before_a_pivot_and_the_llm() -> None:
    engines = [BERGAMOT, ct2(EN_DE, M2M), LLM]

    assert way(engines, "pt", "de") == (RouteKind.MULTILINGUAL, [("ct2", "m2m")])
    assert way(engines, "fr", "de") == (RouteKind.MULTILINGUAL, [("ct2", "m2m")])


def test_without_a_model_for_the_pair_two_engines_pivot_through_english() -> None:
    engines = [BERGAMOT, ct2(EN_DE), LLM]

    assert way(engines, "pt", "de") == (
        RouteKind.PIVOT,
        [("bergamot", ""), ("ct2", "opus-mt-en-de")],
    )
    route = plan_route(engines, "pt", "de")
    assert route is not None
    assert [(s.source, s.target) for s in route.steps] == [("pt", "en"), ("en", "de")]
    assert route.describe() == "via English (bergamot, ct2 opus-mt-en-de)"


def test_the_llm_serves_what_no_model_or_pivot_can_and_nothing_serves_without_it() -> None:
    assert way([BERGAMOT, ct2(EN_DE), LLM], "fr", "de") == (RouteKind.LLM, [("llm", "")])
    assert way([BERGAMOT, ct2(EN_DE), LLM], "en", "ja") == (RouteKind.LLM, [("llm", "")])
    assert plan_route([BERGAMOT, ct2(EN_DE)], "fr", "de") is None
    assert plan_route([BERGAMOT, ct2(EN_DE)], "en", "ja") is None


def test_a_non_commercial_model_is_chosen_only_when_nothing_else_can() -> None:
    assert way([ct2(NLLB, M2M)], "en", "de") == (RouteKind.MULTILINGUAL, [("ct2", "m2m")])
    assert way([ct2(NLLB, UK_EN, EN_DE)], "uk", "de") == (
        RouteKind.PIVOT,
        [("ct2", "opus-mt-uk-en"), ("ct2", "opus-mt-en-de")],
    )
    assert way([ct2(NLLB), LLM], "en", "ko") == (RouteKind.LLM, [("llm", "")])
    route = plan_route([ct2(NLLB)], "en", "ko")
    assert route is not None and route.kind is RouteKind.MULTILINGUAL
    assert route.non_commercial
    assert route.describe() == "multilingual (ct2 nllb, non-commercial licence)"


def test_an_unavailable_engine_and_whisper_are_never_the_automatic_choice() -> None:
    off = BERGAMOT.model_copy(update={"available": False})

    assert plan_route([off], "en", "pt") is None
    assert plan_route([WHISPER], "de", "en") is None
    assert way([WHISPER], "de", "en", "whisper") == (RouteKind.DIRECT, [("whisper", "")])


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("ct2", (RouteKind.PIVOT, [("ct2", "opus-mt-uk-en"), ("ct2", "opus-mt-en-de")])),
        ("bergamot", None),
        ("llm", (RouteKind.LLM, [("llm", "")])),
    ],
)
def test_an_engine_named_is_the_only_one_used_even_to_pivot(engine: str, expected) -> None:
    engines = [BERGAMOT, ct2(UK_EN, EN_DE), LLM]

    assert way(engines, "uk", "de", engine) == expected


def test_a_named_model_never_pivots() -> None:
    engines = [ct2(UK_EN, EN_DE)]

    assert plan_route(engines, "uk", "de", "ct2", "opus-mt-uk-en") is None
    route = plan_route(engines, "uk", "en", "ct2", "opus-mt-uk-en")
    assert route is not None and route.steps[0].model == "opus-mt-uk-en"


def test_english_itself_is_never_pivoted_through() -> None:
    assert plan_route([ct2(UK_EN, EN_DE)], "en", "uk") is None


def test_the_workers_default_engine_goes_first_when_it_translates_the_pair_itself() -> None:
    llm_default = LLM.model_copy(update={"default": True})
    engines = [llm_default, BERGAMOT, ct2(EN_DE)]

    assert way(engines, "en", "pt") == (RouteKind.LLM, [("llm", "")])
    assert way(engines, "en", "pt", "bergamot") == (RouteKind.DIRECT, [("bergamot", "")])
    bergamot_default = BERGAMOT.model_copy(update={"default": True})
    assert way([bergamot_default, ct2(EN_DE)], "pt", "de") == (
        RouteKind.PIVOT,
        [("bergamot", ""), ("ct2", "opus-mt-en-de")],
    )
