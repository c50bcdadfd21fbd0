"""Every TOML file the app and the workers write reads back as written (tomli-w escapes):
settings.toml and a service's defaults, with quotes, backslashes and newlines in values."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import SecretStr

from vt_desktop.core.config import AppSettings
from worker.loader import write_defaults
from worker.services.base import ServiceSettings

AWKWARD = 'a "quoted" word,\na second line\\ and a backslash\ttab'


def test_a_settings_value_with_a_newline_and_quotes_round_trips(tmp_path: Path) -> None:
    settings = AppSettings(rabbitmq_user=AWKWARD, rabbitmq_password=SecretStr(AWKWARD))
    path = settings.save(tmp_path / "settings.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["rabbitmq_user"] == AWKWARD
    assert data["rabbitmq_password"] == AWKWARD
    assert data["output_formats"] == list(settings.output_formats)


class _NoteSettings(ServiceSettings):
    note: str = ""
    folder: Path = Path("/tmp")


def test_a_service_default_with_a_newline_and_quotes_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "services" / "note.toml"
    write_defaults(path, _NoteSettings(note=AWKWARD, folder=Path("/x/y z")))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Settings of the 'note' service.")
    data = tomllib.loads(text)
    assert data["note"] == AWKWARD and data["folder"] == "/x/y z"
