"""Progress and ETA count the dub stage only for jobs that dub."""

from __future__ import annotations

import pytest

from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.pipeline.events import STAGE_WEIGHTS, EtaClock, stage_weights


def test_dub_weight_only_when_dubbing() -> None:
    assert stage_weights() == STAGE_WEIGHTS and "dub" not in STAGE_WEIGHTS
    assert set(stage_weights(dub=True)) == {*STAGE_WEIGHTS, "dub"}


def test_a_dubbing_job_is_not_done_until_its_dub_stage_is() -> None:
    clock = EtaClock(stage_weights(dub=True))
    for stage in STAGE_WEIGHTS:
        clock.update(stage, 1.0)
    assert clock.progress() < 0.9
    clock.update("dub", 0.5)
    halfway = clock.progress()
    clock.update("dub", 1.0)
    assert halfway < clock.progress() == pytest.approx(1.0)


def test_job_spec_dub_fields_default_off_and_are_checked(tmp_path) -> None:
    spec = JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path)
    assert (spec.dub, spec.dub_mode, spec.dub_voices) == (False, "duck", {})
    with pytest.raises(ValueError, match="dub_mode"):
        JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path, dub_mode="mute")
