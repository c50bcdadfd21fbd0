"""The app's settings: defaults < config file (TOML) < ``.env`` < environment.

The original backend's variables keep working: ``PROJECT_NAME, VERSION, DEBUG, LOG_LEVEL,
RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASSWORD, RABBITMQ_RPC_QUEUE,
MAX_FILE_SIZE`` and a full ``RABBITMQ_URL``. One settings object per process, built in
``__main__`` and passed down.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vt_desktop.core.jobs.model import DEFAULT_FORMATS, OutputFormat
from vt_desktop.core.subtitles.model import DOUBT_THRESHOLD
from worker import __version__
from worker.transport.settings import BrokerSettings

APP_NAME = "VideoTranslator"
#: A job's calls by default: time to answer, sends before the job fails, wait for a worker.
CALL_TIMEOUT_S = 900.0
CALL_TRIES = 3
NO_WORKER_WAIT_S = 60.0
#: Minutes the private broker outlives the window by default (a launch within them is warm).
BROKER_KEEP_WARM_MINUTES = 10.0


def config_dir() -> Path:
    """The user config dir (``VT_CONFIG_DIR`` overrides it, e.g. in tests)."""
    return Path(os.environ.get("VT_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    """The TOML file the settings dialog edits."""
    return config_dir() / "settings.toml"


#: The broker connection's fields (changing one needs the broker and workers restarted):
#: every field of ``BrokerSettings``, which the worker reads too, so the app saves and hands
#: its local workers all of them (URL, TLS files, heartbeat, queue prefix, …).
BROKER_FIELDS = tuple(BrokerSettings.model_fields)
#: The fields a new job takes its options from (the window remembers them here).
JOB_OPTION_FIELDS = (
    "targets",
    "source_language",
    "engine",
    "asr_model",
    "output_dir",
    "output_formats",
    "burn_in",
    "bilingual",
    "dub",
    "dub_mode",
    "transcribe",
)
#: Everything ``save()`` writes to settings.toml, in file order.
SAVED_FIELDS = (
    "mode",
    "workers",
    "worker_prefetch",
    "plugin_dir",
    "broker_keep_warm_minutes",
    "call_timeout_s",
    "call_tries",
    "worker_wait_s",
    "log_level",
    "max_file_size",
    *BROKER_FIELDS,
    *JOB_OPTION_FIELDS,
    "subtitle_max_chars_per_line",
    "subtitle_max_lines",
    "subtitle_max_chars_per_second",
    "review_doubt_threshold",
    "theme",
    "ui_language",
)


class AppSettings(BrokerSettings):
    """Everything the app and the CLI are configured by."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    project_name: str = "VideoTranslator Desktop"
    version: str = __version__
    debug: bool = False
    log_level: str = "INFO"
    #: Largest input accepted, in bytes (the original backend's MAX_FILE_SIZE).
    max_file_size: int = Field(default=20 * 1024**3, gt=0)
    mode: Literal["local", "remote"] = "local"
    workers: int = Field(default=1, ge=0, le=64)
    #: Calls a local worker takes at once; its speech service recognises that many segments
    #: in one batch, which pays on a CPU too, not only on a GPU (README, Benchmarks).
    worker_prefetch: int = Field(default=8, ge=1, le=64)
    #: A job's calls: the time one has to answer before it is sent again, the sends before
    #: the job fails (it can be resumed), and how long a call waits for a worker to come
    #: online (environment: VT_CALL_TIMEOUT, VT_CALL_TRIES, VT_WORKER_WAIT).
    call_timeout_s: float = Field(
        default=CALL_TIMEOUT_S, gt=0, le=86400,
        validation_alias=AliasChoices("call_timeout_s", "VT_CALL_TIMEOUT"),
    )  # fmt: skip
    call_tries: int = Field(
        default=CALL_TRIES,
        ge=1,
        le=20,
        validation_alias=AliasChoices("call_tries", "VT_CALL_TRIES"),
    )
    worker_wait_s: float = Field(
        default=NO_WORKER_WAIT_S, ge=0, le=86400,
        validation_alias=AliasChoices("worker_wait_s", "VT_WORKER_WAIT"),
    )  # fmt: skip
    #: Minutes the private broker keeps running after the window closes, so a launch within
    #: them finds it ready (0: it stops with the window; never past the login session);
    #: environment: VT_BROKER_KEEP_WARM.
    broker_keep_warm_minutes: float = Field(
        default=BROKER_KEEP_WARM_MINUTES, ge=0, le=24 * 60,
        validation_alias=AliasChoices("broker_keep_warm_minutes", "VT_BROKER_KEEP_WARM"),
    )  # fmt: skip
    #: Scheduling niceness of local workers (0 = same as the app; 19 = lowest priority).
    worker_nice: int = Field(default=5, ge=0, le=19)
    #: Third-party services (``*_service.py``, searched in sub-folders too) the local
    #: workers load, each disabled until its config file enables it; None: built-ins only.
    plugin_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("plugin_dir", "VT_PLUGIN_DIR")
    )
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir(APP_NAME)))
    log_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME)))
    config_dir: Path = Field(default_factory=config_dir)
    client_id: str = ""
    # -- what a new job starts with (the window remembers the last choices here) ------------
    #: Target languages of a new job: Portuguese, which a fresh install translates (Bergamot
    #: en↔pt ships with the app); from English with the spoken language detected.
    targets: list[str] = Field(default_factory=lambda: ["pt"])
    #: Language spoken in the input; None detects it.
    source_language: str | None = None
    #: Translation engine (bergamot, ct2, llm, whisper); None lets the worker choose.
    engine: str | None = None
    #: Speech model (tiny.en, base, small, large-v3, a folder); None lets the worker choose.
    asr_model: str | None = None
    #: Where outputs go; None writes them beside the input file.
    output_dir: Path | None = None
    output_formats: list[OutputFormat] = Field(default_factory=lambda: list(DEFAULT_FORMATS))
    burn_in: bool = False
    bilingual: bool = False
    #: A transcript only: subtitles in the spoken language, nothing translated.
    transcribe: bool = False
    #: A translated voice track per language; "duck" keeps the original 12 dB lower under it.
    dub: bool = False
    dub_mode: Literal["duck", "replace"] = "duck"
    # -- subtitle rules (None keeps the language's own default: 42/16 chars, 2 lines, 17/20 cps)
    #: Longest subtitle line, in characters.
    subtitle_max_chars_per_line: int | None = Field(default=None, ge=4, le=200)
    #: Most lines in one subtitle.
    subtitle_max_lines: int | None = Field(default=None, ge=1, le=6)
    #: Fastest reading speed allowed, in characters per second.
    subtitle_max_chars_per_second: float | None = Field(default=None, gt=0, le=100)
    #: Review: a recognised word the recogniser was less sure of than this is doubtful
    #: (highlighted in Review, its line flagged, counted in the CLI's summary).
    review_doubt_threshold: float = Field(default=DOUBT_THRESHOLD, gt=0.0, lt=1.0)
    # -- the window ---------------------------------------------------------------------------
    theme: Literal["system", "light", "dark"] = "system"
    #: UI language: "system" follows the desktop's locale, else "en" or "ru".
    ui_language: Literal["system", "en", "ru"] = "system"

    def effective_log_level(self) -> str:
        """``LOG_LEVEL``, or DEBUG when ``DEBUG`` is true (the original backend's switch)."""
        return "DEBUG" if self.debug else self.log_level

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: init > environment > .env > TOML config file > defaults."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, dotenv_settings, toml, file_secret_settings)

    def ensure_client_id(self) -> str:
        """This install's stable client id (names its durable reply queue)."""
        if self.client_id:
            return self.client_id
        path = self.data_dir / "client_id"
        if path.is_file() and (cid := path.read_text().strip()):
            self.client_id = cid
            return cid
        path.parent.mkdir(parents=True, exist_ok=True)
        self.client_id = f"c{uuid.uuid4().hex[:12]}"
        path.write_text(self.client_id)
        return self.client_id

    def subtitle_rules(self) -> dict[str, Any]:
        """The subtitle-rule fields of a new ``JobSpec`` (``None``: the language's default)."""
        return {
            "max_chars_per_line": self.subtitle_max_chars_per_line,
            "max_lines": self.subtitle_max_lines,
            "max_chars_per_second": self.subtitle_max_chars_per_second,
        }

    def save(self, path: Path | None = None) -> Path:
        """Write the user-editable fields to the TOML config file (atomically)."""
        target = path or config_file()
        keep = SAVED_FIELDS
        values = {k: _plain(getattr(self, k)) for k in keep if getattr(self, k) is not None}
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(tomli_w.dumps(values))
        tmp.replace(target)
        return target


def _plain(value: Any) -> Any:
    """A settings value as TOML writes it (a secret as its text, a path as a string)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, bool | int | float | str) else str(value)
