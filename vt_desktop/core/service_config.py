"""The worker services' own config files, as the settings dialog reads and edits them.

Each worker service reads ``<config_dir>/services/<name>.toml`` when the worker starts (see
``worker/loader.py``): flat ``key = value`` lines. The app edits a few keys of two of them:
the ``asr`` service's default speech model and device, and the ``mt`` service's chat-model
endpoint (URL, model, API key). Every other key in a file is kept as it was. Writes are atomic
(temp file + rename) and the files are private (mode 0600): ``mt.toml`` may hold an API key.

Local workers see a change after they restart; remote workers keep their own files.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import tomli_w
from pydantic import SecretStr

from vt_desktop.core.errors import VtError

log = logging.getLogger(__name__)

AsrDevice = Literal["auto", "cpu", "cuda"]
ASR_DEVICES: tuple[AsrDevice, ...] = ("auto", "cpu", "cuda")
#: What the asr service uses when its file does not say (``worker/services/asr_service.py``).
ASR_DEFAULT_MODEL = "base"
MODEL_NAME_MAX = 512


class ServiceConfigError(VtError, ValueError):
    """Raised when a service config file cannot be read or a value is not acceptable."""


@dataclass(frozen=True)
class AsrConfig:
    """The ``asr`` service's defaults that the settings dialog edits."""

    model: str = ASR_DEFAULT_MODEL
    device: AsrDevice = "auto"


@dataclass(frozen=True)
class LlmConfig:
    """The ``mt`` service's chat-model endpoint (any OpenAI-compatible API)."""

    base_url: str = ""
    model: str = ""
    api_key: SecretStr | None = None

    @property
    def has_api_key(self) -> bool:
        """True when a non-empty key is stored (the key itself is never shown)."""
        return self.api_key is not None and bool(self.api_key.get_secret_value())


def service_file(config_dir: Path, service: str) -> Path:
    """Where service ``service`` keeps its settings."""
    return config_dir / "services" / f"{service}.toml"


def read_service(config_dir: Path, service: str) -> dict[str, Any]:
    """The flat settings of one service; empty when its file does not exist yet.

    Raises:
        ServiceConfigError: the file exists but is unreadable or not valid TOML.
    """
    path = service_file(config_dir, service)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ServiceConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ServiceConfigError(f"{path} is not valid TOML: {exc}") from None


def update_service(config_dir: Path, service: str, changes: dict[str, Any]) -> Path:
    """Set (or, with ``None``, remove) keys of one service's file, keeping all the others.

    Raises:
        ServiceConfigError: the file is unreadable or cannot be written.
    """
    values = read_service(config_dir, service)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    path = service_file(config_dir, service)
    header = f"# Settings of the '{service}' service. Edit and restart the worker.\n"
    flat = {k: _plain(v) for k, v in values.items() if not isinstance(v, dict | list)}
    try:
        _write_private(path, header + tomli_w.dumps(flat))
    except OSError as exc:
        raise ServiceConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    log.info("service config %s updated (%s)", path, ", ".join(sorted(changes)))
    return path


def read_asr(config_dir: Path) -> AsrConfig:
    """The speech service's default model and device.

    Raises:
        ServiceConfigError: the file is unreadable.
    """
    values = read_service(config_dir, "asr")
    device = str(values.get("device", "auto"))
    return AsrConfig(
        model=str(values.get("model") or ASR_DEFAULT_MODEL),
        device=device if device in ASR_DEVICES else "auto",
    )


def write_asr(config_dir: Path, config: AsrConfig) -> Path:
    """Store the speech service's default model and device.

    Raises:
        ServiceConfigError: a value is not acceptable or the file cannot be written.
    """
    problem = check_asr(config)
    if problem:
        raise ServiceConfigError(problem)
    return update_service(
        config_dir, "asr", {"model": config.model.strip(), "device": config.device}
    )


def read_llm(config_dir: Path) -> LlmConfig:
    """The translation service's chat-model endpoint.

    Raises:
        ServiceConfigError: the file is unreadable.
    """
    values = read_service(config_dir, "mt")
    key = values.get("llm_api_key")
    return LlmConfig(
        base_url=str(values.get("llm_base_url", "")),
        model=str(values.get("llm_model", "")),
        api_key=SecretStr(str(key)) if key else None,
    )


def write_llm(config_dir: Path, config: LlmConfig) -> Path:
    """Store the chat-model endpoint; an ``api_key`` of ``None`` removes the stored key.

    Raises:
        ServiceConfigError: a value is not acceptable or the file cannot be written.
    """
    problems = check_llm(config)
    if problems:
        raise ServiceConfigError("; ".join(problems.values()))
    key = config.api_key.get_secret_value() if config.has_api_key and config.api_key else None
    return update_service(
        config_dir,
        "mt",
        {
            "llm_base_url": config.base_url.strip(),
            "llm_model": config.model.strip(),
            "llm_api_key": key,
        },
    )


def check_asr(config: AsrConfig) -> str | None:
    """Why the speech defaults cannot be stored, or ``None`` when they can."""
    model = config.model.strip()
    if not model:
        return "Name a speech model (e.g. tiny.en, base, large-v3) or a model folder."
    if len(model) > MODEL_NAME_MAX:
        return f"A model name is at most {MODEL_NAME_MAX} characters."
    if config.device not in ASR_DEVICES:
        return f"The device must be one of {', '.join(ASR_DEVICES)}."
    return None


def check_llm(config: LlmConfig) -> dict[str, str]:
    """Problems with the endpoint settings, by field (``base_url``, ``model``)."""
    problems: dict[str, str] = {}
    url = config.base_url.strip()
    model = config.model.strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems["base_url"] = (
                "The endpoint must be an http:// or https:// URL with a host, "
                "e.g. http://127.0.0.1:11434/v1"
            )
        elif " " in url:
            problems["base_url"] = "The endpoint URL must not contain spaces."
        if not model:
            problems["model"] = "Name the chat model the endpoint serves (e.g. llama3.1)."
    elif model:
        problems["base_url"] = "Give the endpoint URL for this model."
    return problems


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)  # an existing temp file keeps its old mode through O_CREAT
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """A value as TOML writes it (a secret as its text, anything else not TOML as a string)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, bool | int | float | str) else str(value)
