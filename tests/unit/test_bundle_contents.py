"""The installer's parts that run without building: bundle check, resources, smoke media.

The build itself is checked by ``make dist-smoke`` (it runs .ci/check_bundle.py on the real
bundle and the frozen binary's ``--smoke``); these tests pin the rules it relies on.
"""

from __future__ import annotations

import configparser
import importlib.util
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import av
import pytest

from vt_desktop.core.supervisor import workers
from vt_desktop.devtools import smoke
from vt_desktop.devtools.smoke_media import SmokeError, make_clip
from vt_desktop.ui import resources
from worker.engines.models import manager, packaged

ROOT = Path(__file__).resolve().parents[2]


def load_check_bundle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_bundle", ROOT / ".ci" / "check_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(folder: Path, name: str, data: bytes = b"x") -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def clean_bundle(folder: Path, check: ModuleType) -> set[str]:
    """A one-folder layout holding every required file; returns the required modules."""
    for required in check.REQUIRED_FILES:
        write(folder / "_internal", required if "." in Path(required).name else required + "1/m")
    write(folder / "_internal", "PySide6/QtCore.abi3.so")
    write(folder / "_internal", "PySide6/Qt/lib/libQt6Quick.so.6")
    return set(check.REQUIRED_MODULES) | {"PySide6.QtCore", "numpy"}


def test_bundle_check_passes_a_clean_bundle_and_names_every_problem(tmp_path: Path) -> None:
    check = load_check_bundle()
    modules = clean_bundle(tmp_path, check)
    files = check.bundle_files(tmp_path)
    assert check.problems_of(tmp_path, files, modules) == []

    inside = tmp_path / "_internal"
    write(inside, "tests/data/clip.wav")
    write(inside, "somepkg/jfk.flac")
    write(inside, ".env", b"RABBITMQ_PASSWORD=hunter2\n")
    write(inside, "certs/server.pem", b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n")
    write(inside, "config/broker.json", b'{"url": "amqps://vt:s3cret-pw@gpu-box:5671/vt"}')
    write(inside, "PySide6/Qt/lib/libQt6Pdf.so.6")
    (inside / "faster_whisper/assets/silero_vad_v6.onnx").unlink()
    modules |= {"pytest", "PySide6.QtWebEngineCore"}
    modules.discard("worker.services.asr_service")

    problems = check.problems_of(tmp_path, check.bundle_files(tmp_path), modules)

    assert problems == [
        "file that may hold secrets: .env",
        "media file (test data?): somepkg/jfk.flac",
        "test data or test code: tests/data/clip.wav",
        "test or development module: pytest",
        "unused Qt module: QtPdf",
        "unused Qt module: QtWebEngineCore",
        "a private key in certs/server.pem",
        "a broker URL with a password in config/broker.json",
        "missing module: worker.services.asr_service",
        "missing file: faster_whisper/assets/silero_vad_v6.onnx*",
    ]


def test_the_unused_qt_list_keeps_what_the_ffmpeg_multimedia_plugin_needs() -> None:
    unused = set(load_check_bundle().unused_qt_modules())
    assert {"QtWebEngineCore", "QtPdf", "Qt3DCore", "QtQuick3D"} <= unused
    needed = {"QtQuick", "QtQml", "QtNetwork", "QtOpenGL", "QtMultimedia", "QtMultimediaWidgets"}
    assert needed.isdisjoint(unused)


def test_resources_resolve_inside_a_frozen_bundle(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.resource_path(smoke.SAMPLE) == tmp_path / "resources" / smoke.SAMPLE


def test_the_frozen_app_starts_its_workers_as_itself(monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert workers.worker_command() == [sys.executable, "--worker"]
    monkeypatch.setattr(sys, "frozen", False)
    assert workers.worker_command() == [sys.executable, "-m", "worker"]


def test_the_speech_sample_is_small_real_speech_of_five_seconds() -> None:
    sample = resources.resource_path(smoke.SAMPLE)
    assert sample.stat().st_size < 100_000
    with av.open(str(sample)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        seconds = float(stream.duration * stream.time_base)
    assert 4.9 <= seconds <= 5.1


def test_the_smoke_clip_is_a_five_second_video_with_the_sample_as_sound(tmp_path: Path) -> None:
    clip = make_clip(resources.resource_path(smoke.SAMPLE), tmp_path / "clip.mkv")
    with av.open(str(clip)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert container.duration is not None
        assert 4.9 <= container.duration / 1e6 <= 5.2
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 50


def test_a_missing_sample_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(SmokeError, match="speech sample is missing from this install"):
        make_clip(tmp_path / "nope.opus", tmp_path / "clip.mkv")


def test_the_frozen_smoke_takes_the_model_only_from_the_user_cache(
    monkeypatch, tmp_path: Path
) -> None:
    package_model = packaged.packaged_models()["tiny.en"].directory
    assert package_model is not None
    # A frozen build bundles no model package: only the user's cache can hold the model.
    monkeypatch.setattr(manager, "packaged_models", dict)
    with pytest.raises(SmokeError, match=r"tiny.en is not installed.*downloads nothing"):
        smoke.find_speech_model(tmp_path)
    cached = tmp_path / "models" / "whisper" / "tiny.en"
    cached.parent.mkdir(parents=True)
    cached.symlink_to(package_model, target_is_directory=True)
    assert smoke.find_speech_model(tmp_path) == cached


def test_the_desktop_entry_names_the_installed_command_and_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(ROOT / "resources" / "linux" / "videotranslator.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] == "videotranslator %F"  # Open with… passes the files
    types = section["MimeType"].rstrip(";").split(";")
    assert {"video/mp4", "video/x-matroska", "video/webm", "audio/mpeg", "audio/flac"} <= set(types)
    assert section["Icon"] == "videotranslator"
    icons = ROOT / "resources" / "linux" / "icons" / "hicolor"
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = (icons / f"{size}x{size}" / "apps" / "videotranslator.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_the_desktop_entry_is_valid_for_desktop_file_validate() -> None:
    """freedesktop.org's own checker (desktop-file-utils, installed by make sysdeps)."""
    entry = ROOT / "resources" / "linux" / "videotranslator.desktop"
    checked = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not checked.stdout.strip(), checked.stdout  # no warnings either
