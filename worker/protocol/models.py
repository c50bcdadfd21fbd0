"""Declarations of the ``models`` service: list, download, verify and delete models.

Speech (Whisper) models live in the worker's model cache or ship in installed packages; a name
is a catalogue name (``base``, ``large-v3``), a Hugging Face repo id (``owner/repo``) or a
local directory. Translation (CTranslate2) models are named from their own catalogue
(``m2m100-418m``, ``opus-mt-en-de``…) and live in the cache's ``models/ct2`` folder, where the
``mt`` service's ct2 engine finds them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worker.protocol.asr import ModelName
from worker.protocol.methods import Method

#: Where a model's files are: the worker's cache, an installed package, a directory the user
#: named, or nowhere yet (only downloadable).
ModelLocation = Literal["cache", "package", "directory", "remote"]
#: What a model does: recognise speech, or translate text.
ModelKind = Literal["speech", "translation"]


class ModelInfo(BaseModel):
    """One model the worker knows about, installed or not."""

    name: str
    installed: bool
    location: ModelLocation
    path: str | None = None
    size_bytes: int | None = Field(default=None, description="bytes on disk when installed")
    download_mb: int | None = Field(default=None, description="approximate download size")
    multilingual: bool | None = None
    source: str | None = Field(default=None, description="repo id or package it comes from")
    deletable: bool = False
    kind: ModelKind = "speech"
    licence: str | None = Field(default=None, description="SPDX id, e.g. MIT, CC-BY-4.0")
    attribution: str | None = Field(default=None, description="who made it, for the credits")
    non_commercial: bool = Field(default=False, description="its licence forbids commerce")
    family: str | None = Field(default=None, description="marian, m2m100, nllb, madlad")
    languages: list[str] = Field(default_factory=list, description="wire codes it translates")
    language_summary: str | None = None
    revision: str | None = Field(default=None, description="Hub commit (or branch) fetched")


class ListModelsParams(BaseModel):
    """No params."""

    model_config = ConfigDict(extra="forbid")


class ListModelsResult(BaseModel):
    """Every installed and every known model, and where the cache is."""

    models: list[ModelInfo]
    cache_dir: str


class ModelRefParams(BaseModel):
    """Names one model."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ModelName


class DownloadModelResult(BaseModel):
    """The model now installed, and whether this call had to fetch or assemble it."""

    model: ModelInfo
    fetched: bool


class VerifyModelParams(ModelRefParams):
    """Check one installed model; ``load`` also loads it on the CPU (slower, thorough)."""

    load: bool = False


class VerifyModelResult(BaseModel):
    """Whether the model's files are complete (and load), and what is wrong if not."""

    name: str
    ok: bool
    path: str | None = None
    size_bytes: int | None = None
    problems: list[str] = Field(default_factory=list)


class DeleteModelResult(BaseModel):
    """What a delete removed from the cache."""

    name: str
    deleted: bool
    freed_bytes: int = 0


LIST_MODELS = Method("models.list", ListModelsParams, ListModelsResult)
DOWNLOAD_MODEL = Method("models.download", ModelRefParams, DownloadModelResult)
VERIFY_MODEL = Method("models.verify", VerifyModelParams, VerifyModelResult)
DELETE_MODEL = Method("models.delete", ModelRefParams, DeleteModelResult)
