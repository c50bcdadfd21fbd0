"""Specification of media intake: what is accepted, what is refused and how it is said."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.media import JFK, decode_mono, espeak, garbage_audio_mkv, make_video
from vt_desktop.core.media import (
    AudioUndecodableError,
    CorruptMediaError,
    EmptyMediaError,
    IntakeError,
    IsADirectoryMediaError,
    MediaNotFoundError,
    MediaTooLargeError,
    NoAudioStreamError,
    NotARegularFileError,
    NotMediaError,
    SymlinkLoopError,
    UnreadableMediaError,
    ZeroDurationError,
    pick_audio_stream,
    probe,
)

LIMIT = 2_000_000_000


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "jfk.mp4")


@pytest.fixture(scope="module")
def mkv(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "jfk.mkv")


def refusal(path: Path, expected: type[IntakeError], *, max_size: int = LIMIT) -> IntakeError:
    with pytest.raises(expected) as caught:
        probe(path, max_size=max_size)
    message = str(caught.value)
    assert str(path) in message, "every refusal names the file"
    assert caught.value.path == path
    return caught.value


def test_jfk_flac_is_accepted_as_audio_only_media():
    info = probe(JFK, max_size=LIMIT)

    assert info.container == "flac"
    assert info.video is None
    assert info.duration_s == pytest.approx(11.0, abs=0.01)
    assert info.size_bytes == JFK.stat().st_size
    (stream,) = info.audio_streams
    assert (stream.index, stream.codec, stream.sample_rate) == (0, "flac", 44100)
    assert stream.channels == 2
    assert stream.language is None
    assert stream.duration_s == pytest.approx(11.0, abs=0.01)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_video_made_from_jfk_is_accepted_with_its_video_and_audio(tmp_path, suffix):
    path = make_video(tmp_path / f"clip{suffix}", size=(176, 144), fps=10)

    info = probe(path, max_size=LIMIT)

    assert info.video is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 176, 144)
    assert info.video.fps == pytest.approx(10.0)
    assert info.duration_s == pytest.approx(11.0, abs=0.1)
    (stream,) = info.audio_streams
    assert stream.codec == "aac"
    assert stream.index == 1  # the container's index: video is stream 0
    assert stream.sample_rate == 48000


def test_path_with_unicode_and_spaces_is_accepted(tmp_path):
    path = tmp_path / "Mon dossier été" / "Vidéo ünïcode 日本語 talk.flac"
    path.parent.mkdir()
    shutil.copyfile(JFK, path)

    assert probe(path, max_size=LIMIT).duration_s == pytest.approx(11.0, abs=0.01)


def test_probing_never_changes_or_writes_next_to_the_source(tmp_path, video):
    source = tmp_path / "keep.mp4"
    shutil.copyfile(video, source)
    before = (source.stat().st_mtime_ns, hashlib.sha256(source.read_bytes()).hexdigest())

    probe(source, max_size=LIMIT)

    after = (source.stat().st_mtime_ns, hashlib.sha256(source.read_bytes()).hexdigest())
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_missing_file_is_refused_as_not_found(tmp_path):
    error = refusal(tmp_path / "gone.mp4", MediaNotFoundError)
    assert error.kind == "not_found"
    assert "does not exist" in str(error)


def test_dangling_symlink_is_refused_as_not_found(tmp_path):
    link = tmp_path / "link.mp4"
    link.symlink_to(tmp_path / "nowhere.mp4")
    assert "link to a file that does not exist" in str(refusal(link, MediaNotFoundError))


def test_directory_is_refused_as_a_folder(tmp_path):
    error = refusal(tmp_path, IsADirectoryMediaError)
    assert error.kind == "is_directory"
    assert "folder" in str(error)


def test_fifo_is_refused_as_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    error = refusal(fifo, NotARegularFileError)
    assert error.kind == "not_a_file"


def test_symlink_loop_is_refused(tmp_path):
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    first.symlink_to(second)
    second.symlink_to(first)
    error = refusal(first, SymlinkLoopError)
    assert error.kind == "symlink_loop"
    assert "loop" in str(error)


def _probe_as_nobody(path: Path) -> str:
    """Probe ``path`` in a forked child that has dropped root for user ``nobody``.

    Returns:
        ``"<class name>|<kind>|<message>"`` of the refusal, or ``"accepted"``.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            os.setgid(65534)
            os.setuid(65534)
            probe(path, max_size=LIMIT)
            outcome = "accepted"
        except IntakeError as error:
            outcome = f"{type(error).__name__}|{error.kind}|{error}"
        except BaseException as error:
            outcome = f"crashed|{error!r}"
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


