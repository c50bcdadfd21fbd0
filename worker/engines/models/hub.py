"""Fetch a model repository from the Hugging Face Hub into the cache: pinned, checked, resumable.

One download:

1. asks the Hub which commit the revision is (``/api/models/{repo}/revision/{rev}``) and lists
   that commit's files (``/api/models/{repo}/tree/{commit}``), keeping those the model needs;
   a repo that lacks a required file is refused before anything is fetched;
2. fetches them with ``huggingface_hub.snapshot_download`` (the ``HF_ENDPOINT`` of the
   environment at call time) into ``<cache>/models/.partial/<kind>-<name>``; a connection
   dropped mid-file is resumed with a Range request by the library, and files already complete
   from an earlier, failed attempt are not fetched again;
3. checks every file against the Hub's listing (size, and the LFS sha256 or git blob sha1),
   writes ``vt-download.json`` (the manifest ``verify`` checks later) and renames the folder
   into place, so a model directory is either complete or absent.

A cancelled download removes its partial folder; a failed one keeps it for the next attempt.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worker.protocol.errors import RpcError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Checkpoint = Callable[[], None]

MANIFEST = "vt-download.json"
_COMMIT_MARK = ".vt-commit"
_TRUE = {"1", "true", "yes", "on"}
_HASH_CHUNK = 8 << 20


def hub_offline() -> bool:
    """True when the environment forbids network access to the Hub."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_endpoint() -> str | None:
    """The Hub (or mirror) to use: ``HF_ENDPOINT`` as the environment says now."""
    return os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or None


@dataclass(frozen=True)
class RepoSpec:
    """What to fetch: a repo at a revision, the files it needs and those it must have."""

    repo_id: str
    revision: str
    patterns: tuple[str, ...]
    required: tuple[str, ...]  # glob patterns, each matched by at least one file


@dataclass(frozen=True)
class RemoteFile:
    """One file of the commit as the Hub lists it."""

    path: str
    size: int
    sha256: str | None  # LFS files
    git_sha1: str | None  # regular files: the git blob id

    def as_json(self) -> dict[str, Any]:
        """The manifest's record of this file."""
        record: dict[str, Any] = {"size": self.size}
        if self.sha256:
            record["sha256"] = self.sha256
        elif self.git_sha1:
            record["git_sha1"] = self.git_sha1
        return record


def _matches(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def missing_required(paths: Sequence[str], required: Sequence[str]) -> list[str]:
    """The required patterns no path matches."""
    return [pattern for pattern in required if not any(_matches(p, [pattern]) for p in paths)]


def digest_mismatch(path: Path, record: Mapping[str, Any]) -> str | None:
    """The name of the hash in ``record`` that ``path`` fails ("sha256", "git blob id"), or
    None when it matches or ``record`` names no hash."""
    if "sha256" in record:
        digest, name, expected = hashlib.sha256(), "sha256", str(record["sha256"])
    elif "git_sha1" in record:
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(f"blob {path.stat().st_size}\0".encode())
        name, expected = "git blob id", str(record["git_sha1"])
    else:
        return None
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return name if digest.hexdigest() != expected else None


def file_problems(directory: Path, files: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What differs between ``directory`` and the Hub's record of its files (empty: intact)."""
    problems: list[str] = []
    for name, record in files.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        size = path.stat().st_size
        if size != int(record.get("size", size)):
            problems.append(f"{name} is {size} bytes, expected {record['size']}")
            continue
        wrong = digest_mismatch(path, record)
        if wrong is not None:
            problems.append(f"{name} is damaged: its {wrong} differs from the Hub's")
    return problems


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The download manifest of a model directory, or None (not downloaded by this app)."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def manifest_problems(directory: Path) -> list[str]:
    """``file_problems`` against the directory's manifest; [] when it has none."""
    manifest = read_manifest(directory)
    if manifest is None:
        return []
    return file_problems(directory, manifest["files"])


class _Sink:
    """Where the progress bars draw: nowhere (a worker has no terminal)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _progress_bar_class(
    progress: Progress | None, checkpoint: Checkpoint | None, total: int
) -> type[Any]:
    """A tqdm subclass that reports byte progress and stops the download on cancel.

    ``snapshot_download`` feeds every file's bytes into two byte bars (bytes received and
    bytes written); the larger share of ``total`` is reported, never going backwards.
    """
    from tqdm.std import tqdm  # type: ignore[import-untyped]

    best = [0.0]
    lock = threading.Lock()  # files download on several threads into the same bars

    class _ReportingBar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["file"] = _Sink()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if checkpoint is not None:
                checkpoint()
            with lock:
                result: bool | None = super().update(n)
                if progress is None or self.unit != "B" or total <= 0:
                    return result
                fraction = min(1.0, self.n / total)
                if fraction <= best[0]:
                    return result
                best[0] = fraction
                done = self.n
            progress(fraction, f"downloading {done / 1e6:.1f} of {total / 1e6:.1f} MB")
            return result

    return _ReportingBar


def list_remote_files(spec: RepoSpec, endpoint: str | None) -> tuple[str, list[RemoteFile]]:
    """The commit ``spec.revision`` names and its files that match ``spec.patterns``.

    Raises:
        ConnectionError: the Hub cannot be reached, has no such repo or revision, or the
            repo lacks a required file (each in plain words).
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=endpoint)
    where = f"{spec.repo_id} at {spec.revision}"
    try:
        commit = api.repo_info(spec.repo_id, revision=spec.revision).sha
        if not commit:
            raise ConnectionError(f"the Hub named no commit for {where}")
        tree = list(api.list_repo_tree(spec.repo_id, revision=commit, recursive=True))
    except RevisionNotFoundError:
        raise ConnectionError(f"{spec.repo_id} has no revision {spec.revision}") from None
    except RepositoryNotFoundError:
        raise ConnectionError(f"{spec.repo_id} is not on the Hub (or is private)") from None
    except ConnectionError:
        raise
    except Exception as exc:  # httpx, TLS, HTTP status errors: all mean "not listed"
        raise ConnectionError(f"cannot list {where} on the Hub: {exc}") from None
    files = [
        RemoteFile(
            path=f.path,
            size=int(f.size),
            sha256=f.lfs.sha256 if f.lfs is not None else None,
            git_sha1=None if f.lfs is not None else f.blob_id,
        )
        for f in tree
        if isinstance(f, RepoFile) and _matches(f.path, spec.patterns)
    ]
    missing = missing_required([f.path for f in files], spec.required)
    if missing:
        raise ConnectionError(
            f"{where} lacks {', '.join(missing)}: it is not a usable model; nothing was fetched"
        )
    return commit, files


