"""Translation models fetched by name from a Hub test server with the worker's real download
code (``huggingface_hub.snapshot_download`` over HTTP), then used by the mt service."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece

from tests.models.conftest import REPO_EXTRAS, opus_repo
from tests.models.hub_server import HubRepo, HubServer
from worker.catalogue.translation import MULTILINGUAL, translation_entry
from worker.engines.models.translation import TranslationModelManager
from worker.engines.mt.ct2 import Ct2Engine, inspect_model_dir
from worker.protocol.errors import Cancelled, ModelUnavailable
from worker.protocol.mt import TRANSLATE, TranslateParams
from worker.services.base import CallContext, WorkerInfo, set_current_call
from worker.services.mt_service import MtService

SENTENCE = "Ask what you can do for your country."
MODEL_FILES = ["config.json", "model.bin", "shared_vocabulary.json", "source.spm", "target.spm"]


def manager(tmp_path: Path) -> TranslationModelManager:
    return TranslationModelManager.for_worker_cache(str(tmp_path))


def leftovers(tmp_path: Path) -> list[str]:
    """Everything under the cache's models folder, as relative paths."""
    root = tmp_path / "models"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def direct_translation(
    folder: Path, spm_file: str, pieces: list[str], prefix: list[str] | None
) -> str:
    """What the model itself answers for ``pieces``, read with ctranslate2 directly."""
    translator = ctranslate2.Translator(str(folder), device="cpu")
    result = translator.translate_batch(
        [pieces],
        target_prefix=[prefix] if prefix else None,
        beam_size=1,
        max_decoding_length=8,
    )
    tokens = [t for t in result[0].hypotheses[0] if t not in ("</s>", "<s>", "<pad>")]
    tokens = [t for t in tokens if not re.fullmatch(r"__[a-z]+__|<2[a-z]+>", t)]
    spm = sentencepiece.SentencePieceProcessor(model_file=str(folder / spm_file))
    return str(spm.decode(tokens)).strip()


async def translate(cache_dir: Path, model: str, source: str, target: str):
    set_current_call(CallContext(call_id="call-1", method=TRANSLATE.name, job_id="job-1"))
    info = WorkerInfo(worker_id="t", config_dir=str(cache_dir), cache_dir=str(cache_dir))
    service = MtService(
        MtService.Settings(ct2_max_decoding_length=8, ct2_beam_size=1, cache_file=False), info
    )
    try:
        return await service.translate(
            TranslateParams(
                engine="ct2",
                model=model,
                source_lang=source,
                target_lang=target,
                sentences=[SENTENCE],
            )
        )
    finally:
        await service.stop()


async def test_an_opus_mt_pair_downloads_with_progress_and_translates(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    repo = hub.add(opus_repo(marian_dir))
    reports: list[tuple[float, str]] = []

    info, fetched = manager(tmp_path).download(
        "opus-mt-en-de", progress=lambda f, m: reports.append((f, m))
    )

    folder = tmp_path / "models" / "ct2" / "opus-mt-en-de"
    assert fetched and info.installed and info.path == str(folder)
    assert (info.kind, info.family, info.licence) == ("translation", "marian", "CC-BY-4.0")
    assert info.languages == ["en", "de"] and info.revision == repo.commit
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*MODEL_FILES, "vt-download.json", "vt-mt.json"]
    ), "only the files the model needs, plus the manifest and the ct2 sidecar"
    assert sorted(hub.file_gets()) == MODEL_FILES, "README, pytorch_model.bin… never fetched"
    for name in MODEL_FILES:
        assert (folder / name).read_bytes() == repo.files[name]
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and len(fractions) >= 2
    assert fractions[-1] == 1.0
    assert reports[-1][1].startswith("downloading 0.5 of 0.5 MB")
    assert json.loads((folder / "vt-mt.json").read_text()) == {
        "family": "marian",
        "sources": ["en"],
        "targets": ["de"],
    }
    assert leftovers(tmp_path) == sorted(
        ["ct2", "ct2/opus-mt-en-de", *(f"ct2/opus-mt-en-de/{p.name}" for p in folder.iterdir())]
    ), "no partial folder is left behind"

    result = await translate(tmp_path, "", "en", "de")
    assert (result.engine, result.model) == ("ct2", "opus-mt-en-de")
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(marian_dir / "source.spm"))
    expected = direct_translation(
        marian_dir, "target.spm", [*pieces.encode(SENTENCE, out_type=str), "</s>"], None
    )
    assert result.translations == [expected], "the downloaded model's own output"
    assert expected and expected != SENTENCE


