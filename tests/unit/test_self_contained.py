"""A lone clone runs everything: no file of the project reaches outside the repository.

The team's working copies have a ``shared`` folder beside the repository (media, notes); a
user's clone has not, so a test, bench or module that reads it passes here and errors there.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("tests", "bench", "vt_desktop", "worker", ".ci")
SCANNED_FILES = ("Makefile", "build.spec", "pyproject.toml")
SUFFIXES = {".py", ".toml", ".cfg", ".sh", ".spec", ".txt", ".md", ".json", ".qss", ""}
# Built from parts, so this file does not match itself.
SIBLING = "shared"
OUTSIDE = re.compile(
    "|".join(
        (
            re.escape(".." + "/" + SIBLING),  # a relative path to the folder beside the repo
            r"/\s*[\"']" + SIBLING + r"[\"']",  # pathlib: parent / "<sibling>"
            re.escape("/work/" + SIBLING),  # the team machines' absolute path
            r"parents\[\d+\]\.parent\b",  # a pathlib climb above the repository root
        )
    )
)


def _project_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            parts = set(path.relative_to(ROOT).parts)
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in parts:
                files.append(path)
    return files


def test_no_project_file_reads_outside_the_repository() -> None:
    files = _project_files()
    assert len(files) > 100, "the scan found too few files to mean anything"
    offenders = []
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "these lines reach outside the repository:\n" + "\n".join(offenders)


def test_the_check_catches_each_way_out() -> None:
    for line in (
        "SHARED = Path(__file__).parents[2]" + ".parent / 'x'",
        "JFK = ROOT / '" + SIBLING + "' / 'media'",
        'open("../' + SIBLING + '/media/jfk.flac")',
        "p = '/work/" + SIBLING + "/media'",
    ):
        assert OUTSIDE.search(line), line
    assert not OUTSIDE.search('DATA = Path(__file__).resolve().parents[1] / "data"')
