"""``vt``'s progress: live bars with the ETA on a terminal, plain lines anywhere else."""

from __future__ import annotations

import io

from vt_desktop.cli import ProgressLine
from vt_desktop.core.pipeline import PipelineEvent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def event(stage: str, progress: float, stage_progress: float, **kw: object) -> PipelineEvent:
    fields: dict[str, object] = {"eta_s": 75.0, "message": "", "level": "INFO", **kw}
    return PipelineEvent("job1", stage, progress, stage_progress, **fields)  # type: ignore[arg-type]


def test_off_a_terminal_each_stage_and_the_end_is_one_plain_line() -> None:
    out = io.StringIO()
    line = ProgressLine(out)
    line(event("recognise", 0.2, 0.1, eta_s=None, message="segment 1"))
    line(event("recognise", 0.4, 0.6, message="segment 2"))
    line(event("translate", 0.7, 0.5, message="batch 1"))
    line(event("write", 1.0, 1.0, message="done: 3 file(s) written"))
    line(event("write", 1.0, 1.0, level="WARNING", message="a gap"))
    line.end()
    assert out.getvalue().splitlines() == [
        "recognise: 20% segment 1",
        "translate: 70% ETA 1:15 batch 1",
        "write: 100% ETA 1:15 done: 3 file(s) written",
        "warning: a gap",
    ]


def test_on_a_terminal_the_job_and_each_stage_get_a_bar_with_the_eta() -> None:
    out = Terminal()
    line = ProgressLine(out)
    line(event("recognise", 0.3, 0.5, message="segment 4 of 8"))
    line(event("translate", 0.6, 0.25, level="WARNING", message="batch 2 not translated"))
    line(event("translate", 0.7, 0.5, message="batch 3"))
    line.end()
    text = out.getvalue()
    for words in ("job", "recognise", "translate", "ETA 1:15", "segment 4 of 8"):
        assert words in text
    assert "warning: batch 2 not translated" in text
    line(event("write", 0.9, 0.5))  # the next job draws afresh
    line.end()
    assert "write" in out.getvalue()
