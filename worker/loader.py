"""Service auto-discovery, as the original backend did it.

Every ``*_service.py`` in ``worker/services/`` (built-in) and anywhere under the user's
plugin folder (third party, searched recursively) is imported, and each ``BaseService``
subclass it defines is registered under its ``name``, or without one under its file's name
(``x_service.py`` → ``x``). A class that is not served says why at INFO. On first discovery
a TOML config file with the service's defaults is written to
``<config_dir>/services/<name>.toml``; built-ins default to ``rpc_enabled = true``, plugins
to false. Keys are read case-insensitively (the design's ``RPC_ENABLED = true`` works).
Only enabled services bind their queues.

A plugin may not take a built-in service's name unless the worker is told to leave that
built-in out (``replace_builtins``, ``VT_WORKER_REPLACE_BUILTINS=asr,mt``): the plugin is then
served under the name instead, and starts enabled as the built-in would.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import pkgutil
import re
import sys
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import tomli_w
from pydantic import SecretStr, ValidationError

import worker.services
from worker.services.base import BaseService, ServiceSettings

log = logging.getLogger(__name__)
#: A service name is a routing key and a queue name: letters, digits, ``_`` and ``-``.
SERVICE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
SERVICE_SUFFIX = "_service"
#: The worker setting that lets a plugin replace a built-in service of the same name.
REPLACE_SETTING = "VT_WORKER_REPLACE_BUILTINS"


@dataclass(frozen=True)
class Discovered:
    """A service class found on disk, its origin and its settings."""

    cls: type[BaseService]
    builtin: bool
    settings: ServiceSettings
    config_path: Path


def _plain(value: Any) -> Any:
    """A settings value as TOML writes it (a secret as its text, a path as a string)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, bool | int | float | str) else str(value)


def write_defaults(path: Path, settings: ServiceSettings) -> None:
    """Write a service's settings as flat TOML (``None`` values are left out)."""
    header = f"# Settings of the '{path.stem}' service. Edit and restart the worker.\n"
    values = {
        key: _plain(value)
        for key, value in settings.model_dump().items()
        if value is not None and not isinstance(value, dict | list)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # a temp name of this process's own: N workers started at once share the config dir
    tmp = path.with_suffix(f".toml.{os.getpid()}.tmp")
    tmp.write_text(header + tomli_w.dumps(values), encoding="utf-8")
    tmp.replace(path)


def _field_keys(name: str, settings_cls: type[ServiceSettings], data: dict[str, Any]) -> Any:
    """The file's keys matched to the settings' fields case-insensitively (``RPC_ENABLED``
    is ``rpc_enabled``); a key that is no setting is named in the log and ignored.

    Raises:
        ValueError: one setting is given twice under different cases.
    """
    fields = {f.lower(): f for f in settings_cls.model_fields}
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key.lower())
        if field is None:
            log.warning(
                "service %s: unknown setting %r ignored (known: %s)",
                name,
                key,
                ", ".join(settings_cls.model_fields),
            )
            continue
        if field in out:
            raise ValueError(f"setting {field!r} is given twice (as {key!r} and another case)")
        out[field] = value
    return out


def _toml_hint(text: str) -> str:
    """A hint for the commonest mistake of people used to Python or .env files."""
    if re.search(r"=\s*(True|False)\s*(#.*)?$", text, re.MULTILINE):
        return "; TOML writes booleans in lower case: true or false"
    return ""


def load_settings(
    cls: type[BaseService], builtin: bool, config_dir: Path, *, enabled: bool | None = None
) -> Discovered:
    """Read (or first create) the service's config file and validate it. A file written
    here enables the service when ``enabled`` (by default: when it is a built-in)."""
    path = config_dir / "services" / f"{cls.name}.toml"
    if not path.exists():
        write_defaults(path, cls.Settings(rpc_enabled=builtin if enabled is None else enabled))
        log.info("service %s discovered; wrote defaults to %s", cls.name, path)
    text = ""
    try:
        text = path.read_text(encoding="utf-8")
        data = _field_keys(cls.name, cls.Settings, tomllib.loads(text))
        settings = cls.Settings.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError, OSError, ValueError) as exc:
        hint = _toml_hint(text) if isinstance(exc, tomllib.TOMLDecodeError) else ""
        log.error("service %s: bad config %s (%s%s); service disabled", cls.name, path, exc, hint)
        settings = cls.Settings(rpc_enabled=False)
    return Discovered(cls, builtin, settings, path)


def _file_service_name(module: ModuleType) -> str:
    """``x`` for a module loaded from ``x_service.py`` (empty when it has no such file)."""
    stem = Path(getattr(module, "__file__", None) or "").stem
    return stem.removesuffix(SERVICE_SUFFIX) if stem.endswith(SERVICE_SUFFIX) else ""


