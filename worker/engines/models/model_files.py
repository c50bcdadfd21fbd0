"""The files a Whisper model directory holds, and which of a repository's files to fetch.

Which models exist (names, repos, sizes, licences) is ``worker.catalogue.speech``.
"""

from __future__ import annotations

from pathlib import Path

#: The files a faster-whisper model directory must hold (plus one vocabulary file).
REQUIRED_FILES: tuple[str, ...] = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY_FILES: tuple[str, ...] = ("vocabulary.txt", "vocabulary.json")
#: What to fetch from a model repository (nothing else: no PyTorch weights).
DOWNLOAD_PATTERNS: list[str] = [
    "config.json",
    "preprocessor_config.json",
    "model.bin",
    "tokenizer.json",
    "vocabulary.*",
]


def missing_files(directory: Path) -> list[str]:
    """The required model files that ``directory`` lacks (empty when complete)."""
    missing = [f for f in REQUIRED_FILES if not (directory / f).is_file()]
    if not any((directory / f).is_file() for f in VOCABULARY_FILES):
        missing.append("vocabulary.txt")
    return missing


def directory_size(directory: Path) -> int:
    """Total bytes of the regular files directly in ``directory``."""
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
