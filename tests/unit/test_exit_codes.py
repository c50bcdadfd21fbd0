"""``vt``'s exit code for an error is decided in one place (``cli.exit_code``), by its class
and, for a failed job, by the class of what failed it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vt_desktop.cli import exit_code
from vt_desktop.core.media import NotMediaError
from vt_desktop.core.pipeline import JobFailed
from vt_desktop.core.pipeline.translate import NoTranslationEngine
from vt_desktop.core.supervisor import BrokerMissing
from vt_desktop.core.video import MediaError
from worker.protocol.errors import BrokerError, Cancelled, ModelUnavailable, NoWorker


def failed_by(cause: BaseException) -> JobFailed:
    """A job's failure as the runner raises it: ``JobFailed(message) from cause``."""
    try:
        raise JobFailed(str(cause)) from cause
    except JobFailed as exc:
        return exc


CASES = {
    "job failed: remux": (failed_by(MediaError("cannot remux")), 1),
    "job failed: worker": (failed_by(ModelUnavailable("offline: cannot download x/y")), 1),
    "job failed: refused": (failed_by(JobFailed("whisper translates into English only")), 1),
    "job failed: bug raising ValueError": (failed_by(ValueError("a bug")), 1),
    "job failed: bug": (failed_by(RuntimeError("a bug")), 1),
    "bad option": (ValueError("unknown format(s) docx"), 2),
    "bad input": (NotMediaError(Path("notes.mp4"), "not a video"), 2),
    "no engine for a target": (NoTranslationEngine("no translation model for en → de"), 2),
    "job failed: no engine after detection": (
        failed_by(NoTranslationEngine("no translation model for en → de")),
        2,
    ),
    "job failed: no worker": (failed_by(NoWorker("no worker serves 'asr'")), 3),
    "job failed: broker gone": (failed_by(BrokerError("message broker unavailable")), 3),
    "no rabbitmq-server": (BrokerMissing(), 3),
    "Ctrl-C": (KeyboardInterrupt(), 130),
    "job cancelled": (asyncio.CancelledError(), 130),
    "job failed: calls cancelled": (failed_by(Cancelled()), 130),
}


@pytest.mark.parametrize(("error", "code"), CASES.values(), ids=CASES.keys())
def test_each_error_maps_to_its_documented_exit_code(error: BaseException, code: int) -> None:
    assert exit_code(error) == code
