"""Logging as the original backend did it: console, ``app.log`` (INFO+) and ``error.log``
(ERROR+), each rotating at 10 MB × 5, one format everywhere. Secrets never reach a record:
URLs with passwords are masked by a filter on every handler.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - [%(filename)s:%(lineno)d] - %(message)s"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
_URL_PASSWORD = re.compile(r"(amqps?://[^:/@\s]+:)([^@\s]+)(@)")


class SecretFilter(logging.Filter):
    """Masks passwords inside AMQP URLs in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _URL_PASSWORD.sub(r"\1***\3", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(log_dir: Path | None, level: str = "INFO", *, console: bool = True) -> None:
    """Configure the root logger once per process (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_vt", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level.upper())
    fmt = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = []
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        app = logging.handlers.RotatingFileHandler(
            log_dir / "app.log", maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        app.setLevel(logging.INFO)
        err = logging.handlers.RotatingFileHandler(
            log_dir / "error.log", maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        err.setLevel(logging.ERROR)
        handlers += [app, err]
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(SecretFilter())
        handler._vt = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for noisy in ("aiormq", "aio_pika"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
