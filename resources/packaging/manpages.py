"""The .deb's man pages and Debian changelog, made at packaging time (make_deb.py calls these).

Each man page is rendered from the real ``--help`` of the command as installed: the bundle's
executable is run through a link with the command's name (as ``/usr/bin/vt`` is), so the page
says what the shipped build says and cannot drift from it. ``vt``'s page adds each
subcommand's help (``vt translate --help``, …) and ``videotranslator``'s adds the worker's
(``videotranslator --worker --help``); options a page already listed are not repeated.

The changelog is the entry for the version in pyproject.toml (a native package: the file is
``changelog.gz``, the name Debian policy and lintian expect when the version has no Debian
revision). Both are dated by SOURCE_DATE_EPOCH, else the last commit, so a rebuild of the
same commit gives the same bytes.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from components import PackagingError

#: argparse wraps at the terminal width: this wide, every help text is one line.
HELP_COLUMNS = "1000"
HEADINGS = {"options": "OPTIONS", "positional arguments": "ARGUMENTS"}


@dataclass(frozen=True)
class Command:
    """A command the package installs, and what its man page shows besides its own help."""

    name: str
    summary: str  # the NAME line: "name - summary"
    extra: tuple[tuple[str, ...], ...] = ()  # argument lists whose --help is added
    subcommands: bool = False  # add each subcommand's --help too


def release_time(root: Path) -> float:
    """SOURCE_DATE_EPOCH, else the time of the last commit, else now."""
    if epoch := os.environ.get("SOURCE_DATE_EPOCH"):
        return float(epoch)
    done = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=False,
    )
    return float(done.stdout) if done.returncode == 0 and done.stdout.strip() else time.time()


def gzipped(text: str) -> bytes:
    """``gzip -9n``: best compression, no name or time stored."""
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def changelog(package: str, version: str, maintainer: str, when: float, changes: str) -> str:
    """A one-entry Debian changelog (``changes``: one bullet, wrapped at 72 columns)."""
    words, lines, line = changes.split(), [], "  *"
    for word in words:
        if len(line) + 1 + len(word) > 76:
            lines.append(line)
            line = "   "
        line += " " + word
    lines.append(line)
    body = "\n".join(lines)
    stamp = formatdate(when).replace("-0000", "+0000")  # UTC, as dpkg-parsechangelog wants
    return (
        f"{package} ({version}) unstable; urgency=medium\n\n{body}\n\n -- {maintainer}  {stamp}\n"
    )


def command_help(executable: Path, name: str, args: Sequence[str]) -> str:
    """``name ARGS --help`` answered by the bundle's executable started as ``name``.

    Raises:
        PackagingError: it failed or did not print argparse's usage.
    """
    env = {**os.environ, "COLUMNS": HELP_COLUMNS, "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory(prefix="vt-man-") as tmp:
        link = Path(tmp) / name
        link.symlink_to(executable.resolve())
        cmd = [str(link), *args, "--help"]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0 or not done.stdout.startswith("usage: "):
        shown = " ".join([name, *args, "--help"])
        raise PackagingError(f"'{shown}' for its man page failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def man_page(executable: Path, command: Command, version: str, when: float, see: str) -> str:
    """The roff source of ``command``'s page, from the help the executable prints."""
    top = command_help(executable, command.name, [])
    blocks = [(command.name, top)]
    blocks += [
        (" ".join([command.name, *a]), command_help(executable, command.name, a))
        for a in command.extra
    ]
    if command.subcommands:
        for sub in subcommands(top):
            blocks.append((f"{command.name} {sub}", command_help(executable, command.name, [sub])))
    date = time.strftime("%Y-%m-%d", time.gmtime(when))
    out = [
        f'.TH {command.name.upper()} 1 "{date}" "{command.name} {version}" "User Commands"',
        ".SH NAME",
        f"{command.name} \\- {esc(command.summary)}",
    ]
    shown: set[tuple[str, str]] = set()
    for index, (title, text) in enumerate(blocks):
        out += render_help(title, text, shown, top=index == 0)
    out += [".SH SEE ALSO", f"\\fB{esc(see)}\\fR(1)", ""]
    return "\n".join(out)