def test_file_without_read_permission_is_refused_as_unreadable(video):
    """Root reads any file, so as root the probe runs in a child that has become ``nobody``."""
    folder = Path(tempfile.mkdtemp(prefix="vt-unreadable-"))
    try:
        folder.chmod(0o755)
        locked = folder / "locked video.mp4"
        shutil.copyfile(video, locked)
        locked.chmod(0o000)
        if os.geteuid() == 0:
            name, kind, message = _probe_as_nobody(locked).split("|")
        else:
            error = refusal(locked, UnreadableMediaError)
            name, kind, message = type(error).__name__, error.kind, str(error)
        assert (name, kind) == ("UnreadableMediaError", "unreadable")
        assert str(locked) in message
        assert "permission to read" in message
    finally:
        shutil.rmtree(folder)


def test_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    error = refusal(empty, EmptyMediaError)
    assert error.kind == "empty"
    assert "0 bytes" in str(error)


def test_file_over_the_size_limit_is_refused_with_size_and_limit_in_mb():
    error = refusal(JFK, MediaTooLargeError, max_size=1_000_000)
    assert error.kind == "too_large"
    assert "1.2 MB" in str(error)
    assert "limit of 1.0 MB" in str(error)


def test_text_renamed_mp4_is_refused_as_not_media(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("Shopping list: milk, eggs, bread.\n" * 40)
    error = refusal(fake, NotMediaError)
    assert error.kind == "not_media"
    assert "not a video or audio file" in str(error)


def test_truncated_mp4_is_refused_as_corrupt(tmp_path, video):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    error = refusal(cut, CorruptMediaError)
    assert error.kind == "corrupt"
    assert "damaged or incomplete" in str(error)


def test_truncated_mkv_is_refused_as_cut_short(tmp_path, mkv):
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(mkv.read_bytes()[: mkv.stat().st_size // 2])
    error = refusal(cut, CorruptMediaError)
    assert "cut short" in str(error)
    assert "should last 11.0 s" in str(error)


def test_video_without_audio_is_refused_as_having_no_sound(tmp_path):
    silent = make_video(tmp_path / "silent.mp4", None, seconds=2.0)
    error = refusal(silent, NoAudioStreamError)
    assert error.kind == "no_audio"
    assert "no sound track" in str(error)


def test_wav_with_no_samples_is_refused_as_zero_duration(tmp_path):
    path = tmp_path / "nothing.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
    error = refusal(path, ZeroDurationError)
    assert error.kind == "zero_duration"


def test_audio_stream_of_garbage_is_refused_as_undecodable(tmp_path):
    path = garbage_audio_mkv(tmp_path / "garbage-audio.mkv")
    error = refusal(path, AudioUndecodableError)
    assert error.kind == "audio_undecodable"
    assert "will not decode" in str(error)


def test_every_refusal_kind_is_distinct():
    kinds = [cls.kind for cls in IntakeError.__subclasses__()]
    assert len(kinds) == len(set(kinds)) == 13


def _two_language_video(path: Path, english: np.ndarray, german: np.ndarray) -> Path:
    with av.open(str(path), "w") as out:
        streams = []
        for language in ("eng", "ger"):
            stream = out.add_stream("aac", rate=16000, layout="mono")
            stream.metadata["language"] = language
            streams.append(stream)
        for stream, samples in zip(streams, (english, german), strict=True):
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate, frame.pts = 16000, 0
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                out.mux(packet)
    return path


def test_two_language_file_offers_both_streams_and_picks_the_preferred(tmp_path):
    english = decode_mono(JFK)
    german = decode_mono(espeak(tmp_path / "de.wav", "Guten Morgen, wie geht es dir?", "de"))
    path = _two_language_video(tmp_path / "dual.mkv", english, german)

    info = probe(path, max_size=LIMIT)

    assert [(s.index, s.language) for s in info.audio_streams] == [(0, "eng"), (1, "ger")]
    assert pick_audio_stream(info, ["de"]).index == 1
    assert pick_audio_stream(info, ["fr", "ger"]).index == 1
    assert pick_audio_stream(info, ["en-US", "de"]).index == 0
    assert pick_audio_stream(info, ["fr"]).index == 0
    assert pick_audio_stream(info).index == 0
    german_stream = pick_audio_stream(info, ["deu"])
    assert german_stream.duration_s == pytest.approx(german.size / 16000, abs=0.1)
