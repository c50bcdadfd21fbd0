"""The translation catalogue: names, pins, licences, and what a refusal suggests."""

from __future__ import annotations

from worker.catalogue.translation import (
    MULTILINGUAL,
    listed_translation_entries,
    suggest_downloads,
    translation_entry,
)


def test_names_resolve_to_pinned_repos_with_licences() -> None:
    m2m = translation_entry(" M2M100-418M ")
    assert m2m is not None and m2m.repo_id == "jncraton/m2m100_418M-ct2-int8"
    assert (m2m.licence, m2m.pinned, m2m.default) == ("MIT", True, True)
    pair = translation_entry("opus-mt-pt-de")
    assert pair is not None and pair.repo_id == "gaudi/opus-mt-pt-de-ctranslate2"
    assert (pair.revision, pair.licence, pair.languages) == ("main", "CC-BY-4.0", ("pt", "de"))
    assert "Helsinki-NLP" in pair.attribution
    nllb = MULTILINGUAL["nllb-200-600m"]
    assert nllb.non_commercial and not nllb.default and nllb.licence == "CC-BY-NC-4.0"
    assert [e.name for e in listed_translation_entries() if e.non_commercial] == [nllb.name]
    for bad in ("opus-mt-en-en", "opus-mt-english-de", "m2m100", "../ct2", ""):
        assert translation_entry(bad) is None, bad


def test_a_refusal_suggests_the_pair_and_the_smallest_multilingual_model() -> None:
    assert suggest_downloads("en", "de") == (
        "`vt models download opus-mt-en-de` (≈ 155 MB) or "
        "`vt models download m2m100-418m` (≈ 483 MB)"
    )
    assert suggest_downloads("pt-BR", "zh-Hant").startswith("`vt models download opus-mt-pt-zh`")
    assert suggest_downloads("en", "haw").endswith("`vt models download madlad400-3b` (≈ 3.0 GB)")
