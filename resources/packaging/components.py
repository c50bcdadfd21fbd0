"""What the bundle holds and under which licences: its manifest and the DEP-5 copyright file.

build.spec calls ``bundle_manifest`` at build time and ships the result in the bundle as
``bundled-components.json``: for every bundled file, the Python distribution, the Python
runtime or the Debian package it came from. ``copyright_text`` turns that into the package's
machine-readable copyright file, with each distribution's licence taken from its metadata in
the Python that runs it (the build venv) and each Debian library's from its own copyright
file. A component whose licence cannot be told stops the build (``PackagingError``).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "bundled-components.json"
PACKAGE = "videotranslator"
INSTALL_DIR = f"opt/{PACKAGE}"
EXECUTABLE = "VideoTranslator"
DEP5 = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
#: Licence strings in metadata that are not SPDX names, and the license classifiers.
LICENCE_NAMES = {
    "MIT License": "MIT",
    "Apache 2.0": "Apache-2.0",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD",
    "3-Clause BSD License": "BSD-3-Clause",
    "BSD 2-Clause License": "BSD-2-Clause",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0",
    "GPLv2-or-later with a special exception which allows to use PyInstaller to build "
    "and distribute non-free programs (including commercial ones)": "GPL-2.0-or-later "
    "WITH Bootloader-exception",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
}
LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
TEXT_SUFFIXES = {"", ".txt", ".md", ".rst", ".text", ".mit", ".apache", ".bsd", ".lgpl", ".gpl"}
#: Control characters (form feeds in GPL texts and the like) have no place in DEP-5.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Licences whose full text every Debian system has under /usr/share/common-licenses.
COMMON_LICENCES = ("Apache-2.0", "GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-2.0")
COPYRIGHT_LINE = re.compile(r"^\s*(copyright\b|\(c\)|©)", re.IGNORECASE)
MIT_TEXT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


class PackagingError(Exception):
    """Raised when the bundle cannot be packaged (missing part, unknown licence, tool failed)."""


@dataclass(frozen=True)
class Project:
    """What pyproject.toml says about the app."""

    name: str
    version: str
    description: str
    licence: str

    @classmethod
    def read(cls, pyproject: Path) -> Project:
        """The ``[project]`` table of a pyproject.toml."""
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        lic = project.get("license", {})
        return cls(
            name=project["name"],
            version=project["version"],
            description=project.get("description", ""),
            licence=lic.get("text", "") if isinstance(lic, dict) else str(lic),
        )


# --- build time: which components are in the bundle (called by build.spec) -----------------


def bundle_manifest(entries: Iterable[tuple[str, str | None, str]], app_root: Path) -> str:
    """The JSON manifest of a PyInstaller analysis: the component of every bundled file.

    ``entries`` are the analysis' (destination, source, kind) tuples. Pure modules and scripts
    live in the executable's archive; binaries and data under ``_internal/``. Files of the
    app itself (its distribution, or its sources under ``app_root`` when not installed) are
    left out: the copyright file's first paragraph covers them.
    """
    owners = _distribution_files()
    app = _normalised(Project.read(app_root / "pyproject.toml").name)
    app_dir = os.path.normpath(str(app_root)) + os.sep
    stdlib = os.path.normpath(sysconfig.get_paths()["stdlib"])
    dists: dict[str, dict[str, Any]] = {}
    python: set[str] = set()
    system: dict[str, str] = {}  # source path -> bundle path
    for dest, source, kind in entries:
        if not source or not os.path.isabs(source):
            continue
        src = os.path.normpath(source)
        where = _bundle_path(dest, kind)
        owner = owners.get(src)
        if owner and _normalised(owner[0]) != app:
            entry = dists.setdefault(owner[0], {"version": owner[1], "paths": set()})
            entry["paths"].add(where)
        elif owner or src.startswith(app_dir):
            continue  # the app itself (its sources, or its editable install's finder)
        elif src.startswith(stdlib + os.sep) or os.path.basename(src).startswith("libpython"):
            python.add(where)
        else:
            system[src] = where
    packages, unknown = _debian_packages(system)
    manifest = {
        "executable": EXECUTABLE,
        "python": {"version": sys.version.split()[0], "paths": sorted(python)},
        "distributions": {
            n: {"version": d["version"], "paths": sorted(d["paths"])} for n, d in dists.items()
        },
        "debian_packages": packages,
        "unknown": sorted(unknown),
    }
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def _bundle_path(dest: str, kind: str) -> str:
    """Where a bundled file lies, as a copyright ``Files:`` pattern relative to the bundle."""
    if kind in ("PYMODULE", "PYSOURCE"):
        return EXECUTABLE  # inside the executable's archive
    top, sep, _ = dest.replace("\\", "/").partition("/")
    return f"_internal/{top}/*" if sep else f"_internal/{top}"


def _distribution_files() -> dict[str, tuple[str, str]]:
    """Every file of every installed distribution → (name, version)."""
    owners: dict[str, tuple[str, str]] = {}
    for dist in md.distributions():
        name, version = dist.metadata["Name"], dist.version
        for file in dist.files or ():
            owners[os.path.normpath(str(dist.locate_file(file)))] = (name, version)
    return owners


def _debian_packages(files: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Bundled system files by the Debian package that installed them, and those of none."""
    if not files:
        return {}, []
    variants: dict[str, str] = {}  # a path dpkg may know → the source path
    for src in files:
        real = os.path.realpath(src)
        for path in (src, real):
            variants[path] = src
            if path.startswith("/usr/lib/"):
                variants[path.removeprefix("/usr")] = src
            elif path.startswith("/lib/"):
                variants["/usr" + path] = src
    found: dict[str, str] = {}
    if shutil.which("dpkg-query"):
        out = subprocess.run(
            ["dpkg-query", "-S", *variants], capture_output=True, text=True, check=False
        ).stdout
        for line in out.splitlines():
            owner, sep, path = line.partition(": /")
            if sep and "diversion" not in owner and ("/" + path) in variants:
                found.setdefault(variants["/" + path], owner.split(",")[0].split(":")[0])
    packages: dict[str, Any] = {}
    for src, pkg in sorted(found.items()):
        packages.setdefault(pkg, {"version": _debian_version(pkg), "paths": []})
        if files[src] not in packages[pkg]["paths"]:
            packages[pkg]["paths"].append(files[src])
    return packages, [files[s] for s in files if s not in found]