def _why_not_served(cls: type[BaseService], module: ModuleType) -> str | None:
    """Why ``cls`` cannot be served (None when it can). A class without its own ``name`` is
    named from its file (``x_service.py`` → ``x``) when it is served."""
    if cls.__module__ != module.__name__:
        return f"imported from {cls.__module__}, not defined here"
    own_name = vars(cls).get("name")
    if not own_name:
        derived = _file_service_name(module)
        if not derived:
            return "no 'name', and its file is not named <name>_service.py to name it"
        cls.name = derived
    why = _unservable(cls)
    if why is not None and not own_name:
        if own_name is None:
            delattr(cls, "name")
        else:
            cls.name = own_name
    return why


def _unservable(cls: type[BaseService]) -> str | None:
    if not SERVICE_NAME.fullmatch(cls.name):
        return (
            f"service name {cls.name!r} is not a routing key (a letter, then letters, "
            "digits, '_' or '-', at most 64)"
        )
    try:
        if not cls.handlers():
            return "no @rpc_method handler and no execute(data) method: nothing to serve"
    except TypeError as exc:
        return str(exc)
    return None


def _service_classes(module: ModuleType) -> list[type[BaseService]]:
    """The servable ``BaseService`` subclasses of ``module``; each other one is logged."""
    found: list[type[BaseService]] = []
    seen: set[type[BaseService]] = set()
    for obj in list(vars(module).values()):
        if not isinstance(obj, type) or not issubclass(obj, BaseService) or obj is BaseService:
            continue
        if obj in seen:  # the same class under a second name
            continue
        seen.add(obj)
        why = _why_not_served(obj, module)
        if why is None:
            found.append(obj)
        else:
            where = getattr(module, "__file__", None) or module.__name__
            log.info("class %s in %s skipped: %s", obj.__qualname__, where, why)
    return found


def _builtin_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(worker.services.__path__):
        if info.name.endswith("_service"):
            try:
                modules.append(importlib.import_module(f"worker.services.{info.name}"))
            except Exception:
                log.exception("built-in service module %s failed to import", info.name)
    return modules


def builtin_service_names() -> list[str]:
    """The names of the built-in services, sorted."""
    return sorted({cls.name for m in _builtin_modules() for cls in _service_classes(m)})


def plugin_files(plugin_dir: Path) -> list[Path]:
    """Every ``*_service.py`` under ``plugin_dir``, in sub-folders too (hidden folders and
    ``__pycache__`` left out; symbolic links to folders are not followed)."""
    files = []
    for root, dirs, names in os.walk(plugin_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        files += [Path(root) / n for n in sorted(names) if n.endswith(f"{SERVICE_SUFFIX}.py")]
    return files


def _plugin_modules(plugin_dir: Path) -> list[ModuleType]:
    modules = []
    for path in plugin_files(plugin_dir):
        rel = path.relative_to(plugin_dir).with_suffix("")
        name = "vt_plugin__" + "__".join(re.sub(r"\W", "_", part) for part in rel.parts)
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            modules.append(module)
        except (Exception, SystemExit):  # a plugin's bug, even sys.exit(), is no worker's end
            sys.modules.pop(name, None)
            log.exception("plugin %s failed to import; skipped", path)
    return modules


def _where(module: ModuleType) -> str:
    return getattr(module, "__file__", None) or module.__name__


def discover(
    config_dir: Path, plugin_dir: Path | None = None, replace_builtins: Collection[str] = ()
) -> list[Discovered]:
    """Every service found, built-ins first. A plugin may not shadow a built-in name, unless
    that name is in ``replace_builtins``: the built-in is then left out and the plugin of
    that name served instead (enabled by default, as the built-in was)."""
    found: dict[str, Discovered] = {}
    left_out: set[str] = set()
    sources = [(m, True) for m in _builtin_modules()]
    if plugin_dir is not None:
        if plugin_dir.is_dir():
            sources += [(m, False) for m in _plugin_modules(plugin_dir)]
        else:
            log.warning("plugin folder %s is not a folder; no plugins loaded", plugin_dir)
    for module, builtin in sources:
        for cls in _service_classes(module):
            if builtin and cls.name in replace_builtins:
                left_out.add(cls.name)
                continue
            if cls.name in found:
                taker = found[cls.name]
                hint = ""
                if taker.builtin and not builtin:
                    hint = (
                        f" (a built-in; to serve this plugin instead, set "
                        f"{REPLACE_SETTING}={cls.name})"
                    )
                log.warning(
                    "class %s in %s skipped: service name %r is taken by %s%s",
                    cls.__qualname__,
                    _where(module),
                    cls.name,
                    taker.cls.__module__,
                    hint,
                )
                continue
            replaces = not builtin and cls.name in left_out
            if replaces:
                log.info(
                    "plugin %s from %s replaces the built-in %s service",
                    cls.name,
                    _where(module),
                    cls.name,
                )
            found[cls.name] = load_settings(
                cls, builtin, config_dir, enabled=True if replaces else None
            )
    for name in sorted(left_out - found.keys()):
        log.warning(
            "built-in service %s is left out (%s) but no plugin named %s was found%s; "
            "this worker has no %s service",
            name,
            REPLACE_SETTING,
            name,
            "" if plugin_dir is not None else " (no plugin folder is set)",
            name,
        )
    return list(found.values())
