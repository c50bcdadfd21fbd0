"""The job pipeline (Qt-free, async): intake → plan → recognise → translate → write.

The runner's names load on first use (PEP 562): importing ``core.pipeline.events`` or
``.context`` (the window does, before its first paint) must not pull in the runner's media
stack (numpy, PyAV, faster-whisper's VAD).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vt_desktop.core.pipeline.events import PipelineEvent

if TYPE_CHECKING:
    from vt_desktop.core.pipeline.runner import JobFailed, JobOutcome, PipelineRunner

__all__ = ["JobFailed", "JobOutcome", "PipelineEvent", "PipelineRunner"]
_RUNNER_NAMES = frozenset({"JobFailed", "JobOutcome", "PipelineRunner"})


def __getattr__(name: str) -> Any:
    if name in _RUNNER_NAMES:
        from vt_desktop.core.pipeline import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
