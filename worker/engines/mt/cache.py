"""A thread-safe translation cache: an in-memory LRU over an optional SQLite file.

Keys are (engine, model, source, target, glossary digest, sentence): the same
sentence sent again with the same settings is not translated twice, within a call (repeated
lines), across calls, and, with the SQLite file in the worker's cache dir, across restarts.
Only real translations are stored; lines that failed are never cached. The context sentences
are not part of the key: they are a hint, and the same line translated twice the same way reads
better in subtitles than two slightly different renderings.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    engine TEXT NOT NULL, model TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    glossary TEXT NOT NULL, sentence TEXT NOT NULL, translation TEXT NOT NULL,
    PRIMARY KEY (engine, model, source, target, glossary, sentence)
)
"""


@dataclass(frozen=True)
class CacheKey:
    """Everything that decides a translation."""

    engine: str
    model: str
    source: str
    target: str
    glossary: str  # digest, "" for none
    sentence: str

    def row(self) -> tuple[str, str, str, str, str, str]:
        """The key as a SQLite row prefix."""
        return (
            self.engine,
            self.model,
            self.source,
            self.target,
            self.glossary,
            self.sentence,
        )


class TranslationCache:
    """Translations by key; memory first, then the SQLite file when one is configured."""

    def __init__(self, max_entries: int = 20_000, path: Path | None = None) -> None:
        self._max_entries = max(1, max_entries)
        self._memory: OrderedDict[CacheKey, str] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            log.warning("translation cache file %s unusable, keeping memory only: %s", path, exc)
            return None
        return db

    def get(self, key: CacheKey) -> str | None:
        """The cached translation, or ``None``."""
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit
            hit = self._read_disk(key)
            if hit is not None:
                self._remember(key, hit)
            return hit

    def put(self, key: CacheKey, translation: str) -> None:
        """Store a translation (memory, and the file when configured)."""
        with self._lock:
            self._remember(key, translation)
            if self._db is None:
                return
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key.row(), translation),
                )
            except sqlite3.Error as exc:
                log.warning("translation cache write failed: %s", exc)

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)

    def close(self) -> None:
        """Close the SQLite file (memory entries stay)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _remember(self, key: CacheKey, translation: str) -> None:
        self._memory[key] = translation
        self._memory.move_to_end(key)
        while len(self._memory) > self._max_entries:
            self._memory.popitem(last=False)

    def _read_disk(self, key: CacheKey) -> str | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT translation FROM translations WHERE engine=? AND model=? AND source=? "
                "AND target=? AND glossary=? AND sentence=?",
                key.row(),
            ).fetchone()
        except sqlite3.Error as exc:
            log.warning("translation cache read failed: %s", exc)
            return None
        return None if row is None else str(row[0])
