"""``vt``'s own options (``--broker``, ``--workers``, ``--log-level``) go before or after the
command's name; given in both places, the later one wins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vt_desktop.cli import build_settings, log_level, parser

URL = "amqps://user:pass@gpu-box:5671/vt"
OPTIONS = ["--broker", URL, "--workers", "2", "--log-level", "DEBUG"]
COMMANDS = [
    ["translate", "talk.mp4", "--to", "pt"],
    ["jobs", "resume", "abc"],
    ["workers"],
    ["models", "download", "tiny.en"],
    ["doctor"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda argv: argv[0])
@pytest.mark.parametrize("where", ["before", "after"])
def test_options_are_taken_before_or_after_the_command_name(command: list[str], where: str) -> None:
    argv = [*OPTIONS, *command] if where == "before" else [*command, *OPTIONS]
    args = parser().parse_args(argv)
    assert (args.command, args.broker, args.workers, args.log_level) == (
        command[0], URL, 2, "DEBUG"
    )  # fmt: skip


def test_an_option_not_given_after_the_name_keeps_the_value_given_before_it() -> None:
    args = parser().parse_args(["--broker", URL, "--workers", "3", "translate", "a.mp4",
                                "--to", "pt", "--log-level", "INFO"])  # fmt: skip
    assert (args.broker, args.workers, args.log_level) == (URL, 3, "INFO")


def test_an_option_given_on_both_sides_takes_the_later_value() -> None:
    args = parser().parse_args(["--workers", "3", "--broker", "amqp://first/", "doctor",
                                "--workers", "0", "--broker", URL])  # fmt: skip
    assert (args.broker, args.workers) == (URL, 0)


def test_no_option_anywhere_leaves_the_settings_to_decide() -> None:
    args = parser().parse_args(["translate", "a.mp4", "--to", "pt"])
    assert (args.broker, args.workers, args.log_level) == (None, None, None)


def test_a_broker_after_the_command_name_runs_remote_without_local_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("VT_", "RABBITMQ_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path / "config"))
    args = parser().parse_args(["translate", "talk.mp4", "--to", "pt", "--broker", URL])
    settings = build_settings(args)
    assert (settings.mode, settings.broker_url(), settings.workers) == ("remote", URL, 0)


def test_the_console_level_follows_log_level_unless_an_option_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path))  # no settings file of the user's
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    quiet = parser().parse_args(["jobs"])
    assert log_level(quiet, build_settings(quiet)) == "WARNING"  # the progress line speaks
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert log_level(quiet, build_settings(quiet)) == "DEBUG"
    loud = parser().parse_args(["jobs", "--log-level", "INFO"])
    assert log_level(loud, build_settings(loud)) == "INFO"
    monkeypatch.delenv("LOG_LEVEL")
    monkeypatch.setenv("DEBUG", "true")  # the original backend's switch
    assert log_level(quiet, build_settings(quiet)) == "DEBUG"
    assert build_settings(quiet).effective_log_level() == "DEBUG"  # the window and its workers