async def test_opus_mt_en_zh_is_pinned_and_sends_its_target_token_first(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    entry = translation_entry("opus-mt-en-zh")
    assert entry is not None and entry.pinned
    built = opus_repo(marian_dir, "en-zh")
    hub.add(HubRepo(built.repo_id, built.files, commit=entry.revision, branches=()))

    manager(tmp_path).download("opus-mt-en-zh")
    result = await translate(tmp_path, "opus-mt-en-zh", "en", "zh")

    folder = tmp_path / "models" / "ct2" / "opus-mt-en-zh"
    assert json.loads((folder / "vt-mt.json").read_text())["source_prefix"] == [">>cmn_Hans<<"]
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(marian_dir / "source.spm"))
    source = [">>cmn_Hans<<", *pieces.encode(SENTENCE, out_type=str), "</s>"]
    engine = Ct2Engine(inspect_model_dir(folder))
    assert engine.source_tokens(pieces, SENTENCE, "en", "zh") == source
    assert result.translations == [direct_translation(marian_dir, "target.spm", source, None)]


async def test_m2m100_downloads_at_its_pinned_commit_and_translates(
    hub: HubServer, m2m100_dir: Path, tmp_path: Path
) -> None:
    pinned = MULTILINGUAL["m2m100-418m"]
    assert pinned.pinned, "the catalogue pins M2M100 418M to a commit"
    built = HubRepo.from_folder(pinned.repo_id, m2m100_dir, **REPO_EXTRAS)
    hub.add(HubRepo(pinned.repo_id, built.files, commit=pinned.revision, branches=()))
    info, fetched = manager(tmp_path).download("m2m100-418m")

    assert fetched and info.revision == pinned.revision and info.licence == "MIT"
    asked = [r.path for r in hub.requests if r.path.startswith("/api/")]
    assert asked[0] == f"/api/models/{pinned.repo_id}/revision/{pinned.revision}"
    assert all(pinned.revision in r.path for r in hub.requests)
    result = await translate(tmp_path, "m2m100-418m", "en", "pt")
    pieces = sentencepiece.SentencePieceProcessor(
        model_file=str(m2m100_dir / "sentencepiece.bpe.model")
    )
    source = ["__en__", *pieces.encode(SENTENCE, out_type=str), "</s>"]
    expected = direct_translation(m2m100_dir, "sentencepiece.bpe.model", source, ["__pt__"])
    assert result.translations == [expected]


async def test_madlad_downloads_and_names_the_target_in_the_source(
    hub: HubServer, madlad_dir: Path, tmp_path: Path
) -> None:
    pinned = MULTILINGUAL["madlad400-3b"]
    built = HubRepo.from_folder(pinned.repo_id, madlad_dir, **REPO_EXTRAS)
    hub.add(HubRepo(pinned.repo_id, built.files, commit=pinned.revision, branches=()))

    info, fetched = manager(tmp_path).download("madlad400-3b")

    assert fetched and (info.family, info.licence) == ("madlad", "Apache-2.0")
    folder = tmp_path / "models" / "ct2" / "madlad400-3b"
    assert (folder / "spiece.model").read_bytes() == built.files["spiece.model"]
    result = await translate(tmp_path, "madlad400-3b", "en", "de")
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(madlad_dir / "spiece.model"))
    source = ["<2de>", *pieces.encode(SENTENCE, out_type=str), "</s>"]
    assert result.translations == [direct_translation(madlad_dir, "spiece.model", source, None)]


async def test_a_running_mt_service_sees_a_model_downloaded_or_deleted_meanwhile(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))
    info = WorkerInfo(worker_id="t", config_dir=str(tmp_path), cache_dir=str(tmp_path))
    service = MtService(MtService.Settings(cache_file=False), info)

    def ct2_models() -> list[str]:
        return next(e for e in service.engine_languages() if e.engine == "ct2").models

    assert ct2_models() == []
    manager(tmp_path).download("opus-mt-en-de")
    assert ct2_models() == ["opus-mt-en-de"]
    manager(tmp_path).delete("opus-mt-en-de")
    assert ct2_models() == []
    await service.stop()


def test_cancel_leaves_nothing_in_the_cache(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))
    started: list[float] = []

    def checkpoint() -> None:
        if started:
            raise Cancelled("call call-1 cancelled")

    with pytest.raises(Cancelled):
        manager(tmp_path).download(
            "opus-mt-en-de", progress=lambda f, _m: started.append(f), checkpoint=checkpoint
        )
    assert started, "the download had begun"
    assert not [p for p in leftovers(tmp_path) if "opus-mt" in p], leftovers(tmp_path)
    assert not manager(tmp_path).verify("opus-mt-en-de").ok


