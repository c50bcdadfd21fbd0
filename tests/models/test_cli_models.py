"""``vt models`` end to end: a private broker, a real worker, and the Hub test server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.models.conftest import opus_repo
from tests.models.hub_server import HubServer
from tests.support.cli import vt, vt_env


def vt_models(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # HF_ENDPOINT names the test server: the Hub is not offline here
    return vt("models", *args, env=vt_env(home, offline=False), timeout=180)


def test_vt_models_downloads_lists_with_licences_and_deletes(
    hub: HubServer, marian_dir: Path, tmp_path: Path
) -> None:
    hub.add(opus_repo(marian_dir))

    got = vt_models(tmp_path, "download", "opus-mt-en-de")

    assert got.returncode == 0, got.stderr[-3000:]
    assert got.stdout.splitlines()[0] == "opus-mt-en-de: downloaded"
    assert got.stdout.splitlines()[1].startswith("licence: CC-BY-4.0; OPUS-MT by Jörg Tiedemann")
    assert "opus-mt-en-de: 100% downloading 0.5 of 0.5 MB" in got.stderr
    folder = tmp_path / "cache" / "models" / "ct2" / "opus-mt-en-de"
    assert (folder / "model.bin").read_bytes() == (marian_dir / "model.bin").read_bytes()

    listed = vt_models(tmp_path)

    assert listed.returncode == 0, listed.stderr[-3000:]
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert rows["opus-mt-en-de"].split()[1:4] == ["translation", "0.5", "MB"]
    assert "cache" in rows["opus-mt-en-de"] and "CC-BY-4.0" in rows["opus-mt-en-de"]
    assert "CC-BY-NC-4.0 (non-commercial)" in rows["nllb-200-600m"]
    assert "not installed" in rows["nllb-200-600m"]
    assert rows["m2m100-418m"].endswith("100 languages")
    assert rows["tiny.en"].split()[1] == "speech" and "MIT" in rows["tiny.en"]

    checked = vt_models(tmp_path, "verify", "opus-mt-en-de")

    assert checked.returncode == 0, checked.stderr[-3000:]
    assert checked.stdout.startswith("opus-mt-en-de: complete and loads")
    model_bin = folder / "model.bin"
    model_bin.write_bytes(model_bin.read_bytes()[:-100])  # cut short on disk
    damaged = vt_models(tmp_path, "verify", "opus-mt-en-de")

    assert damaged.returncode == 1
    assert "opus-mt-en-de: damaged or incomplete" in damaged.stderr
    assert "model.bin" in damaged.stderr

    gone = vt_models(tmp_path, "delete", "opus-mt-en-de")

    assert gone.returncode == 0, gone.stderr[-3000:]
    assert gone.stdout.strip() == "opus-mt-en-de: deleted"
    assert not folder.exists()


def test_a_non_commercial_model_needs_the_licence_accepted_first(tmp_path: Path) -> None:
    """As the window asks before it downloads NLLB-200, the CLI wants --accept-licence: the
    refusal comes before any broker or worker starts."""
    refused = vt_models(tmp_path, "download", "nllb-200-600m")

    assert refused.returncode == 2
    assert "nllb-200-600m is licensed CC-BY-NC-4.0" in refused.stderr
    assert "--accept-licence" in refused.stderr
    assert not (tmp_path / "cache" / "models").exists()
