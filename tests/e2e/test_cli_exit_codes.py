"""``vt``'s exit codes keep the meaning README gives them: 0 done, 1 a job failed, 2 bad usage
or input, 3 broker or workers unavailable, 130 cancelled (Ctrl-C removes partial outputs).

Each is checked through the real ``vt`` in a subprocess, in remote mode against the test
broker, with real workers under a prefix of their own (or none at all, for 3).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import TestBroker
from tests.support.cli import ROOT, vt, vt_env
from tests.support.media import make_talk_video, make_video
from tests.support.workers import WorkerProcs, worker_procs
from vt_desktop.core.supervisor.broker import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workers(broker: TestBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcs]:
    """One real worker (asr and mt) on the test broker, shared by this module's jobs."""
    with worker_procs(broker.url, tmp_path_factory.mktemp("workers")) as pool:
        pool.start()
        yield pool


def remote_env(home: Path, prefix: str) -> dict[str, str]:
    """``vt``'s environment for remote mode: the test broker, queues under ``prefix``."""
    return vt_env(home) | {"RABBITMQ_RPC_QUEUE": prefix}


def translate_args(broker_url: str, video: Path, out: Path, *more: str) -> list[str]:
    return ["--broker", broker_url, "translate", str(video), "--to", "en", "--model", "tiny.en",
            "--formats", "srt", "--out", str(out), *more]  # fmt: skip


def test_a_job_done_exits_0(workers: WorkerProcs, tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk.mp4")
    out = tmp_path / "out"
    done = vt(*translate_args(workers.url, video, out), env=remote_env(tmp_path, workers.prefix))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "americans" in (out / "jfk.en.srt").read_text().lower()


def test_a_job_that_fails_exits_1_and_says_why(workers: WorkerProcs, tmp_path: Path) -> None:
    """A well-formed model name that the worker cannot get (the hub is offline) fails the job
    on the worker: not bad input, so 1."""
    video = make_video(tmp_path / "jfk.mp4", seconds=4)
    out = tmp_path / "out"
    args = translate_args(workers.url, video, out)
    args[args.index("tiny.en")] = "nobody/no-such-model"
    done = vt(*args, env=remote_env(tmp_path, workers.prefix))
    assert done.returncode == 1, done.stderr[-3000:]
    assert "failed: offline: cannot download nobody/no-such-model" in done.stderr, done.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--formats", "srt,docx"], "unknown format(s) docx"),
        (["--to", "not a language"], "is not a language code"),
        (["--voice", "pt"], "must be LANG=ENGINE[:VOICE]"),
        (["--to"], "expected one argument"),
    ],
    ids=["unknown-format", "bad-language", "bad-voice", "usage"],
)
def test_bad_usage_exits_2_before_any_work_and_says_why(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    video = make_video(tmp_path / "jfk.mp4", seconds=1)
    done = vt("translate", str(video), "--to", "pt", *args, env=vt_env(tmp_path), timeout=60)
    assert done.returncode == 2, done.stderr[-3000:]
    assert reason in done.stderr
    assert "job " not in done.stderr  # refused before a job was made


def test_a_missing_input_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "gone.mp4"
    done = vt("translate", str(missing), "--to", "pt", env=vt_env(tmp_path), timeout=60)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "gone.mp4" in done.stderr


def test_no_broker_exits_3(tmp_path: Path) -> None:
    video = make_video(tmp_path / "jfk.mp4", seconds=1)
    nobody = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    done = vt(*translate_args(nobody, video, tmp_path / "out"), env=vt_env(tmp_path), timeout=180)
    assert done.returncode == 3, done.stderr[-3000:]
    assert "job " not in done.stderr


@pytest.mark.parametrize("source", [[], ["--from", "en"]], ids=["detecting", "transcribing"])
def test_no_worker_serving_asr_exits_3(
    broker: TestBroker, tmp_path: Path, source: list[str]
) -> None:
    """The broker answers, but no worker listens under this prefix: the job's first call
    (language detection, or a segment's transcription when the language is given) waits for
    one as long as ``VT_WORKER_WAIT`` says (a minute by default), then ends ``vt`` with 3,
    not 1."""
    video = make_video(tmp_path / "jfk.mp4", seconds=2)
    out = tmp_path / "out"
    env = remote_env(tmp_path, f"t{uuid.uuid4().hex[:8]}") | {"VT_WORKER_WAIT": "5"}
    args = translate_args(broker.url, video, out, *source)
    began = time.monotonic()
    done = vt("--workers", "0", *args, env=env, timeout=300)
    assert done.returncode == 3, done.stderr[-3000:]
    assert time.monotonic() - began < 45, "the wait is the setting's 5 s, not the default 60"
    assert "no worker serves 'asr'" in done.stderr, done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_mid_job_exits_130_and_leaves_no_outputs(
    workers: WorkerProcs, tmp_path: Path
) -> None:
    talk = make_talk_video(tmp_path / "talk.mp4", seconds=90)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vt_desktop.cli", *translate_args(workers.url, talk, out)],
        env=remote_env(tmp_path, workers.prefix),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        for line in proc.stderr:  # wait until segments are being recognised
            seen.append(line)
            if line.startswith("recognise:"):
                break
        else:
            pytest.fail(f"vt ended before recognising: {''.join(seen)[-3000:]}")
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, rest[-3000:]
    assert "cancelled; partial outputs removed" in rest
    assert not out.exists() or not any(out.iterdir())