def subcommands(help_text: str) -> list[str]:
    """The subcommands an argparse help lists (its ``{a,b,…}`` positional), or none."""
    usage = help_text.split("\n\n", 1)[0]
    if not usage.rstrip().endswith(" ..."):
        return []
    found = re.search(r"^  \{([\w,-]+)\}", help_text, re.MULTILINE)
    return found.group(1).split(",") if found else []


def render_help(title: str, text: str, shown: set[tuple[str, str]], *, top: bool) -> list[str]:
    """One argparse help as man sections: a new page's SYNOPSIS/DESCRIPTION/OPTIONS, or a
    section of its own titled ``title``. Items in ``shown`` are left out (and added)."""
    usage, *paragraphs = [p for p in text.strip("\n").split("\n\n") if p.strip()]
    words = " ".join(usage.removeprefix("usage: ").split()).split(" ")
    start = next((i for i, w in enumerate(words) if w[:1] in "[(-{"), len(words))
    synopsis = [f".B {esc(title)}", esc(" ".join(words[start:]))]
    out = [".SH SYNOPSIS", *synopsis] if top else [f'.SH "{esc(title.upper())}"', *synopsis]
    opening = len(out)  # on a new page, text before any section is its DESCRIPTION
    prose: list[str] = []  # paragraphs not yet written
    for paragraph in paragraphs:
        heading, _, rest = paragraph.partition("\n")
        if heading.endswith(":") and not heading.startswith(" ") and rest.startswith("  "):
            items = [i for i in help_items(rest) if i not in shown]
            shown.update(items)
            if not items:
                continue
            out += _prose(prose, top and len(out) == opening)
            prose = []
            name = HEADINGS.get(heading[:-1], heading[:-1].upper())
            out.append(f".SH {name}" if top else f".SS {name.capitalize()}")
            for invocation, help_text in items:
                out += [".TP", invocation_roff(invocation), esc(help_text) or "\\&"]
        else:
            prose.append(esc(" ".join(paragraph.split())))
    return out + _prose(prose, top and len(out) == opening)


def _prose(paragraphs: list[str], description: bool) -> list[str]:
    """Paragraphs, under a DESCRIPTION heading when they are the page's first text."""
    lines = [line for p in paragraphs for line in (".PP", p)]
    return [".SH DESCRIPTION", *lines[1:]] if description and lines else lines


def help_items(block: str) -> list[tuple[str, str]]:
    """``(invocation, help)`` of each item of an argparse section (subcommands included)."""
    items: list[tuple[str, str]] = []
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        head = re.match(r"(\S+(?: \S+)*(?:, \S+(?: \S+)*)*)(?:\s{2,}(.*))?$", line.strip())
        if indent in (2, 4) and head:  # an argument (2) or a subcommand (4)
            if indent == 4 and items and items[-1][0].startswith("{") and not items[-1][1]:
                items.pop()  # "{a,b,…}" above its subcommands: they are listed one by one
            items.append((head.group(1), head.group(2) or ""))
        elif items:  # the help of an argument too long to share its line
            invocation, help_text = items[-1]
            items[-1] = (invocation, f"{help_text} {line.strip()}".strip())
    return items


def invocation_roff(invocation: str) -> str:
    """``-o, --out DIR`` as bold options and italic values."""
    parts = []
    for alternative in invocation.split(", "):
        words = alternative.split(" ")
        bold = f"\\fB{esc(words[0])}\\fR"
        parts.append(" ".join([bold, *(f"\\fI{esc(w)}\\fR" for w in words[1:])]))
    return ", ".join(parts)


def esc(text: str) -> str:
    """Text safe in roff: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text
