"""A Hub test server on a local port, with the worker's download code pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from tests.models.hub_server import HubRepo, HubServer
from tests.mt.tiny_ct2 import (
    build_m2m100_like,
    build_marian_like,
    save_tiny_transformer,
    spm_pieces,
    train_spm,
)

#: What a real repo holds beside the model files: never fetched.
REPO_EXTRAS = {
    ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
    "README.md": b"---\nlicense: cc-by-4.0\n---\n# tiny test model\n",
    "pytorch_model.bin": b"\0" * 4096,
    "tokenizer_config.json": b"{}",
}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A running Hub server; ``HF_ENDPOINT`` names it and offline mode is off for the test.

    ``huggingface_hub`` reads ``HF_HUB_OFFLINE`` once at import (the suite's conftest sets
    it), so its constant is switched off too, as a worker started without it would have it.
    """
    server = HubServer().start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Opus-MT (Marian) CTranslate2 model: source.spm, target.spm, shared vocabulary."""
    return build_marian_like(tmp_path_factory.mktemp("marian") / "model")


@pytest.fixture(scope="session")
def m2m100_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny M2M100 CTranslate2 model with en, de and pt tokens."""
    folder = build_m2m100_like(tmp_path_factory.mktemp("m2m100") / "model", ["en", "de", "pt"])
    (folder / "sentencepiece.bpe.vocab").unlink()  # the Hub repos hold only the .model
    return folder


@pytest.fixture(scope="session")
def madlad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MADLAD-400 layout: one ``spiece.model`` and ``<2xx>`` target tags."""
    folder = tmp_path_factory.mktemp("madlad") / "model"
    folder.mkdir()
    model_file = train_spm(folder / "spiece")
    Path(f"{folder / 'spiece'}.vocab").unlink()
    vocabulary = [*spm_pieces(model_file), "<2en>", "<2de>", "<2pt>"]
    return save_tiny_transformer(folder, vocabulary, seed=11)


def opus_repo(folder: Path, pair: str = "en-de") -> HubRepo:
    """gaudi's repo layout for an Opus-MT pair, holding ``folder``'s model."""
    return HubRepo.from_folder(f"gaudi/opus-mt-{pair}-ctranslate2", folder, **REPO_EXTRAS)
