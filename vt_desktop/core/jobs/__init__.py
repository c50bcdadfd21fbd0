"""Jobs: what the user asked for, and the SQLite store that keeps every result as it arrives."""

from vt_desktop.core.jobs.model import JobRecord, JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore

__all__ = ["JobRecord", "JobSpec", "JobState", "JobStore"]
