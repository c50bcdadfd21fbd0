"""``python -m worker``'s options: the README's worker commands parse as written, and bad
values of ``--connect-timeout`` and ``--call`` are refused with a clear message."""

from __future__ import annotations

import argparse
import math
import shlex
from pathlib import Path

import pytest

from tests.unit.test_readme_commands import code_block_lines
from worker.__main__ import build_settings, json_object, parse_args, seconds_or_forever

README = Path(__file__).resolve().parents[2] / "README.md"


def worker_commands() -> list[list[str]]:
    """The arguments of every ``python -m worker …`` line in the README's code blocks."""
    found = []
    for line in code_block_lines(README.read_text(encoding="utf-8")):
        words = shlex.split(line, comments=True)
        while words and "=" in words[0]:  # VAR=value before the command
            words.pop(0)
        if words[:3] == ["python", "-m", "worker"]:
            found.append(words[3:])
    return found


def test_the_readme_worker_commands_parse() -> None:
    commands = worker_commands()
    assert len(commands) >= 3, commands
    calls = [parse_args(argv).call for argv in commands]
    assert ["text_stats.execute", '{"text": "to be or not"}'] in calls
    for argv in commands:
        build_settings(parse_args(argv))


def test_connect_timeout_takes_seconds_or_forever() -> None:
    assert seconds_or_forever("forever") == math.inf
    assert seconds_or_forever("0") == 0.0 and seconds_or_forever("2.5") == 2.5
    for bad in ("-1", "soon", "nan"):
        with pytest.raises(argparse.ArgumentTypeError, match="or 'forever', got"):
            seconds_or_forever(bad)
    settings = build_settings(parse_args(["--connect-timeout", "forever"]))
    assert settings.connect_timeout == math.inf


def test_call_params_must_be_a_json_object() -> None:
    assert json_object('{"a": 1}') == {"a": 1}
    with pytest.raises(argparse.ArgumentTypeError, match="params are not JSON"):
        json_object("{a: 1}")
    with pytest.raises(argparse.ArgumentTypeError, match="must be a JSON object, got '\\[1\\]'"):
        json_object("[1]")
