"""The .deb and .tar.gz of the build, made from a small stand-in bundle with the real script.

The PyInstaller build itself takes minutes, so ``make deb-smoke`` builds, installs, smoke-runs
and purges the real package; these tests build a package from a few files (an executable
shell script, a library, the manifest build.spec would write from real installed files) with
``resources/packaging/make_deb.py`` and the real ``dpkg-deb``, and check what comes out.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.packaging.conftest import (
    ALLOWED,
    PACKAGING,
    ROOT,
    VERSION,
    components,
    dpkg_deb,
    load,
)


def test_manifest_names_the_component_of_every_bundled_file(bundle: Path) -> None:
    manifest = json.loads((bundle / "_internal" / components.MANIFEST_NAME).read_text())
    dists = manifest["distributions"]
    assert set(dists) == {"aio-pika", "pydantic_core"}
    assert dists["aio-pika"]["paths"] == ["VideoTranslator"]  # pure modules: the archive
    assert dists["pydantic_core"]["paths"] == ["_internal/pydantic_core/*"]
    assert manifest["python"]["paths"] == ["VideoTranslator"]
    assert manifest["debian_packages"]["zlib1g"]["paths"] == ["_internal/libz.so.1"]
    assert manifest["unknown"] == []


def test_control_fields_version_dependencies(deb: Path) -> None:
    fields = dict(
        line.split(": ", 1)
        for line in dpkg_deb("--field", deb).splitlines()
        if not line.startswith(" ")
    )
    assert fields["Package"] == "videotranslator"
    assert fields["Version"] == VERSION
    assert fields["Architecture"] == "amd64"
    depends = fields["Depends"].split(", ")
    assert depends[0] == "rabbitmq-server"
    assert {"libc6 (>= 2.36)", "libgl1", "libegl1", "libxcb1"} <= set(depends)
    assert fields["Recommends"].split(", ")[0] == "espeak-ng"
    assert re.fullmatch(r"[^<>]+ <[^@\s]+@[^@\s]+>", fields["Maintainer"])
    assert int(fields["Installed-Size"]) > 0
    assert fields["Description"].strip()
    info = dpkg_deb("--info", deb)
    assert " md5sums" in info and " control" in info


def test_layout_stays_in_opt_usr_bin_and_usr_share(deb: Path) -> None:
    rows = [line.split(maxsplit=5) for line in dpkg_deb("--contents", deb).splitlines()]
    names = {row[5].split(" -> ")[0]: row for row in rows}
    for name, row in names.items():
        assert row[1] == "root/root", row
        parent_of_allowed = any(a.startswith(name.rstrip("/") + "/") for a in ALLOWED)
        inside = name.rstrip("/") in ALLOWED or name.startswith(tuple(a + "/" for a in ALLOWED))
        assert inside or parent_of_allowed or name == "./", f"outside the allowed places: {name}"
    assert names["./opt/videotranslator/VideoTranslator"][0] == "-rwxr-xr-x"
    assert names["./opt/videotranslator/_internal/libz.so.1"][0] == "-rw-r--r--"
    for command in ("videotranslator", "vt"):
        row = names[f"./usr/bin/{command}"]
        assert row[0].startswith("l")
        assert row[5].endswith("-> /opt/videotranslator/VideoTranslator")
    assert "./usr/share/applications/videotranslator.desktop" in names
    icons = ROOT / "resources" / "linux" / "icons" / "hicolor"
    for icon in icons.rglob("*.*"):
        assert f"./usr/share/icons/hicolor/{icon.relative_to(icons).as_posix()}" in names
    assert "./usr/share/doc/videotranslator/copyright" in names
    assert "./usr/share/doc/videotranslator/changelog.gz" in names  # native: not .Debian.gz
    for command in ("videotranslator", "vt"):
        assert names[f"./usr/share/man/man1/{command}.1.gz"][0] == "-rw-r--r--"


def test_md5sums_match_the_files(deb: Path, tmp_path: Path) -> None:
    dpkg_deb("--raw-extract", deb, tmp_path)
    listed = (tmp_path / "DEBIAN" / "md5sums").read_text().splitlines()
    files = {
        p.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_symlink() and "DEBIAN" not in p.parts
    }
    assert {line.split("  ", 1)[1] for line in listed} == files
    for line in listed:
        digest, name = line.split("  ", 1)
        assert (
            hashlib.md5((tmp_path / name).read_bytes(), usedforsecurity=False).hexdigest() == digest
        ), name


def paragraphs(text: str) -> list[dict[str, str]]:
    """DEP-5 paragraphs as {field: first line}; continuation lines must start with a space."""
    result = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(" "):
                assert fields, f"continuation line before any field: {line!r}"
                continue
            name, sep, value = line.partition(":")
            assert sep and re.fullmatch(r"[A-Za-z-]+", name), f"not a field: {line!r}"
            fields[name] = value.strip()
        result.append(fields)
    return result


def test_copyright_is_dep5_and_lists_every_bundled_licence(deb: Path, tmp_path: Path) -> None:
    dpkg_deb("--extract", deb, tmp_path)
    text = (tmp_path / "usr/share/doc/videotranslator/copyright").read_text(encoding="utf-8")
    header, *files = paragraphs(text)
    assert header["Format"] == components.DEP5
    assert files[0] == {"Files": "*", "Copyright": files[0]["Copyright"], "License": "MIT"}
    for paragraph in files:
        assert paragraph["Files"] and paragraph["License"], paragraph
        assert "Copyright" in paragraph, paragraph
    licences = {p["Comment"].split(";")[0]: p["License"] for p in files if "Comment" in p}
    assert licences[f"Python {sys.version.split()[0]} (the interpreter and standard library)"] == (
        "PSF-2.0"
    )
    aio = next(k for k in licences if k.startswith("Python distribution aio-pika "))
    assert licences[aio] == "Apache-2.0"
    core = next(k for k in licences if k.startswith("Python distribution pydantic_core "))
    assert licences[core] == "MIT"
    zlib = next(k for k in licences if k.startswith("from the Debian package zlib1g "))
    assert "Zlib" in licences[zlib]
    assert "Apache License" in text  # aio-pika's own licence text, not only its name
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in text


def test_installs_and_purges_clean_in_a_throwaway_root(deb: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("dpkg --root installs as root (CI and make deb-smoke run as root)")
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless"]
    before = {p for p in root.rglob("*")}
    done = subprocess.run(
        [*dpkg, "--install", str(deb)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "opt/videotranslator/VideoTranslator").is_file()
    assert os.readlink(root / "usr/bin/vt") == "/opt/videotranslator/VideoTranslator"
    done = subprocess.run(
        [*dpkg, "--purge", "videotranslator"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    left = {p for p in root.rglob("*") if not str(p).startswith(str(root / "var"))}
    assert left - before == set(), sorted(left - before)


def test_tarball_holds_the_folder_a_vt_link_and_an_install_note(
    bundle: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PACKAGING / "make_deb.py"),
            "tarball",
            str(bundle),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    top = f"videotranslator-{VERSION}"
    with tarfile.open(tmp_path / f"{top}-linux-x86_64.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        note = tar.extractfile(f"{top}/INSTALL.txt")
        assert note is not None
        assert "rabbitmq-server" in note.read().decode()
    assert all(name == top or name.startswith(top + "/") for name in members)
    assert all(m.uid == 0 and m.gid == 0 for m in members.values())
    assert members[f"{top}/vt"].issym() and members[f"{top}/vt"].linkname == "VideoTranslator"
    assert members[f"{top}/VideoTranslator"].mode == 0o755
    for part in (
        "share/applications/videotranslator.desktop",
        "share/doc/videotranslator/copyright",
        "_internal/libz.so.1",
    ):
        assert f"{top}/{part}" in members


def metadata(**fields: str | list[str]) -> email.message.Message:
    message = email.message.Message()
    for name, value in {"Name": "demo", "Version": "1.0", **fields}.items():
        for item in [value] if isinstance(value, str) else value:
            message[name.replace("_", "-")] = item
    return message


def test_licence_is_read_from_expression_then_short_text_then_classifiers() -> None:
    licence_of = components.licence_of
    assert licence_of(metadata(License_Expression="MIT OR Apache-2.0", License="x")) == (
        "MIT OR Apache-2.0"
    )
    assert licence_of(metadata(License="Apache 2.0")) == "Apache-2.0"
    classifiers = ["License :: OSI Approved :: MIT License", "Topic :: Multimedia"]
    assert licence_of(metadata(License="a very long text\nover lines", Classifier=classifiers)) == (
        "MIT"
    )
    with pytest.raises(
        components.PackagingError, match=r"demo 1\.0: its metadata names no licence"
    ):
        licence_of(metadata(Classifier=["Topic :: Multimedia"]))


def test_bundle_of_unknown_origin_or_another_venv_is_refused() -> None:
    project = components.Project("videotranslator-desktop", VERSION, "d", "MIT")
    base = {"python": {"version": "3", "paths": []}, "debian_packages": {}, "unknown": []}
    unknown = {**base, "distributions": {}, "unknown": ["_internal/libmystery.so"]}
    with pytest.raises(components.PackagingError, match=r"unknown origin.*libmystery"):
        components.copyright_text(unknown, project)
    stale = {**base, "distributions": {"pydantic": {"version": "0.0.1", "paths": ["x"]}}}
    with pytest.raises(components.PackagingError, match=r"bundled pydantic is 0\.0\.1 but"):
        components.copyright_text(stale, project)


def test_bundle_without_manifest_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "VideoTranslator").write_text("#!/bin/sh\n")
    done = subprocess.run(
        [
            sys.executable,
            str(PACKAGING / "make_deb.py"),
            "deb",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "has no bundled-components.json: build it with build.spec" in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.deb"))


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [("/usr/bin/vt", "usage: vt"), ("vt", "usage: vt"), ("/usr/bin/videotranslator", "")],
)
def test_runtime_hook_runs_the_cli_only_under_the_name_vt(argv0: str, expected: str) -> None:
    hook = PACKAGING / "rthook_vt.py"
    # Run as PyInstaller runs a runtime hook: its code in __main__, argv as the process got it
    # (runpy.run_path would replace argv[0] with the hook's own path).
    script = (
        f"import sys; sys.argv = [{argv0!r}, '--help']; "
        f"code = compile(open({str(hook)!r}).read(), 'rthook_vt', 'exec'); "
        "exec(code, {'__name__': '__main__'})"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(expected) if expected else done.stdout == ""


def test_install_check_names_paths_outside_the_three_places() -> None:
    deb_smoke = load("deb_smoke")
    listed = [
        "/.",
        "/opt",
        "/opt/videotranslator",
        "/opt/videotranslator/_internal/x.so",
        "/usr",
        "/usr/bin",
        "/usr/bin/vt",
        "/usr/share/doc/videotranslator/copyright",
    ]
    assert deb_smoke.outside_allowed(listed) == []
    stray = ["/etc/videotranslator.conf", "/opt/other", "/usr/lib/libx.so", "/opt/videotranslatorx"]
    assert deb_smoke.outside_allowed(listed + stray) == stray
