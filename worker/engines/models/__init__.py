"""The model manager: Whisper models from the cache, installed packages, or the Hub."""

from worker.catalogue.speech import CATALOGUE, ModelRef, parse_model_name
from worker.engines.models.manager import ModelManager, ResolvedModel
from worker.engines.models.packaged import PackagedModel, packaged_models

__all__ = [
    "CATALOGUE",
    "ModelManager",
    "ModelRef",
    "PackagedModel",
    "ResolvedModel",
    "packaged_models",
    "parse_model_name",
]
