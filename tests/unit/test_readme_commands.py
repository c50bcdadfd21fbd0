"""Every ``vt`` command the README shows in its code blocks is accepted by the CLI as written.

Only the command line is parsed (``vt_desktop.cli.parser()``); no work runs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vt_desktop.cli import parser

README = Path(__file__).resolve().parents[2] / "README.md"
#: The README shows this many ``vt`` commands today; fewer found means the extraction broke.
MIN_COMMANDS = 8
FENCE = re.compile(r"^\s*(```|~~~)")


def code_block_lines(markdown: str) -> list[str]:
    """The lines inside fenced code blocks, continuation lines (trailing ``\\``) joined."""
    lines: list[str] = []
    inside, pending = False, ""
    for raw in markdown.splitlines():
        if FENCE.match(raw):
            inside, pending = not inside, ""
            continue
        if not inside:
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    return lines


def vt_commands(markdown: str) -> list[str]:
    """The ``vt …`` command lines of the code blocks (a ``$`` prompt removed, comments kept)."""
    commands = []
    for line in code_block_lines(markdown):
        text = line.strip().removeprefix("$ ").strip()
        if text.split(maxsplit=1)[:1] == ["vt"]:
            commands.append(text)
    return commands


COMMANDS = vt_commands(README.read_text(encoding="utf-8"))


def test_the_extraction_finds_the_readme_commands() -> None:
    assert len(COMMANDS) >= MIN_COMMANDS, COMMANDS
    sample = "```bash\n$ vt translate a.mp4 \\\n    --to pt  # note\nmake run\n```\nvt jobs\n"
    found = [shlex.split(line, comments=True) for line in vt_commands(sample)]
    assert found == [["vt", "translate", "a.mp4", "--to", "pt"]]


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_is_accepted(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(line, comments=True)[1:]
    try:
        parser().parse_args(argv)
    except SystemExit as refused:
        error = capsys.readouterr().err.strip()
        pytest.fail(f"README shows {line!r}; vt refuses it (exit {refused.code}): {error}")
