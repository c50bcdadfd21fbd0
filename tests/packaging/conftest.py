"""The packages' tests share one stand-in bundle and one .deb built from it (a session's
worth: building takes seconds, most of it answering the man pages' ``--help`` runs)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "resources" / "packaging"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
ALLOWED = ("./opt/videotranslator", "./usr/bin", "./usr/share")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


components = load("components")  # first: make_deb imports these by their names
load("manpages")
make_deb = load("make_deb")


def real_file(module: str) -> str:
    """The file an installed module comes from (a real bundled source)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return spec.origin


#: The bundle's executable: the real commands' entry points (their help is what the man
#: pages are made from), chosen by the name it runs under as the frozen one does.
STAND_IN = """#!/bin/sh
export PYTHONPATH={root}
if [ "$(basename "$0")" = vt ]; then
    exec {python} -c 'import sys, vt_desktop.cli as c; sys.exit(c.main(sys.argv[1:]))' "$@"
fi
exec {python} -m vt_desktop "$@"
"""


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-folder bundle like PyInstaller's: executable, _internal/, the manifest."""
    folder = tmp_path_factory.mktemp("bundle") / "VideoTranslator"
    internal = folder / "_internal"
    (internal / "pydantic_core").mkdir(parents=True)
    exe = folder / "VideoTranslator"
    exe.write_text(STAND_IN.format(python=sys.executable, root=ROOT), encoding="utf-8")
    exe.chmod(0o700)  # the build's own mode must not leak into the package
    core = Path(real_file("pydantic_core._pydantic_core"))
    (internal / "pydantic_core" / core.name).write_bytes(b"\x7fELF stand-in")
    (internal / "libz.so.1").write_bytes(b"\x7fELF stand-in")
    entries = [
        ("aio_pika", real_file("aio_pika"), "PYMODULE"),
        (f"pydantic_core/{core.name}", str(core), "EXTENSION"),
        ("json", real_file("json"), "PYMODULE"),  # the standard library: Python's licence
        ("libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "BINARY"),  # Debian's zlib1g
        ("vt_desktop.cli", str(ROOT / "vt_desktop" / "cli.py"), "PYMODULE"),  # the app
        ("pyi_rth_inspect", None, "PYSOURCE"),
    ]
    manifest = components.bundle_manifest(entries, app_root=ROOT)
    (internal / components.MANIFEST_NAME).write_text(manifest, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def deb(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "make_deb.py"), "deb", str(bundle), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    path = out / f"videotranslator_{VERSION}_amd64.deb"
    assert str(path) in done.stdout
    return path


def dpkg_deb(*args: str | Path) -> str:
    done = subprocess.run(
        ["dpkg-deb", *map(str, args)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr
    return done.stdout