def download_snapshot(
    spec: RepoSpec,
    dest: Path,
    partial: Path,
    *,
    extra_files: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Download ``spec`` into ``dest`` (which must not exist yet) through ``partial``.

    ``extra_files`` (name → text) are written beside the model before it is moved into place.

    Returns:
        The manifest written to ``dest / MANIFEST``.

    Raises:
        ConnectionError: the Hub cannot be reached, refused, or sent a damaged file.
        Cancelled: ``checkpoint`` raised it during the download (``partial`` is removed).
        OSError: the cache cannot be written.
    """
    import huggingface_hub

    endpoint = hub_endpoint()
    commit, files = list_remote_files(spec, endpoint)
    _reset_if_other_commit(partial, commit)
    records = {f.path: f.as_json() for f in files}
    manifest: dict[str, Any] = {
        "repo_id": spec.repo_id,
        "revision": spec.revision,
        "commit": commit,
        "files": records,
    }
    todo = sum(
        f.size
        for f in files
        if not ((partial / f.path).is_file() and (partial / f.path).stat().st_size == f.size)
    )
    log.info("downloading %s (%s, %.1f MB) into %s", spec.repo_id, commit, todo / 1e6, dest)
    try:
        huggingface_hub.snapshot_download(
            spec.repo_id,
            revision=commit,
            local_dir=str(partial),
            allow_patterns=[f.path for f in files],
            tqdm_class=_progress_bar_class(progress, checkpoint, todo),
            etag_timeout=15,
            endpoint=endpoint,
        )
    except RpcError:
        shutil.rmtree(partial, ignore_errors=True)  # cancelled: keep nothing
        with contextlib.suppress(OSError):
            partial.parent.rmdir()
        raise
    except Exception as exc:  # httpx, TLS and HTTP errors all mean "not fetched"
        raise ConnectionError(f"cannot fetch {spec.repo_id} from the Hub: {exc}") from None
    damaged = file_problems(partial, records)
    if damaged:
        for name in records:
            (partial / name).unlink(missing_ok=True)  # fetched afresh next time
        raise ConnectionError(f"{spec.repo_id} arrived damaged: {'; '.join(damaged)}")
    for name, text in (extra_files or {}).items():
        (partial / name).write_text(text, encoding="utf-8")
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.rmtree(partial / ".cache", ignore_errors=True)
    (partial / _COMMIT_MARK).unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.rename(partial, dest)
    with contextlib.suppress(OSError):
        partial.parent.rmdir()  # the .partial folder, once no other download uses it
    log.info("model %s downloaded into %s", spec.repo_id, dest)
    return manifest


def _reset_if_other_commit(partial: Path, commit: str) -> None:
    """Start ``partial`` afresh unless it holds files of the same commit."""
    mark = partial / _COMMIT_MARK
    if partial.exists():
        try:
            same = mark.read_text(encoding="utf-8").strip() == commit
        except OSError:
            same = False
        if not same:
            shutil.rmtree(partial, ignore_errors=True)
        else:
            log.info("resuming the download in %s", partial)
    partial.mkdir(parents=True, exist_ok=True)
    mark.write_text(commit, encoding="utf-8")
