"""The .deb's changelog and man pages (made by resources/packaging/manpages.py), checked in
the package built from the stand-in bundle (tests/packaging/conftest.py)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import VERSION, dpkg_deb


def test_changelog_is_this_versions_entry_by_the_maintainer(deb: Path, tmp_path: Path) -> None:
    dpkg_deb("--extract", deb, tmp_path)
    packed = (tmp_path / "usr/share/doc/videotranslator/changelog.gz").read_bytes()
    assert packed[3] == 0 and packed[4:8] == bytes(4), "gzip -n: no name, no time stored"
    assert packed[8] == 2, "gzip -9"
    text = gzip.decompress(packed).decode()
    maintainer = dpkg_deb("--field", deb, "Maintainer").strip()
    assert text.startswith(f"videotranslator ({VERSION}) unstable; urgency=medium\n\n  * ")
    trailer = re.search(r"\n -- (.+)  (\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000)\n$", text)
    assert trailer and trailer.group(1) == maintainer, text
    assert "/usr/bin" not in text and "videotranslator --worker" in text


def test_man_pages_render_each_commands_real_help(deb: Path, tmp_path: Path) -> None:
    """``man -l`` reads both pages without a warning; each holds the options its command's
    --help prints (the worker's in videotranslator's, every subcommand's in vt's)."""
    dpkg_deb("--extract", deb, tmp_path)
    pages = {}
    for command in ("videotranslator", "vt"):
        page = tmp_path / f"usr/share/man/man1/{command}.1.gz"
        done = subprocess.run(
            ["man", "--warnings", "-l", str(page)],
            capture_output=True,
            text=True,
            env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8"),
            check=False,
        )
        assert done.returncode == 0 and not done.stderr, done.stderr
        pages[command] = " ".join(done.stdout.split())
    window, cli = pages["videotranslator"], pages["vt"]
    assert window.startswith("VIDEOTRANSLATOR(1) User Commands VIDEOTRANSLATOR(1) NAME")
    assert "SYNOPSIS videotranslator [-h] [--smoke]" in window
    assert "--smoke check this install in a temporary folder" in window
    assert "VIDEOTRANSLATOR --WORKER videotranslator --worker [-h] [--broker BROKER]" in window
    assert "--connect-timeout SECONDS keep trying to reach a broker" in window
    assert "vt-worker" not in window and f"videotranslator {VERSION}" in window
    assert "SEE ALSO vt(1)" in window
    assert "SYNOPSIS vt [-h] [--broker BROKER]" in cli
    for sub in ("translate", "jobs", "workers", "models", "doctor"):
        assert f"VT {sub.upper()} vt {sub} [-h]" in cli
    assert "--dub-mode {duck,replace} duck: original 12 dB lower" in cli
    assert cli.count("--broker BROKER AMQP URL") == 1, "a shared option is listed once"


def test_lintian_finds_the_changelog_and_man_pages_in_order(deb: Path) -> None:
    """Tags about them at every level (pedantic included); the bundle's own tags (files in
    /opt, stand-in binaries, zstd members: see make_deb.py) are not this test's business."""
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (apt-get install lintian)")
    done = subprocess.run(
        ["lintian", "--info", "--pedantic", "--tag-display-limit", "0", str(deb)],
        capture_output=True,
        text=True,
        check=False,
    )
    tags = re.findall(r"^[EWIPX]: videotranslator: (\S+)", done.stdout, re.MULTILINE)
    assert tags, done.stdout + done.stderr  # it ran and said something (files in /opt)
    about = [t for t in tags if re.search(r"changelog|man-?page|manual|groff|whatis", t)]
    assert about == [], done.stdout
