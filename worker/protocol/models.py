"""Declarations of the ``models`` service: list, download, verify and delete speech models.

Models live in the worker's model cache or ship in installed packages; a name is a catalogue
name (``base``, ``large-v3``), a Hugging Face repo id (``owner/repo``) or a local directory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worker.protocol.asr import ModelName
from worker.protocol.methods import Method

#: Where a model's files are: the worker's cache, an installed package, a directory the user
#: named, or nowhere yet (only downloadable).
ModelLocation = Literal["cache", "package", "directory", "remote"]


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
