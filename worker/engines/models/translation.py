"""The translation-model manager: CTranslate2 models fetched by catalogue name into
``<cache_dir>/models/ct2``, the folder the ``mt`` service's ct2 engine reads.

Downloads go through the same Hub path as Whisper models (``hub.download_snapshot``: pinned
revision, only the needed files, progress, cancel, resume, checked against the Hub's hashes).
A downloaded model carries ``vt-mt.json`` (its family, and a Marian model's pair) for the ct2
engine and ``vt-download.json`` (the Hub's record of its files) for ``verify``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path

from worker.catalogue.translation import (
    TranslationEntry,
    listed_translation_entries,
    translation_entry,
    translation_names_hint,
)
from worker.engines.models.hub import (
    Checkpoint,
    Progress,
    RepoSpec,
    download_snapshot,
    hub_offline,
    manifest_problems,
    missing_required,
    read_manifest,
)
from worker.engines.models.model_files import directory_size
from worker.protocol.errors import ModelUnavailable
from worker.protocol.models import DeleteModelResult, ModelInfo, VerifyModelResult

log = logging.getLogger(__name__)
SIDECAR = "vt-mt.json"  # the file ``worker.engines.mt.ct2`` reads


class TranslationModelManager:
    """Downloads, lists, verifies and deletes translation models under one cache folder."""

    def __init__(self, cache_root: Path, *, allow_download: bool = True) -> None:
        self.cache_root = cache_root
        self.allow_download = allow_download
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @classmethod
    def for_worker_cache(
        cls, cache_dir: str, *, allow_download: bool = True
    ) -> TranslationModelManager:
        """The manager of ``<cache_dir>/models/ct2``."""
        return cls(Path(cache_dir) / "models" / "ct2", allow_download=allow_download)

    @staticmethod
    def knows(name: str) -> bool:
        """True when ``name`` is a translation catalogue name."""
        return translation_entry(name) is not None

    @staticmethod
    def entry(name: str) -> TranslationEntry:
        """The catalogue entry of ``name``.

        Raises:
            ModelUnavailable: not a translation model name (the message lists the names).
        """
        found = translation_entry(name)
        if found is None:
            raise ModelUnavailable(
                f"unknown translation model {name!r}: use {translation_names_hint()}"
            )
        return found

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def path_of(self, entry: TranslationEntry) -> Path:
        """Where the model lives once installed."""
        return self.cache_root / entry.name

    def is_installed(self, entry: TranslationEntry) -> bool:
        """True when the model's folder holds every file it needs."""
        path = self.path_of(entry)
        if not path.is_dir():
            return False
        present = [p.name for p in path.iterdir() if p.is_file()]
        return not missing_required(present, entry.required)

    def download(
        self,
        name: str,
        *,
        progress: Progress | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> tuple[ModelInfo, bool]:
        """Install model ``name``; returns its listing and whether this call fetched it.

        Raises:
            ModelUnavailable: unknown name, offline, not allowed, or the download failed.
            Cancelled: ``checkpoint`` raised it (nothing is left in the cache).
        """
        entry = self.entry(name)
        with self._lock_for(entry.name):
            if self.is_installed(entry):
                return self.info(entry), False
            self._download(entry, progress, checkpoint)
            return self.info(entry), True

    def _download(
        self, entry: TranslationEntry, progress: Progress | None, checkpoint: Checkpoint | None
    ) -> None:
        if not self.allow_download:
            raise ModelUnavailable(
                f"translation model {entry.name} is not installed and this worker may not "
                "download models"
            )
        if hub_offline():
            raise ModelUnavailable(f"offline: cannot download {entry.name} ({entry.repo_id})")
        dest = self.path_of(entry)
        if dest.exists():  # incomplete: move aside, never delete in place
            self._discard(dest)
        spec = RepoSpec(entry.repo_id, entry.revision, entry.patterns, entry.required)
        partial = self.cache_root.parent / ".partial" / f"{self.cache_root.name}-{entry.name}"
        try:
            download_snapshot(
                spec,
                dest,
                partial,
                extra_files={SIDECAR: json.dumps(entry.sidecar())},
                progress=progress,
                checkpoint=checkpoint,
            )
        except ConnectionError as exc:
            raise ModelUnavailable(f"cannot download {entry.name}: {exc}") from None
        except OSError as exc:
            if self.is_installed(entry):
                return  # another process finished the same download first
            raise ModelUnavailable(
                f"cannot write the model cache {self.cache_root}: {exc}"
            ) from None

    def _discard(self, folder: Path) -> None:
        """Move ``folder`` out of the cache folder the ct2 engine scans, then remove it (a
        loader never finds a half-deleted model)."""
        trash = self.cache_root.parent / ".trash" / f"{folder.name}-{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
        with contextlib.suppress(OSError):
            trash.parent.rmdir()

    def info(self, entry: TranslationEntry) -> ModelInfo:
        """The listing of one catalogue model, installed or not."""
        installed = self.is_installed(entry)
        path = self.path_of(entry)
        manifest = read_manifest(path) if installed else None
        return ModelInfo(
            name=entry.name,
            installed=installed,
            location="cache" if installed else "remote",
            path=str(path) if installed else None,
            size_bytes=directory_size(path) if installed else None,
            download_mb=entry.download_mb,
            multilingual=entry.family != "marian",
            source=entry.repo_id,
            deletable=installed,
            kind="translation",
            licence=entry.licence,
            attribution=entry.attribution,
            non_commercial=entry.non_commercial,
            family=entry.family,
            languages=list(entry.languages),
            language_summary=entry.language_summary,
            revision=str(manifest["commit"]) if manifest else entry.revision,
        )

    def list_models(self) -> list[ModelInfo]:
        """Installed translation models first, then the listed ones not installed."""
        installed: list[ModelInfo] = []
        if self.cache_root.is_dir():
            for folder in sorted(self.cache_root.iterdir()):
                entry = translation_entry(folder.name)
                if entry is not None and folder.is_dir() and self.is_installed(entry):
                    installed.append(self.info(entry))
        names = {m.name for m in installed}
        remote = [self.info(e) for e in listed_translation_entries() if e.name not in names]
        return installed + [m for m in remote if not m.installed]

    def verify(self, name: str, *, load: bool = False) -> VerifyModelResult:
        """Check that model ``name`` is installed and intact (``load``: also loads it)."""
        entry = self.entry(name)
        path = self.path_of(entry)
        if not path.is_dir():
            return VerifyModelResult(
                name=entry.name, ok=False, problems=[f"{entry.name} is not installed"]
            )
        present = [p.name for p in path.iterdir() if p.is_file()]
        problems = [f"no file matches {p}" for p in missing_required(present, entry.required)]
        if read_manifest(path) is None:
            problems.append("vt-download.json is missing: download it again to verify it")
        problems += manifest_problems(path)
        if load and not problems:
            problems += _load_problems(path)
        return VerifyModelResult(
            name=entry.name,
            ok=not problems,
            path=str(path),
            size_bytes=directory_size(path),
            problems=problems,
        )

    def delete(self, name: str) -> DeleteModelResult:
        """Delete model ``name`` from the cache (never anything outside it)."""
        entry = self.entry(name)
        target = self.path_of(entry)
        if not target.is_dir() or target.is_symlink():
            return DeleteModelResult(name=entry.name, deleted=False)
        with self._lock_for(entry.name):
            freed = directory_size(target)
            self._discard(target)
        log.info("deleted translation model %s (%d bytes)", entry.name, freed)
        return DeleteModelResult(name=entry.name, deleted=True, freed_bytes=freed)


def _load_problems(path: Path) -> list[str]:
    import ctranslate2

    try:
        ctranslate2.Translator(str(path), device="cpu", compute_type="int8", intra_threads=1)
    except Exception as exc:  # any loader failure means "does not load"; say why
        return [f"model.bin does not load: {exc}"]
    return []
