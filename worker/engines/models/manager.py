"""The model manager: find a Whisper model locally first, fetch only what is found nowhere.

Resolution order for a name: a directory the user named; the worker's model cache; a model an
installed package ships (assembled into the cache once when it comes in parts); and only then
the Hugging Face Hub. Delete only ever touches the cache.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from worker.catalogue.speech import CATALOGUE, ModelRef, parse_model_name
from worker.engines.models.hub import (
    Checkpoint,
    Progress,
    RepoSpec,
    download_snapshot,
    hub_offline,
    manifest_problems,
    read_manifest,
)
from worker.engines.models.model_files import (
    DOWNLOAD_PATTERNS,
    REQUIRED_FILES,
    directory_size,
    missing_files,
)
from worker.engines.models.packaged import PackagedModel, assemble, is_assembled, packaged_models
from worker.protocol.errors import ModelUnavailable, ServiceError
from worker.protocol.models import DeleteModelResult, ModelInfo, VerifyModelResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: its canonical name, directory, and where that is."""

    name: str
    path: Path
    location: Literal["cache", "package", "directory"]
    fetched: bool = False  # this resolution downloaded or assembled it


class ModelManager:
    """Finds, fetches, lists, verifies and deletes Whisper models under one cache directory.

    Thread-safe: two calls resolving the same model wait for one another, and the on-disk
    steps are atomic renames, so several worker processes may share one cache.
    """

    def __init__(self, cache_root: Path, *, allow_download: bool = True) -> None:
        self.cache_root = cache_root
        self.allow_download = allow_download
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @classmethod
    def for_worker_cache(cls, cache_dir: str, *, allow_download: bool = True) -> ModelManager:
        """The manager of the Whisper models under a worker's cache directory."""
        return cls(Path(cache_dir) / "models" / "whisper", allow_download=allow_download)

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @staticmethod
    def _parse(name: str) -> ModelRef:
        try:
            return parse_model_name(name)
        except ValueError as exc:
            raise ModelUnavailable(str(exc)) from None

    def resolve(
        self,
        name: str,
        *,
        download: bool = True,
        repair: bool = True,
        progress: Progress | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ResolvedModel:
        """The local directory of model ``name``, assembling or downloading it if needed.

        ``download=False`` never fetches; ``repair=False`` neither assembles a packaged model
        nor replaces a damaged assembly (for read-only checks).

        Raises:
            ModelUnavailable: unknown name, broken directory, or not found locally and
                cannot (or may not) be downloaded; the message lists the models present.
            Cancelled: ``checkpoint`` raised it during a download.
        """
        ref = self._parse(name)
        if ref.kind == "directory":
            return ResolvedModel(ref.name, self._check_user_directory(Path(ref.name)), "directory")
        cache_key = ref.cache_key or ref.name
        with self._lock_for(cache_key):
            cached = self.cache_root / cache_key
            packaged = packaged_models().get(ref.name) if ref.kind == "catalogue" else None
            damaged = (
                packaged is not None and packaged.is_split and not is_assembled(packaged, cached)
            )
            if not missing_files(cached) and (not damaged or not repair):
                return ResolvedModel(ref.name, cached, "cache")
            if packaged is not None and packaged.is_split and not repair:
                raise ModelUnavailable(
                    f"{ref.name} ships in {packaged.package} and is assembled into the cache "
                    "on first use; it is not assembled yet"
                )
            if packaged is not None:
                return self._use_packaged(packaged, cached)
            if not download:
                raise ModelUnavailable(f"model {ref.name} is not installed; {self._present()}")
            self._download(ref, cached, progress, checkpoint)
            return ResolvedModel(ref.name, cached, "cache", fetched=True)

    @staticmethod
    def _check_user_directory(path: Path) -> Path:
        if not path.is_dir():
            raise ModelUnavailable(f"model directory {path} does not exist")
        missing = missing_files(path)
        if missing:
            raise ModelUnavailable(
                f"{path} is not a faster-whisper model directory: it lacks {', '.join(missing)}"
            )
        return path

    def _use_packaged(self, packaged: PackagedModel, cached: Path) -> ResolvedModel:
        if packaged.directory is not None:
            return ResolvedModel(packaged.name, packaged.directory, "package")
        try:
            assembled = assemble(packaged, cached)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"cannot assemble {packaged.name} from {packaged.package} into {cached}: {exc}"
            ) from None
        return ResolvedModel(packaged.name, cached, "cache", fetched=assembled)

    def _download(
        self, ref: ModelRef, dest: Path, progress: Progress | None, checkpoint: Checkpoint | None
    ) -> None:
        repo_id = ref.entry.repo_id if ref.entry is not None else ref.name
        if not self.allow_download:
            raise ModelUnavailable(
                f"model {ref.name} is not installed and this worker may not download models; "
                f"{self._present()}"
            )
        if hub_offline():
            raise ModelUnavailable(
                f"offline: cannot download {ref.name} ({repo_id}); {self._present()}"
            )
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)  # incomplete: required files missing
        spec = RepoSpec(
            repo_id=repo_id,
            revision=ref.entry.revision if ref.entry is not None else "main",
            patterns=tuple(DOWNLOAD_PATTERNS),
            required=(*REQUIRED_FILES, "vocabulary.*"),
        )
        partial = self.cache_root.parent / ".partial" / f"{self.cache_root.name}-{dest.name}"
        try:
            download_snapshot(spec, dest, partial, progress=progress, checkpoint=checkpoint)
        except ConnectionError as exc:
            raise ModelUnavailable(
                f"cannot download {ref.name}: {exc}; {self._present()}"
            ) from None
        except OSError as exc:
            if not missing_files(dest):
                return  # another process finished the same download first
            raise ModelUnavailable(
                f"cannot write the model cache {self.cache_root}: {exc}"
            ) from None

    def _present(self) -> str:
        names = self.installed_names()
        return f"models present: {', '.join(names)}" if names else "no model is installed"

    def installed_names(self) -> list[str]:
        """Names of the models usable now without network (cheap: no assembly)."""
        return [info.name for info in self.list_models() if info.installed]

    def list_models(self) -> list[ModelInfo]:
        """Installed models (cache, then packages) followed by the known, not installed ones."""
        infos: dict[str, ModelInfo] = {}
        packaged = packaged_models()
        for directory in self._cache_entries():
            name = directory.name.replace("--", "/")
            entry, pm = CATALOGUE.get(name), packaged.get(name)
            infos[name] = ModelInfo(
                name=name,
                installed=True,
                location="cache",
                path=str(directory),
                size_bytes=directory_size(directory),
                download_mb=entry.download_mb if entry else None,
                multilingual=entry.multilingual if entry else None,
                source=pm.package if pm else (entry.repo_id if entry else name),
                deletable=True,
                licence=entry.licence if entry else None,
                attribution=entry.attribution if entry else None,
                revision=_manifest_commit(directory),
            )
        for name, pm in packaged.items():
            if name not in infos:
                infos[name] = _packaged_info(pm)
        for name, entry in CATALOGUE.items():
            if name not in infos:
                infos[name] = ModelInfo(
                    name=name,
                    installed=False,
                    location="remote",
                    download_mb=entry.download_mb,
                    multilingual=entry.multilingual,
                    source=entry.repo_id,
                    licence=entry.licence,
                    attribution=entry.attribution,
                    revision=entry.revision,
                )
        return list(infos.values())

    def _cache_entries(self) -> list[Path]:
        if not self.cache_root.is_dir():
            return []
        return sorted(
            d
            for d in self.cache_root.iterdir()
            if d.is_dir() and not d.name.startswith(".") and not missing_files(d)
        )

    def verify(self, name: str, *, load: bool = False) -> VerifyModelResult:
        """Check that model ``name`` is installed and complete; ``load`` also loads it.

        Read-only: never downloads, assembles or repairs.
        """
        try:
            resolved = self.resolve(name, download=False, repair=False)
        except ModelUnavailable as exc:
            return VerifyModelResult(name=name, ok=False, problems=[exc.message])
        problems = list(_file_problems(resolved.path))
        pm = packaged_models().get(resolved.name)
        bin_size = (resolved.path / "model.bin").stat().st_size
        split_copy = pm is not None and pm.is_split and resolved.location == "cache"
        if split_copy and pm is not None and pm.assembled_size != bin_size:
            problems.append(f"model.bin is {bin_size} bytes, expected {pm.assembled_size}")
        if load and not problems:
            problems.extend(_load_problems(resolved.path))
        return VerifyModelResult(
            name=resolved.name,
            ok=not problems,
            path=str(resolved.path),
            size_bytes=directory_size(resolved.path),
            problems=problems,
        )

    def delete(self, name: str) -> DeleteModelResult:
        """Delete model ``name`` from the cache (never a package's files or other paths).

        Raises:
            ServiceError: the model is not in the cache but somewhere that must not be touched.
            ModelUnavailable: the name is not a model name at all.
        """
        ref = self._parse(name)
        root = self.cache_root.resolve()
        if ref.kind == "directory":
            target = Path(ref.name).resolve()
            if target.parent != root:
                raise ServiceError(
                    f"refusing to delete {ref.name}: only models inside the model cache "
                    f"({root}) can be deleted"
                )
        else:
            target = root / (ref.cache_key or ref.name)
        if not target.is_dir() or target.is_symlink():
            pm = packaged_models().get(ref.name)
            if pm is not None and not pm.is_split:
                raise ServiceError(
                    f"{ref.name} is shipped in the package {pm.package}, not in the cache; "
                    "uninstall that package to remove it"
                )
            return DeleteModelResult(name=ref.name, deleted=False)
        with self._lock_for(target.name):
            freed = directory_size(target)
            trash = root / f".deleting-{target.name}-{uuid.uuid4().hex[:8]}"
            os.rename(target, trash)
            shutil.rmtree(trash, ignore_errors=True)
        log.info("deleted model %s from the cache (%d bytes)", ref.name, freed)
        return DeleteModelResult(name=ref.name, deleted=True, freed_bytes=freed)