def _debian_version(package: str) -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


# --- the copyright file ---------------------------------------------------------------------


def read_manifest(bundle: Path) -> dict[str, Any]:
    """The manifest build.spec wrote into the bundle.

    Raises:
        PackagingError: the bundle has none (built before the manifest existed, or not by
            build.spec).
    """
    for path in (bundle / "_internal" / MANIFEST_NAME, bundle / MANIFEST_NAME):
        if path.is_file():
            manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return manifest
    raise PackagingError(
        f"{bundle} has no {MANIFEST_NAME}: build it with build.spec ('make dist') first"
    )


def _meta(meta: md.PackageMetadata, field: str) -> str:
    """A metadata field's first value, or ''."""
    return str((meta.get_all(field) or [""])[0])


def licence_of(meta: md.PackageMetadata) -> str:
    """A distribution's licence as a short name or SPDX expression, from its metadata.

    Raises:
        PackagingError: the metadata names no licence.
    """
    if expression := _meta(meta, "License-Expression").strip():
        return expression
    text = _meta(meta, "License").strip()
    if text and "\n" not in text and len(text) <= 160:
        return LICENCE_NAMES.get(text, text)
    classifiers = [
        c.rsplit("::", 1)[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and c.count("::") >= 2
    ]
    if classifiers:
        return " OR ".join(LICENCE_NAMES.get(c, c) for c in classifiers)
    raise PackagingError(
        f"{meta['Name']} {meta['Version']}: its metadata names no licence (no "
        "License-Expression, no short License, no license classifier)"
    )


def licence_texts(dist: md.Distribution) -> list[str]:
    """The licence and notice files a distribution ships, each text once."""
    texts: list[str] = []
    for file in sorted(dist.files or (), key=str):
        in_licences = "licenses" in file.parts[:-1] or "licences" in file.parts[:-1]
        if ".dist-info" not in str(file) or not (in_licences or LICENCE_FILE.match(file.name)):
            continue
        if file.suffix.lower() not in TEXT_SUFFIXES:
            continue  # e.g. av's licenses/ folder also holds a script and its .pyc
        path = Path(str(dist.locate_file(file)))
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        text = CONTROL_CHARS.sub("", text)
        if text.strip() and text not in texts:
            texts.append(text)
    return texts


def holders_of(texts: Sequence[str], meta: md.PackageMetadata) -> list[str]:
    """Copyright lines from the licence texts, else the metadata's author."""
    lines = [ln.strip() for t in texts for ln in t.splitlines() if COPYRIGHT_LINE.match(ln)]
    holders = list(dict.fromkeys(ln for ln in lines if len(ln) < 200))[:8]
    if holders:
        return holders
    for field in ("Author", "Author-email", "Maintainer", "Maintainer-email"):
        if value := _meta(meta, field).strip():
            return [value]
    return [f"the {meta['Name']} authors"]


def _field(name: str, first: str, body: str = "") -> str:
    """A DEP-5 field; a multi-line body is indented, its blank lines written as ' .'."""
    lines = [f"{name}: {first}".rstrip()]
    lines += [f" {ln.rstrip()}" if ln.strip() else " ." for ln in body.strip("\n").splitlines()]
    return "\n".join(lines)


def _files(patterns: Iterable[str]) -> str:
    return " ".join(f"{INSTALL_DIR}/{p}" for p in sorted(set(patterns)))


def copyright_text(manifest: dict[str, Any], project: Project) -> str:
    """The DEP-5 copyright file of the package: the app, then every bundled component.

    Raises:
        PackagingError: a component's licence cannot be told, a bundled distribution is not
            installed in this Python (or in another version), or the manifest lists files of
            unknown origin.
    """
    if manifest.get("unknown"):
        raise PackagingError(
            "bundled files of unknown origin (no distribution, no Debian package): "
            + ", ".join(manifest["unknown"])
        )
    header = "\n".join(
        [
            f"Format: {DEP5}",
            f"Upstream-Name: {project.name}",
            _field(
                "Comment",
                f"{project.name} {project.version} with the components PyInstaller bundled",
                "Generated from the bundled Python distributions' metadata and the bundled "
                "Debian packages' copyright files (resources/packaging/make_deb.py).",
            ),
        ]
    )
    app = "\n".join(
        [
            "Files: *",
            "Copyright: the VideoTranslator Desktop authors",
            _field("License", project.licence, MIT_TEXT if project.licence == "MIT" else ""),
        ]
    )
    return "\n\n".join([header, app, *_component_paragraphs(manifest, project)]) + "\n"


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _component_paragraphs(manifest: dict[str, Any], project: Project) -> list[str]:
    paragraphs: list[str] = []
    python = manifest["python"]
    stdlib_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    text = stdlib_licence.read_text(encoding="utf-8") if stdlib_licence.is_file() else ""
    text = CONTROL_CHARS.sub("", text)
    paragraphs.append(
        "\n".join(
            [
                f"Files: {_files(python['paths'])}",
                "Copyright: Python Software Foundation",
                _field("License", "PSF-2.0", text),
                f"Comment: Python {python['version']} (the interpreter and standard library)",
            ]
        )
    )
    for name, entry in sorted(manifest["distributions"].items(), key=lambda i: i[0].lower()):
        if _normalised(name) != _normalised(project.name):  # the app: the first paragraph
            paragraphs.append(_distribution_paragraph(name, entry))
    for package, entry in sorted(manifest["debian_packages"].items()):
        paragraphs.append(_debian_paragraph(package, entry))
    return paragraphs


def _distribution_paragraph(name: str, entry: dict[str, Any]) -> str:
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        raise PackagingError(
            f"bundled distribution {name} is not installed in {sys.prefix}: run this script "
            "with the venv that built the bundle"
        ) from None
    if dist.version != entry["version"]:
        raise PackagingError(
            f"bundled {name} is {entry['version']} but {sys.prefix} has {dist.version}: "
            "rebuild the bundle ('make dist') or use the venv that built it"
        )
    meta = dist.metadata
    texts = licence_texts(dist)
    where = "its modules are in the executable's archive" if EXECUTABLE in entry["paths"] else ""
    comment = f"Python distribution {name} {dist.version}" + (f"; {where}" if where else "")
    licence = licence_of(meta)
    if not texts:
        comment += "; it ships no licence text"
        common = [
            f"/usr/share/common-licenses/{c}"
            for c in COMMON_LICENCES
            if re.search(rf"(?<![A-Za-z]){re.escape(c)}(?![0-9])", licence)
        ]
        comment += f" (on Debian: {', '.join(common)})" if common else ""
    return "\n".join(
        [
            f"Files: {_files(entry['paths'])}",
            _field("Copyright", "", "\n".join(holders_of(texts, meta))),
            _field("License", licence, "\n\n".join(texts)),
            f"Comment: {comment}",
        ]
    )


def _dep5_licences(text: str) -> list[str]:
    """The distinct License expressions of a machine-readable copyright file's Files
    paragraphs (none when the file is not machine-readable)."""
    if not text.startswith("Format:"):
        return []
    found: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text):
        if re.match(r"Files:", block) and (m := re.search(r"^License:[ \t]*(\S.*)$", block, re.M)):
            found.append(m.group(1).strip())
    return list(dict.fromkeys(found))


def _debian_paragraph(package: str, entry: dict[str, Any]) -> str:
    """A bundled Debian library: its licence names and its whole copyright file."""
    path = Path("/usr/share/doc") / package / "copyright"
    if not path.is_file():
        raise PackagingError(f"bundled files of {package}, but {path} is missing")
    text = CONTROL_CHARS.sub("", path.read_text(encoding="utf-8", errors="replace"))
    names = _dep5_licences(text)
    return "\n".join(
        [
            f"Files: {_files(entry['paths'])}",
            f"Copyright: see the copyright file of the Debian package {package}, below",
            _field("License", ", and ".join(names) if names else "other", text),
            f"Comment: from the Debian package {package} {entry['version']}",
        ]
    )
