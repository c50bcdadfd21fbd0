"""The Whisper models a worker can fetch by name: repo, size, licence, and how a name is read.

Pure data the app and the workers share (no engine, no I/O). Translation models have their own
catalogue (``worker.catalogue.translation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class CatalogueEntry:
    """A named faster-whisper (CTranslate2) model on the Hugging Face Hub."""

    repo_id: str
    download_mb: int
    multilingual: bool
    revision: str = "main"  # a commit where code users pinned one, else the branch
    licence: str = "MIT"  # SPDX; Whisper's weights and every conversion listed are MIT

    @property
    def attribution(self) -> str:
        """Who made the model, for Help → About."""
        if "distil" in self.repo_id:
            return "Distil-Whisper by Hugging Face, MIT; CTranslate2 conversion " + self.repo_id
        return "Whisper by OpenAI, MIT; CTranslate2 conversion " + self.repo_id


#: Name → where to fetch it. Sizes are the approximate ``model.bin`` download (float16).
#: Commits are those public code pins (resolved from the Hub's ``/revision/main``); the rest
#: follow ``main``.
CATALOGUE: dict[str, CatalogueEntry] = {
    "tiny.en": CatalogueEntry("Systran/faster-whisper-tiny.en", 75, False),
    "tiny": CatalogueEntry(
        "Systran/faster-whisper-tiny",
        75,
        True,
        "d90ca5fe260221311c53c58e660288d3deb8d356",
    ),
    "base.en": CatalogueEntry("Systran/faster-whisper-base.en", 145, False),
    "base": CatalogueEntry(
        "Systran/faster-whisper-base",
        145,
        True,
        "ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
    ),
    "small.en": CatalogueEntry("Systran/faster-whisper-small.en", 484, False),
    "small": CatalogueEntry(
        "Systran/faster-whisper-small",
        484,
        True,
        "536b0662742c02347bc0e980a01041f333bce120",
    ),
    "medium.en": CatalogueEntry("Systran/faster-whisper-medium.en", 1528, False),
    "medium": CatalogueEntry(
        "Systran/faster-whisper-medium",
        1528,
        True,
        "08e178d48790749d25932bbc082711ddcfdfbc4f",
    ),
    "large-v1": CatalogueEntry("Systran/faster-whisper-large-v1", 3087, True),
    "large-v2": CatalogueEntry("Systran/faster-whisper-large-v2", 3087, True),
    "large-v3": CatalogueEntry(
        "Systran/faster-whisper-large-v3",
        3087,
        True,
        "edaa852ec7e145841d8ffdb056a99866b5f0a478",
    ),
    "large-v3-turbo": CatalogueEntry(
        "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
        1618,
        True,
        "0a363e9161cbc7ed1431c9597a8ceaf0c4f78fcf",
    ),
    "distil-small.en": CatalogueEntry("Systran/faster-distil-whisper-small.en", 332, False),
    "distil-medium.en": CatalogueEntry("Systran/faster-distil-whisper-medium.en", 789, False),
    "distil-large-v3": CatalogueEntry("Systran/faster-distil-whisper-large-v3", 1512, True),
}

#: Other spellings users type, mapped to catalogue names.
ALIASES: dict[str, str] = {"large": "large-v3", "turbo": "large-v3-turbo"}

_CATALOGUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")

RefKind = Literal["catalogue", "repo", "directory"]


@dataclass(frozen=True)
class ModelRef:
    """A parsed model name: what kind it is and its name inside the cache."""

    name: str
    kind: RefKind
    cache_key: str | None  # directory name in the cache; None for user directories
    entry: CatalogueEntry | None = None


def parse_model_name(name: str) -> ModelRef:
    """Tell a catalogue name, a Hub repo id and a local directory apart.

    A path is absolute, or starts with ``~``, ``./`` or ``../``; ``owner/repo`` is a Hub repo
    id; anything else must be a catalogue name.

    Raises:
        ValueError: the name is none of those (the message lists the known names).
    """
    name = name.strip()
    if name.startswith(("~", "./", "../", ".\\", "..\\")) or Path(name).is_absolute():
        return ModelRef(name=str(Path(name).expanduser()), kind="directory", cache_key=None)
    if _REPO_ID.match(name) and ".." not in name:
        return ModelRef(name=name, kind="repo", cache_key=name.replace("/", "--"))
    canonical = ALIASES.get(name, name)
    entry = CATALOGUE.get(canonical)
    if entry is None or not _CATALOGUE_NAME.match(canonical):
        known = ", ".join(CATALOGUE)
        raise ValueError(
            f"unknown model {name!r}: use one of {known}, a Hugging Face repo id "
            "(owner/name), or the absolute path of a model directory"
        )
    return ModelRef(name=canonical, kind="catalogue", cache_key=canonical, entry=entry)
