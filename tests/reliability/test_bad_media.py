"""A corpus of bad media through ``vt translate``: each refused with its own specific message.

The CLI runs in this process (``vt_desktop.cli.main``); every refusal must be exit code 2 with
a message that names the file and the reason, no traceback, nothing written to the output
folder or the job store, and the source untouched. Refusals happen before any broker or
worker is started, so the corpus needs neither.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import sys
import tempfile
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.media import JFK, garbage_audio_mkv, make_video
from vt_desktop import cli

ROOT = Path(__file__).resolve().parents[2]
Maker = Callable[[Path, Path], Path]


def _text_renamed(tmp: Path, video: Path) -> Path:
    path = tmp / "notes.mp4"
    path.write_text("Shopping list: milk, eggs, bread.\n" * 40)
    return path


def _random_bytes(tmp: Path, video: Path) -> Path:
    path = tmp / "noise.mkv"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    return path


def _truncated(suffix: str) -> Maker:
    def make(tmp: Path, video: Path) -> Path:
        whole = make_video(tmp / f"whole{suffix}") if suffix != ".mp4" else video
        path = tmp / f"cut{suffix}"
        path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        return path

    return make


def _broken_index(tmp: Path, video: Path) -> Path:
    """Every chunk offset in the MP4 sample table points past the end of the file."""
    data = bytearray(video.read_bytes())
    at = data.find(b"stco")
    count = struct.unpack(">I", data[at + 8 : at + 12])[0]
    for k in range(count):
        data[at + 12 + 4 * k : at + 16 + 4 * k] = struct.pack(">I", 0xFFFFFF00)
    path = tmp / "broken-index.mp4"
    path.write_bytes(bytes(data))
    return path


def _zero_bytes(tmp: Path, video: Path) -> Path:
    path = tmp / "empty.mp4"
    path.touch()
    return path


def _no_audio(tmp: Path, video: Path) -> Path:
    return make_video(tmp / "silent-film.mp4", None, seconds=2.0)


def _garbage_audio(tmp: Path, video: Path) -> Path:
    return garbage_audio_mkv(tmp / "garbage-audio.mkv")


def _no_samples(tmp: Path, video: Path) -> Path:
    path = tmp / "nothing.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
    return path


def _directory(tmp: Path, video: Path) -> Path:
    path = tmp / "a folder.mp4"
    path.mkdir()
    return path


def _symlink_loop(tmp: Path, video: Path) -> Path:
    first, second = tmp / "loop-a.mp4", tmp / "loop-b.mp4"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def _dangling(tmp: Path, video: Path) -> Path:
    link = tmp / "link.mp4"
    link.symlink_to(tmp / "nowhere.mp4")
    return link


def _missing(tmp: Path, video: Path) -> Path:
    return tmp / "never-existed.mp4"


def _fifo(tmp: Path, video: Path) -> Path:
    path = tmp / "pipe.mp4"
    os.mkfifo(path)
    return path


#: kind → (how to make it, words its message must contain)
CORPUS: dict[str, tuple[Maker, str]] = {
    "text renamed .mp4": (_text_renamed, "not a video or audio file"),
    "random bytes .mkv": (_random_bytes, "not a video or audio file"),
    "truncated MP4": (_truncated(".mp4"), "damaged or incomplete"),
    "truncated MKV": (_truncated(".mkv"), "cut short"),
    "broken MP4 index": (_broken_index, "cut short"),
    "zero bytes": (_zero_bytes, "0 bytes"),
    "video without audio": (_no_audio, "no sound track"),
    "audio that will not decode": (_garbage_audio, "will not decode"),
    "WAV with no samples": (_no_samples, "length is zero"),
    "a directory": (_directory, "folder"),
    "symlink loop": (_symlink_loop, "loop"),
    "dangling symlink": (_dangling, "link to a file that does not exist"),
    "missing file": (_missing, "does not exist"),
    "FIFO": (_fifo, "not a regular file"),
}


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "jfk.mp4")


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """``cli.main`` sets up logging on the root logger, bound to this test's captured stderr:
    take its handlers away afterwards so later tests do not write to a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def _app_env(monkeypatch: pytest.MonkeyPatch, home: Path, **extra: str) -> None:
    for key, value in {
        "DATA_DIR": home / "data",
        "CACHE_DIR": home / "cache",
        "LOG_DIR": home / "logs",
        "VT_CONFIG_DIR": home / "config",
    }.items():
        monkeypatch.setenv(key, str(value))
    for key, text in extra.items():
        monkeypatch.setenv(key, text)


def _left_behind(home: Path, out: Path) -> list[str]:
    """Files the refused run left in the output folder or the job store's data."""
    found = [str(p) for p in out.rglob("*")] if out.exists() else []
    jobs = home / "data" / "jobs"
    found += [str(p) for p in jobs.rglob("*")] if jobs.exists() else []
    return found


def _refuse(
    capsys: pytest.CaptureFixture[str], path: Path, out: Path, home: Path
) -> tuple[int, str]:
    code = cli.main(["translate", str(path), "--to", "pt", "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not _left_behind(home, out), _left_behind(home, out)
    return code, err


def _digest(path: Path) -> str:
    if path.is_file() and not path.is_symlink():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return "-"


def test_every_kind_of_bad_media_is_refused_with_its_own_message(
    tmp_path: Path,
    video: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    _app_env(monkeypatch, home)
    messages: dict[str, str] = {}
    for kind, (make, words) in CORPUS.items():
        folder = tmp_path / f"k{len(messages)}"
        folder.mkdir()
        path = make(folder, video)
        before = _digest(path)
        code, err = _refuse(capsys, path, out, home)
        assert code == 2, (kind, err)
        assert str(path) in err and words in err, (kind, err)
        assert _digest(path) == before, f"{kind}: the source was changed"
        messages[kind] = err.strip()

    monkeypatch.setenv("MAX_FILE_SIZE", "1000000")
    code, err = _refuse(capsys, JFK, out, home)
    assert code == 2 and "limit of 1.0 MB" in err and str(JFK) in err, err
    messages["over the size limit"] = err.strip()

    code, err = _unreadable_as_nobody(video)
    assert code == 2, err
    assert "permission to read" in err and "locked video.mp4" in err and "Traceback" not in err
    messages["no read permission"] = err.strip()

    assert len(messages) >= 16
    n = len(messages)
    print(f"reliability: bad-media kinds={n} refused={n} crashed=0 left_behind=0")
    for kind, message in messages.items():
        print(f"  {kind}: {message.splitlines()[-1]}")


def _unreadable_as_nobody(video: Path) -> tuple[int, str]:
    """``vt translate`` of a file it may not read, in a forked child.

    Root reads anything, so as root the child first becomes ``nobody``. Returns the exit
    code and what the CLI wrote to stderr.
    """
    folder = Path(tempfile.mkdtemp(prefix="vt-unreadable-"))
    try:
        folder.chmod(0o777)
        locked = folder / "locked video.mp4"
        shutil.copyfile(video, locked)
        locked.chmod(0o000)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 99
            try:
                os.close(read_end)
                sys.stderr = os.fdopen(write_end, "w")
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                for key in ("DATA_DIR", "LOG_DIR", "CACHE_DIR", "VT_CONFIG_DIR"):
                    os.environ[key] = str(folder / key.lower())
                code = cli.main(["translate", str(locked), "--to", "pt"])
                sys.stderr.flush()
            finally:
                os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            err = pipe.read()
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), err
    finally:
        shutil.rmtree(folder)
