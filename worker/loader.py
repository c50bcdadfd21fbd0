"""Service auto-discovery, as the original backend did it.

Every ``*_service.py`` under ``worker/services/`` (built-in) and under the user's plugin
folder (third party) is imported, and each ``BaseService`` subclass it defines is registered
under its ``name``. On first discovery a TOML config file with the service's defaults is
written to ``<config_dir>/services/<name>.toml``; built-ins default to ``rpc_enabled = true``,
plugins to false. Only enabled services bind their queues.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import pkgutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import SecretStr, ValidationError

import worker.services
from worker.services.base import BaseService, ServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discovered:
    """A service class found on disk, its origin and its settings."""

    cls: type[BaseService]
    builtin: bool
    settings: ServiceSettings
    config_path: Path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_defaults(path: Path, settings: ServiceSettings) -> None:
    """Write a service's settings as flat TOML (``None`` values are left out)."""
    lines = [f"# Settings of the '{path.stem}' service. Edit and restart the worker.\n"]
    for key, value in settings.model_dump().items():
        if value is not None and not isinstance(value, dict | list):
            lines.append(f"{key} = {_toml_value(value)}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    # a temp name of this process's own: N workers started at once share the config dir
    tmp = path.with_suffix(f".toml.{os.getpid()}.tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)


def load_settings(cls: type[BaseService], builtin: bool, config_dir: Path) -> Discovered:
    """Read (or first create) the service's config file and validate it."""
    path = config_dir / "services" / f"{cls.name}.toml"
    if not path.exists():
        write_defaults(path, cls.Settings(rpc_enabled=builtin))
        log.info("service %s discovered; wrote defaults to %s", cls.name, path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        settings = cls.Settings.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError, OSError) as exc:
        log.error("service %s: bad config %s (%s); service disabled", cls.name, path, exc)
        settings = cls.Settings(rpc_enabled=False)
    return Discovered(cls, builtin, settings, path)


def _service_classes(module: ModuleType) -> list[type[BaseService]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseService)
        and obj is not BaseService
        and obj.__module__ == module.__name__
        and obj.name
    ]


def _builtin_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(worker.services.__path__):
        if info.name.endswith("_service"):
            try:
                modules.append(importlib.import_module(f"worker.services.{info.name}"))
            except Exception:
                log.exception("built-in service module %s failed to import", info.name)
    return modules


def _plugin_modules(plugin_dir: Path) -> list[ModuleType]:
    modules = []
    for path in sorted(plugin_dir.glob("*_service.py")):
        name = f"vt_plugin_{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            modules.append(module)
        except Exception:
            log.exception("plugin %s failed to import; skipped", path)
    return modules


def discover(config_dir: Path, plugin_dir: Path | None = None) -> list[Discovered]:
    """Every service found, built-ins first; a plugin may not shadow a built-in name."""
    found: dict[str, Discovered] = {}
    sources = [(m, True) for m in _builtin_modules()]
    if plugin_dir is not None and plugin_dir.is_dir():
        sources += [(m, False) for m in _plugin_modules(plugin_dir)]
    for module, builtin in sources:
        for cls in _service_classes(module):
            if cls.name in found:
                log.warning("service %s from %s ignored: name taken", cls.name, module.__name__)
                continue
            found[cls.name] = load_settings(cls, builtin, config_dir)
    return list(found.values())
