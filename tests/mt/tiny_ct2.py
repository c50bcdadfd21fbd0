"""Build tiny CTranslate2 translation models with random weights, in the real on-disk layouts.

No Opus-MT, NLLB or M2M100 model ships in a package, so tests make their own: a sentencepiece
model trained on a few sentences, and a one-layer Transformer saved with CTranslate2's own spec
API. The output is gibberish; what the tests check is loading, tokenising, batching and the
language-token handling.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sentencepiece
from ctranslate2.specs import common_spec, transformer_spec

D_MODEL = 16
FFN = 32
HEADS = 2

TRAINING_TEXT = [
    "And so, my fellow Americans, ask not what your country can do for you.",
    "Ask what you can do for your country.",
    "The quick brown fox jumps over the lazy dog.",
    "E assim, meus caros americanos, não perguntem o que o seu país pode fazer por vocês.",
    "Perguntem o que vocês podem fazer pelo seu país.",
    "O rápido raposa marrom pula sobre o cão preguiçoso.",
    "Subtitles should be short and easy to read on screen.",
    "Legendas devem ser curtas e fáceis de ler na tela.",
] * 4


def train_spm(prefix: Path, vocab_size: int = 120) -> Path:
    """Train a small sentencepiece model; returns the ``.model`` path."""
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_TEXT),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="bpe",
        hard_vocab_limit=False,
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        minloglevel=2,
    )
    return Path(f"{prefix}.model")


def spm_pieces(model_file: Path) -> list[str]:
    """All pieces of a sentencepiece model, in id order."""
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _fill(spec: object, rng: np.random.Generator, vocab_size: int) -> None:
    """Give every layer norm and embedding of a Transformer spec a value of the right shape."""
    for name, value in list(vars(spec).items()):
        if not name.startswith("_"):
            for item in value if isinstance(value, list) else [value]:
                _fill_layer(item, rng, vocab_size)


def _fill_layer(value: object, rng: np.random.Generator, vocab_size: int) -> None:
    if isinstance(value, common_spec.LayerNormSpec):
        value.gamma = np.ones(D_MODEL, dtype=np.float32)
        value.beta = np.zeros(D_MODEL, dtype=np.float32)
    elif isinstance(value, common_spec.EmbeddingsSpec):
        value.weight = rng.normal(0, 0.5, (vocab_size, D_MODEL)).astype(np.float32)
    elif hasattr(value, "__dict__") and not isinstance(value, np.generic | np.ndarray | str):
        _fill(value, rng, vocab_size)


def _linear(rng: np.random.Generator, out_dim: int, in_dim: int) -> common_spec.LinearSpec:
    linear = common_spec.LinearSpec()
    linear.weight = rng.normal(0, 0.3, (out_dim, in_dim)).astype(np.float32)
    linear.bias = np.zeros(out_dim, dtype=np.float32)
    return linear


def _set_linears(
    spec: transformer_spec.TransformerSpec, rng: np.random.Generator, vocab_size: int
) -> None:
    for layer in spec.encoder.layer:
        layer.self_attention.linear = [
            _linear(rng, 3 * D_MODEL, D_MODEL),
            _linear(rng, D_MODEL, D_MODEL),
        ]
        layer.ffn.linear_0 = _linear(rng, FFN, D_MODEL)
        layer.ffn.linear_1 = _linear(rng, D_MODEL, FFN)
    for layer in spec.decoder.layer:
        layer.self_attention.linear = [
            _linear(rng, 3 * D_MODEL, D_MODEL),
            _linear(rng, D_MODEL, D_MODEL),
        ]
        layer.attention.linear = [
            _linear(rng, D_MODEL, D_MODEL),
            _linear(rng, 2 * D_MODEL, D_MODEL),
            _linear(rng, D_MODEL, D_MODEL),
        ]
        layer.ffn.linear_0 = _linear(rng, FFN, D_MODEL)
        layer.ffn.linear_1 = _linear(rng, D_MODEL, FFN)
    spec.decoder.projection = _linear(rng, vocab_size, D_MODEL)


def save_tiny_transformer(
    out_dir: Path,
    vocabulary: list[str],
    *,
    decoder_start_token: str = "</s>",  # noqa: S107 - a token, not a password
    seed: int = 7,
) -> Path:
    """Save a one-layer Transformer over ``vocabulary`` (shared source/target) at ``out_dir``."""
    spec = transformer_spec.TransformerSpec.from_config(1, HEADS)
    rng = np.random.default_rng(seed)
    _fill(spec, rng, len(vocabulary))
    _set_linears(spec, rng, len(vocabulary))
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.config.decoder_start_token = decoder_start_token
    spec.validate()
    spec.save(str(out_dir))
    return out_dir


def build_nllb_like(out_dir: Path, languages: list[str]) -> Path:
    """An NLLB-layout model: one ``sentencepiece.bpe.model``, FLORES language tokens."""
    out_dir.mkdir(parents=True)
    model_file = train_spm(out_dir / "sentencepiece.bpe")
    vocabulary = spm_pieces(model_file) + languages
    return save_tiny_transformer(out_dir, vocabulary)


def build_m2m100_like(out_dir: Path, languages: list[str]) -> Path:
    """An M2M100-layout model: one sentencepiece model, ``__xx__`` language tokens."""
    out_dir.mkdir(parents=True)
    model_file = train_spm(out_dir / "sentencepiece.bpe")
    vocabulary = spm_pieces(model_file) + [f"__{code}__" for code in languages]
    return save_tiny_transformer(out_dir, vocabulary)


def build_marian_like(
    out_dir: Path, sidecar: dict[str, object] | None = None, *, seed: int = 7
) -> Path:
    """An Opus-MT layout: ``source.spm`` + ``target.spm`` and a shared vocabulary (``seed``
    draws the weights: two pairs with different seeds translate differently)."""
    out_dir.mkdir(parents=True)
    model_file = train_spm(out_dir / "spm")
    for name in ("source.spm", "target.spm"):
        (out_dir / name).write_bytes(model_file.read_bytes())
    model_file.unlink()
    Path(f"{out_dir / 'spm'}.vocab").unlink()
    if sidecar is not None:
        (out_dir / "vt-mt.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return save_tiny_transformer(out_dir, spm_pieces(out_dir / "source.spm"), seed=seed)
