"""What a running job tells its watchers: stage, progress, ETA for the whole pipeline, logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Share of the whole job's work each stage is expected to take before anything is measured.
STAGE_WEIGHTS: dict[str, float] = {
    "intake": 0.01,
    "plan": 0.06,
    "recognise": 0.70,
    "translate": 0.15,
    "write": 0.08,
}
STAGES = tuple(STAGE_WEIGHTS)
#: The dub stage's share when a job dubs (speaking every line is about as slow as translating).
DUB_WEIGHT = 0.15


def stage_weights(dub: bool = False) -> dict[str, float]:
    """The stage weights of a job: the ``dub`` stage counts only when the job dubs."""
    weights = dict(STAGE_WEIGHTS)
    if dub:
        weights["dub"] = DUB_WEIGHT
    return weights


@dataclass(frozen=True)
class PipelineEvent:
    """One update about a job; ``eta_s`` is None until there is enough to estimate."""

    job_id: str
    stage: str
    progress: float
    stage_progress: float
    eta_s: float | None
    message: str = ""
    level: str = "INFO"


EventSink = Callable[[PipelineEvent], None]


@dataclass
class EtaClock:
    """Overall progress from stage progress, and an ETA from the rate seen so far.

    The ETA is ``elapsed × (1 − p) / p`` over the work done in this run (work resumed from the
    store counts as done at the start, not as speed), smoothed so it does not jump around.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(STAGE_WEIGHTS))
    started: float = field(default_factory=time.monotonic)
    done: dict[str, float] = field(default_factory=dict)
    baseline: float | None = None
    smoothed: float | None = None

    def progress(self) -> float:
        """Overall progress 0..1."""
        total = sum(self.weights.values())
        return sum(self.weights[s] * self.done.get(s, 0.0) for s in self.weights) / total

    def update(self, stage: str, fraction: float) -> tuple[float, float | None]:
        """Record a stage's progress; returns (overall progress, ETA in seconds or None)."""
        self.done[stage] = max(0.0, min(1.0, fraction))
        now = self.progress()
        if self.baseline is None:
            self.baseline = now
            self.started = time.monotonic()
        gained = now - self.baseline
        elapsed = time.monotonic() - self.started
        if gained < 0.02 or elapsed < 0.5:
            return now, self.smoothed
        raw = elapsed * (1.0 - now) / gained
        self.smoothed = raw if self.smoothed is None else 0.7 * self.smoothed + 0.3 * raw
        return now, max(0.0, self.smoothed)
