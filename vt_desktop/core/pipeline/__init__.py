"""The job pipeline (Qt-free, async): intake → plan → recognise → translate → write."""

from vt_desktop.core.pipeline.events import PipelineEvent
from vt_desktop.core.pipeline.runner import JobFailed, JobOutcome, PipelineRunner

__all__ = ["JobFailed", "JobOutcome", "PipelineEvent", "PipelineRunner"]
