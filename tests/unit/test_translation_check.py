"""Before any work, a job's targets are judged against what the workers' ``mt.languages``
answers (here a real ``mt`` service's answer, not a hand-written list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vt_desktop.core.pipeline.translate import refusal
from worker.protocol.mt import EngineLanguages
from worker.services.base import WorkerInfo
from worker.services.mt_service import MtService


def answer(tmp_path: Path, **settings: Any) -> list[EngineLanguages]:
    """What a worker with these mt settings answers to ``mt.languages``."""
    info = WorkerInfo(worker_id="t", config_dir=str(tmp_path), cache_dir=str(tmp_path))
    return MtService(MtService.Settings(**settings), info).engine_languages()


def test_out_of_the_box_only_english_and_portuguese_translate(tmp_path: Path) -> None:
    engines = answer(tmp_path)

    assert refusal(engines, "en", ["pt", "pt-BR"], None) is None
    assert refusal(engines, "pt", ["en"], None) is None
    why = refusal(engines, "en", ["pt", "de", "ja"], None)

    assert why is not None
    assert why.startswith(
        "no translation model for en → de, en → ja (the workers offer bergamot: en → pt, "
        "pt → en); install one: for en → de: `vt models download opus-mt-en-de` (≈ 155 MB) or "
        "`vt models download m2m100-418m` (≈ 483 MB); for en → ja: `vt models download "
        "opus-mt-en-ja`"
    )
    assert "two models through English" in why
    assert "llm_base_url and llm_model" in why


def test_a_target_in_the_spoken_language_needs_no_engine(tmp_path: Path) -> None:
    assert refusal(answer(tmp_path), "de", ["de-AT", "de"], None) is None
    assert refusal(answer(tmp_path), "de", ["de", "pt"], None) is not None


def test_an_llm_endpoint_translates_any_pair_when_the_workers_choose_or_it_is_named(
    tmp_path: Path,
) -> None:
    engines = answer(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m")

    assert refusal(engines, "en", ["de", "ja"], None) is None
    assert refusal(engines, "fr", ["de"], "llm") is None


@pytest.mark.parametrize(
    ("engine", "complaint"),
    [
        ("bergamot", "engine 'bergamot' cannot translate en → de (it translates en → pt, pt → en)"),
        ("ct2", "engine 'ct2' cannot run on the workers: no CTranslate2 translation model"),
        ("llm", "engine 'llm' cannot run on the workers: set llm_base_url and llm_model"),
        ("deepl", "the workers have no translation engine 'deepl' (engines: bergamot, ct2, "),
    ],
)
def test_an_engine_named_is_the_only_one_asked(tmp_path: Path, engine: str, complaint: str) -> None:
    why = refusal(answer(tmp_path), "en", ["de"], engine)

    assert why is not None and why.startswith(complaint), why


def test_whisper_is_never_the_automatic_choice_for_text(tmp_path: Path) -> None:
    engines = [e for e in answer(tmp_path) if e.engine == "whisper"]

    assert refusal(engines, "de", ["en"], "whisper") is None
    assert refusal(engines, "de", ["en"], None) is not None