def test_a_connection_dropped_mid_file_is_retried_within_the_same_download(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    """A file under huggingface_hub's 10 MiB write chunk is fetched again whole (the Range
    resume of a big file is in test_whisper_downloads)."""
    repo = hub.add(opus_repo(marian_dir))
    hub.drop_once["source.spm"] = 100_000

    manager(tmp_path).download("opus-mt-en-de")

    assert len(hub.gets("source.spm")) == 2
    folder = tmp_path / "models" / "ct2" / "opus-mt-en-de"
    assert (folder / "source.spm").read_bytes() == repo.files["source.spm"]
    assert manager(tmp_path).verify("opus-mt-en-de").ok


def test_a_failed_download_resumes_without_fetching_finished_files_again(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))
    hub.fail_next["model.bin"] = [500]

    with pytest.raises(ModelUnavailable) as failed:
        manager(tmp_path).download("opus-mt-en-de")

    assert failed.value.message.startswith("cannot download opus-mt-en-de: cannot fetch gaudi/")
    assert not (tmp_path / "models" / "ct2" / "opus-mt-en-de").exists()
    assert not manager(tmp_path).list_models()[0].installed
    first = sorted(hub.file_gets())
    assert first == MODEL_FILES, "each file was asked for once"
    hub.requests.clear()

    info, fetched = manager(tmp_path).download("opus-mt-en-de")

    assert fetched and info.installed
    assert hub.file_gets() == ["model.bin"], "finished files are kept for the next attempt"
    assert manager(tmp_path).verify("opus-mt-en-de").ok


def test_verify_finds_a_damaged_or_cut_file_and_delete_removes_the_model(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))
    models = manager(tmp_path)
    models.download("opus-mt-en-de")
    folder = tmp_path / "models" / "ct2" / "opus-mt-en-de"
    assert models.verify("opus-mt-en-de", load=True).ok

    data = bytearray((folder / "model.bin").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.bin").write_bytes(bytes(data))
    (folder / "target.spm").write_bytes((folder / "target.spm").read_bytes()[:1000])
    result = models.verify("opus-mt-en-de")

    assert not result.ok
    assert result.problems == [
        "model.bin is damaged: its sha256 differs from the Hub's",
        f"target.spm is 1000 bytes, expected {(marian_dir / 'target.spm').stat().st_size}",
    ]
    gone = models.delete("opus-mt-en-de")
    assert gone.deleted and gone.freed_bytes > 0 and not folder.exists()
    listed = {m.name: m for m in models.list_models()}
    assert not listed["opus-mt-en-de"].installed
    assert models.delete("opus-mt-en-de").deleted is False


def test_a_file_damaged_in_transit_is_refused_and_nothing_is_installed(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))
    hub.corrupt.add("source.spm")

    with pytest.raises(ModelUnavailable) as refused:
        manager(tmp_path).download("opus-mt-en-de")

    assert refused.value.message == (
        "cannot download opus-mt-en-de: gaudi/opus-mt-en-de-ctranslate2 arrived damaged: "
        "source.spm is damaged: its sha256 differs from the Hub's"
    )
    assert not (tmp_path / "models" / "ct2" / "opus-mt-en-de").exists()


def test_a_repo_without_a_model_is_refused_before_anything_is_fetched(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    broken = opus_repo(marian_dir, "en-tl")
    del broken.files["model.bin"]  # as gaudi/opus-mt-en-tl-ctranslate2 is reported to be
    hub.add(broken)

    with pytest.raises(ModelUnavailable) as refused:
        manager(tmp_path).download("opus-mt-en-tl")

    assert refused.value.message == (
        "cannot download opus-mt-en-tl: gaudi/opus-mt-en-tl-ctranslate2 at main lacks "
        "model.bin: it is not a usable model; nothing was fetched"
    )
    assert hub.file_gets() == []


def test_unknown_names_and_repos_missing_on_the_hub_are_named(
    hub: HubServer, tmp_path: Path
) -> None:
    with pytest.raises(ModelUnavailable) as unknown:
        manager(tmp_path).download("m2m100-9000")
    assert unknown.value.message == (
        "unknown translation model 'm2m100-9000': use m2m100-418m, m2m100-1.2b, "
        "madlad400-3b, nllb-200-600m or opus-mt-<source>-<target> (e.g. opus-mt-en-de)"
    )
    with pytest.raises(ModelUnavailable) as absent:
        manager(tmp_path).download("opus-mt-xx-yy")
    assert absent.value.message == (
        "cannot download opus-mt-xx-yy: gaudi/opus-mt-xx-yy-ctranslate2 is not on the Hub "
        "(or is private)"
    )
