"""Fetch a faster-whisper model from the Hugging Face Hub into the cache, with progress and cancel.

The snapshot is written into a private temporary directory and renamed into place, so a
cancelled or failed download never leaves a half model that looks installed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from worker.engines.models.catalogue import DOWNLOAD_PATTERNS, missing_files
from worker.protocol.errors import RpcError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Checkpoint = Callable[[], None]

_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """True when the environment forbids network access to the Hub."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _progress_bar_class(progress: Progress | None, checkpoint: Checkpoint | None) -> type[Any]:
    """A tqdm subclass that reports byte progress and stops the download on cancel."""
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    best = [0.0]

    class _ReportingBar(tqdm):  # type: ignore[misc]
        def update(self, n: float | None = 1) -> bool | None:
            if checkpoint is not None:
                checkpoint()
            result: bool | None = super().update(n)
            if progress is not None and self.unit == "B" and self.total:
                fraction = min(1.0, self.n / self.total)
                if fraction > best[0]:
                    best[0] = fraction
                    progress(fraction, f"downloading {self.n / 1e6:.0f} MB")
            return result

    return _ReportingBar


def download_snapshot(
    repo_id: str,
    dest: Path,
    *,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> None:
    """Download the model files of ``repo_id`` into ``dest`` (which must not exist yet).

    Raises:
        ConnectionError: the Hub cannot be reached or refused (message in plain words).
        Cancelled: ``checkpoint`` raised it during the download.
        OSError: the cache cannot be written.
    """
    import huggingface_hub
    from huggingface_hub.errors import HfHubHTTPError

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".partial-{dest.name}-", dir=dest.parent))
    try:
        log.info("downloading model %s into %s", repo_id, dest)
        try:
            huggingface_hub.snapshot_download(
                repo_id,
                local_dir=str(tmp),
                allow_patterns=DOWNLOAD_PATTERNS,
                tqdm_class=_progress_bar_class(progress, checkpoint),
                etag_timeout=15,
            )
        except RpcError:
            raise  # cancelled or past its deadline: not a network failure
        except HfHubHTTPError as exc:
            raise ConnectionError(f"the Hugging Face Hub refused {repo_id}: {exc}") from None
        except Exception as exc:  # httpx, TLS and filesystem errors all mean "not fetched"
            raise ConnectionError(f"cannot fetch {repo_id} from the Hub: {exc}") from None
        missing = missing_files(tmp)
        if missing:
            raise ConnectionError(f"{repo_id} is not a faster-whisper model (no {missing[0]})")
        shutil.rmtree(tmp / ".cache", ignore_errors=True)
        os.rename(tmp, dest)
        log.info("model %s downloaded", repo_id)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
