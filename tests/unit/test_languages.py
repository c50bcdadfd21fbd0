"""Languages by code and by name (``vt_desktop.core.languages``, over langcodes + language-data),
and the two old entry points that now use it: track tags and same-language matching."""

from __future__ import annotations

import pytest

from vt_desktop.core.languages import (
    UnknownLanguage,
    iso639_2,
    language_name,
    offered_languages,
    parse_language,
    route_into,
    same_language,
)
from vt_desktop.core.media._languages import same_language as media_same_language
from vt_desktop.core.pipeline.write import iso639_2 as write_iso639_2
from worker.catalogue.translation import suggest_downloads
from worker.protocol.mt import EngineLanguages, LanguagePairs, primary_subtag


@pytest.mark.parametrize(
    ("tag", "track"),
    [
        ("de", "ger"), ("pt", "por"), ("pt-BR", "por"), ("zh", "chi"), ("zh-Hant", "chi"),
        ("fr", "fre"), ("el", "gre"), ("nl", "dut"), ("cs", "cze"), ("ro", "rum"),
        ("fa", "per"), ("ka", "geo"), ("uk", "ukr"), ("en-US", "eng"),
        ("deu", "deu"), ("xx", "und"), ("", "und"), ("1!", "und"),
    ],
)  # fmt: skip
def test_track_tags_are_iso_639_2_bibliographic(tag: str, track: str) -> None:
    assert iso639_2(tag) == track
    assert write_iso639_2(tag) == track


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("en-US", "eng", True), ("ger", "de", True), ("deu", "de-AT", True),
        ("chi", "zh-Hant", True),
        ("EN_us", "en", True), ("iw", "he", True), ("en", "de", False), ("und", "en", False),
        ("nb", "no", False), ("ces", "cze", True),
    ],
)  # fmt: skip
def test_same_language_across_639_1_and_both_639_2_forms(a: str, b: str, same: bool) -> None:
    assert same_language(a, b) is same
    assert media_same_language(a, b) is same


@pytest.mark.parametrize(
    ("tag", "ui", "name"),
    [
        ("de", "en", "German"), ("de", "ru", "Немецкий"), ("pt-BR", "en", "Portuguese (Brazil)"),
        ("zh-Hant", "en", "Chinese (Traditional)"), ("ja", "ru", "Японский"), ("xx", "en", "xx"),
    ],
)  # fmt: skip
def test_names_in_the_ui_language(tag: str, ui: str, name: str) -> None:
    assert language_name(tag, ui) == name


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("de", "de"), ("pt_br", "pt-BR"), ("PT-BR", "pt-BR"), ("zh-hant", "zh-Hant"), ("ger", "de"),
        ("German", "de"), ("Немецкий", "de"), ("deutsch", "de"), ("Brazilian Portuguese", "pt-BR"),
    ],
)  # fmt: skip
def test_codes_and_names_in_any_language_parse_to_a_standard_tag(text: str, tag: str) -> None:
    assert parse_language(text, "ru") == tag


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "a language is empty: type a name (German) or a code (de)"),
        ("xyzzy", "'xyzzy' is not a language code or a language name known here"),
        ("xx", "'xx' is not a language code or a language name known here"),
    ],
)
def test_text_that_names_no_language_is_refused_with_what_was_typed(
    text: str, complaint: str
) -> None:
    with pytest.raises(UnknownLanguage) as refused:
        parse_language(text)

    assert str(refused.value) == complaint


def test_the_offered_list_holds_every_639_1_language_and_the_script_and_region_variants() -> None:
    offered = offered_languages()

    assert len(offered) > 180
    assert {"de", "pt", "pt-BR", "pt-PT", "zh-Hans", "zh-Hant", "uk", "ja", "yo"} <= set(offered)
    assert "iw" not in offered and "he" in offered, "deprecated codes are left out"
    assert all(language_name(tag) != tag for tag in offered)


@pytest.mark.parametrize(
    ("text", "ui", "tag"),
    [
        ("Portuguese (Brazil)", "en", "pt-BR"), ("Китайский (традиционная)", "ru", "zh-Hant"),
        ("Chinese (Traditional)", "ru", "zh-Hant"), ("Немецкий (Австрия)", "ru", "de-AT"),
    ],
)  # fmt: skip
def test_names_with_a_region_or_script_as_the_list_shows_them(text: str, ui: str, tag: str) -> None:
    assert parse_language(text, ui) == tag


def test_every_name_the_list_shows_parses_back_to_its_tag_in_english_and_russian() -> None:
    for ui in ("en", "ru"):
        assert [
            t for t in offered_languages() if parse_language(language_name(t, ui), ui) != t
        ] == []


def test_a_region_or_script_not_known_is_refused_by_name() -> None:
    with pytest.raises(UnknownLanguage, match=r"'German \(Xyz\)': 'Xyz' is not a region"):
        parse_language("German (Xyz)")
    with pytest.raises(UnknownLanguage, match="'Portuguese!' is not a language code"):
        parse_language("Portuguese!")


def test_with_the_spoken_language_unknown_a_target_is_reached_from_any_source() -> None:
    bergamot = EngineLanguages(
        engine="bergamot",
        pairs=[
            LanguagePairs(sources=["en"], targets=["pt"]),
            LanguagePairs(sources=["pt"], targets=["en"]),
        ],
    )

    into_en, into_pt = route_into([bergamot], None, "en"), route_into([bergamot], None, "pt-BR")
    assert into_en is not None and into_en.steps[0].source == "pt"
    assert into_pt is not None and into_pt.steps[0].source == "en"
    assert route_into([bergamot], None, "de") is None
    assert route_into([bergamot], "de", "pt") is None
    assert route_into([], None, "pt") is None


@pytest.mark.parametrize(
    ("code", "primary"),
    [("pt_BR", "pt"), ("pt-BR", "pt"), ("zh-Hant", "zh"), ("EN", "en"), ("haw", "haw")],
)
def test_the_primary_subtag_ignores_region_script_separator_and_case(
    code: str, primary: str
) -> None:
    assert primary_subtag(code) == primary
    assert suggest_downloads(code, "de").startswith(f"`vt models download opus-mt-{primary}-de`")
