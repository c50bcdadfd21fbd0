"""CTranslate2 NMT models in the Opus-MT, NLLB and M2M100 layouts, built tiny by the test."""

from __future__ import annotations

from pathlib import Path

import ctranslate2
import pytest
import sentencepiece

from tests.mt.tiny_ct2 import build_m2m100_like, build_marian_like, build_nllb_like
from worker.engines.mt.ct2 import Ct2Engine, Ct2Family, discover_models, inspect_model_dir
from worker.protocol.errors import InvalidParams, ModelUnavailable

SENTENCES = [
    "Ask what you can do for your country.",
    "The quick brown fox.",
    "Subtitles should be short.",
    "And so, my fellow Americans.",
    "Read on screen.",
]
DECODE = {"beam_size": 1, "max_decoding_length": 12}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("ct2")
    build_nllb_like(root / "nllb-tiny", ["eng_Latn", "por_Latn", "deu_Latn"])
    build_m2m100_like(root / "m2m100-tiny", ["en", "pt", "fr"])
    build_marian_like(root / "opus-mt-en-pt")
    build_marian_like(root / "marian-no-pair")
    build_marian_like(root / "my-marian", {"sources": ["pt"], "targets": ["es"]})
    return root


def make_engine(path: Path, max_batch_size: int = 16) -> Ct2Engine:
    return Ct2Engine(
        inspect_model_dir(path), beam_size=1, max_decoding_length=12, max_batch_size=max_batch_size
    )


def reference(path: Path, source_tokens: list[str], prefix: list[str] | None = None) -> list[str]:
    """What CTranslate2 itself outputs for these tokens (raw pieces)."""
    translator = ctranslate2.Translator(str(path))
    results = translator.translate_batch(
        [source_tokens], target_prefix=[prefix] if prefix else None, **DECODE
    )
    return list(results[0].hypotheses[0])


def words(sp: sentencepiece.SentencePieceProcessor, pieces: list[str]) -> str:
    """Text of output pieces, leaving out the special tokens a random model may emit."""
    return str(sp.decode([p for p in pieces if p not in {"<s>", "</s>", "<pad>", "<unk>"}])).strip()


def test_model_folder_discovery_reads_family_and_languages_without_loading(models, caplog):
    found = {info.name: info for info in discover_models([models])}

    assert found["nllb-tiny"].family is Ct2Family.NLLB
    assert set(found["nllb-tiny"].sources) == {"en", "pt", "de"}
    assert found["m2m100-tiny"].family is Ct2Family.M2M100
    assert set(found["m2m100-tiny"].targets) == {"en", "pt", "fr"}
    assert found["opus-mt-en-pt"].family is Ct2Family.MARIAN
    assert (found["opus-mt-en-pt"].sources, found["opus-mt-en-pt"].targets) == (("en",), ("pt",))
    assert (found["my-marian"].sources, found["my-marian"].targets) == (("pt",), ("es",))
    assert "marian-no-pair" not in found
    assert "opus-mt-<src>-<tgt>" in caplog.text


def test_a_folder_without_model_bin_is_not_a_model(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"no CTranslate2 model\.bin"):
        inspect_model_dir(tmp_path)


async def test_nllb_call_forces_the_target_language_token_and_strips_it(models):
    path = models / "nllb-tiny"
    engine = make_engine(path)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(path / "sentencepiece.bpe.model"))
    source = ["eng_Latn", *sp.encode(SENTENCES[0], out_type=str), "</s>"]

    result = await engine.translate_batch(SENTENCES[:1], "en", "pt-BR")

    raw = reference(path, source, ["por_Latn"])
    assert raw[0] == "por_Latn"
    assert result.translations == [words(sp, raw[1:])]
    assert "por_Latn" not in str(result.translations[0])
    assert engine.target_prefix("pt-BR") == ["por_Latn"]
    assert engine.source_tokens(sp, SENTENCES[0], "en") == source


async def test_m2m100_call_uses_double_underscore_language_tokens(models):
    path = models / "m2m100-tiny"
    engine = make_engine(path)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(path / "sentencepiece.bpe.model"))
    source = ["__en__", *sp.encode(SENTENCES[1], out_type=str), "</s>"]

    result = await engine.translate_batch(SENTENCES[1:2], "en", "fr")

    raw = reference(path, source, ["__fr__"])
    assert raw[0] == "__fr__"
    assert result.translations == [words(sp, raw[1:])]


async def test_marian_call_uses_source_and_target_spm_and_no_language_token(models):
    path = models / "opus-mt-en-pt"
    engine = make_engine(path)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(path / "target.spm"))
    source = [*sp.encode(SENTENCES[2], out_type=str), "</s>"]

    result = await engine.translate_batch(SENTENCES[2:3], "en", "pt")

    assert engine.target_prefix("pt") is None
    assert result.translations == [words(sp, reference(path, source))]


async def test_batches_larger_than_the_model_batch_keep_every_line_in_order(models):
    engine = make_engine(models / "nllb-tiny", max_batch_size=2)
    one_by_one = [
        (await engine.translate_batch([s], "en", "de")).translations[0] for s in SENTENCES
    ]

    result = await engine.translate_batch(SENTENCES, "en", "de")

    assert len(result.translations) == len(SENTENCES)
    assert result.translations == one_by_one


async def test_a_language_the_model_lacks_is_refused(models):
    engine = make_engine(models / "nllb-tiny")

    with pytest.raises(InvalidParams, match="cannot translate en → ja"):
        await engine.translate_batch(SENTENCES[:1], "en", "ja")


async def test_a_corrupt_model_file_is_reported_as_unavailable(models, tmp_path):
    broken = tmp_path / "opus-mt-en-pt"
    broken.mkdir()
    for item in (models / "opus-mt-en-pt").iterdir():
        (broken / item.name).write_bytes(item.read_bytes())
    (broken / "model.bin").write_bytes(b"not a model")
    engine = make_engine(broken)

    with pytest.raises(ModelUnavailable, match="cannot load CTranslate2 model opus-mt-en-pt"):
        await engine.translate_batch(SENTENCES[:1], "en", "pt")