def _packaged_info(pm: PackagedModel) -> ModelInfo:
    if pm.directory is not None:
        path, size = str(pm.directory), directory_size(pm.directory)
    else:
        path = None
        size = sum(p.stat().st_size for p in pm.side_files) + (pm.assembled_size or 0)
    entry = CATALOGUE.get(pm.name)
    return ModelInfo(
        name=pm.name,
        installed=True,
        location="package",
        path=path,
        size_bytes=size,
        download_mb=entry.download_mb if entry else None,
        multilingual=pm.multilingual,
        source=pm.package,
        deletable=False,
        licence=entry.licence if entry else None,
        attribution=entry.attribution if entry else None,
    )


def _manifest_commit(directory: Path) -> str | None:
    manifest = read_manifest(directory)
    return str(manifest["commit"]) if manifest and manifest.get("commit") else None


def _file_problems(path: Path) -> list[str]:
    problems = [f"{name} is missing" for name in missing_files(path)]
    problems += [p for p in manifest_problems(path) if p not in problems]
    model_bin = path / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size < 1 << 20:
        problems.append(f"model.bin is only {model_bin.stat().st_size} bytes")
    return problems


def _load_problems(path: Path) -> list[str]:
    import ctranslate2

    try:
        ctranslate2.models.Whisper(str(path), device="cpu", compute_type="int8", intra_threads=1)
    except Exception as exc:  # any loader failure means "does not load"; say why
        return [f"model.bin does not load: {exc}"]
    return []
