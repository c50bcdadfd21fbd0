"""The job store: jobs, every call's result the moment it arrives, and outputs (SQLite).

A restarted app resumes a job by sending only the calls whose results are missing. Call ids
are deterministic (``<job>.<kind>.<key>``), so a reply that arrived while the app was closed
(kept in the durable reply queue) is matched to its job and stored on the next start.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vt_desktop.core.jobs.model import JobRecord, JobSpec, JobState

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, stage TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0, error TEXT, warnings TEXT NOT NULL DEFAULT '[]',
    outputs TEXT NOT NULL DEFAULT '[]', created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS artifacts (
    job_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (job_id, key)
);
CREATE TABLE IF NOT EXISTS results (
    call_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, result TEXT NOT NULL, stored REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_job ON results (job_id);
"""

log = logging.getLogger(__name__)

#: The store's file in the app's data dir.
STORE_FILE = "jobs.sqlite3"
_shared: dict[Path, JobStore] = {}
_shared_lock = threading.Lock()


def open_job_store(data_dir: Path) -> JobStore:
    """The process's one handle on the job store in ``data_dir``.

    The runtime, the CLI and the window's pages all open it here and share one connection;
    each closes it when done, and the file closes with the last of them.

    Raises:
        OSError: the data dir cannot be created or the file opened.
    """
    path = (data_dir / STORE_FILE).resolve()
    with _shared_lock:
        store = _shared.get(path)
        if store is None:
            store = _shared[path] = JobStore(path)
        else:
            store._users += 1
        return store


def call_id(job_id: str, kind: str, key: str | int) -> str:
    """The deterministic id of one call of a job."""
    return f"{job_id}.{kind}.{key}"


def job_of_call(cid: str) -> str:
    """The job a deterministic call id belongs to."""
    return cid.split(".", 1)[0]


class JobStore:
    """Thread-safe access to the store file (WAL, one connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        # Held while a job's folder is written (keep_job_file) or removed with the job (delete):
        # a file is either written before the job is forgotten, and removed with its folder,
        # or not written at all. Taken before ``_lock``, never inside it.
        self._folders = threading.Lock()
        self._users = 1

    def close(self) -> None:
        """Close the file (a handle shared by ``open_job_store``: once its last user closes it)."""
        with _shared_lock:
            self._users -= 1
            if self._users > 0:
                return
            if _shared.get(self.path) is self:
                del _shared[self.path]
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def create_job(self, spec: JobSpec) -> str:
        """Store a new queued job; returns its id."""
        job_id = uuid.uuid4().hex[:12]
        now = time.time()
        self._exec(
            "INSERT INTO jobs (id, spec, state, created, updated) VALUES (?, ?, ?, ?, ?)",
            (job_id, spec.model_dump_json(), JobState.QUEUED.value, now, now),
        )
        return job_id

    def get(self, job_id: str) -> JobRecord:
        """One job.

        Raises:
            KeyError: no such job.
        """
        rows = self._exec("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise KeyError(f"no job {job_id!r}")
        return _record(rows[0])

    def jobs(self, *states: JobState) -> list[JobRecord]:
        """Jobs in creation order, optionally only in the given states."""
        rows = self._exec("SELECT * FROM jobs ORDER BY created")
        records = [_record(r) for r in rows]
        return [r for r in records if not states or r.state in states]

    def update(self, job_id: str, **fields: Any) -> None:
        """Change state/stage/progress/error/warnings/outputs of a job."""
        allowed = {"state", "stage", "progress", "error", "warnings", "outputs"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
        values: list[Any] = []
        for key, value in fields.items():
            if key in {"warnings", "outputs"}:
                values.append(json.dumps(value))
            elif key == "state":
                values.append(JobState(value).value)
            else:
                values.append(value)
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._exec(
            f"UPDATE jobs SET {sets}, updated = ? WHERE id = ?",  # noqa: S608
            (*values, time.time(), job_id),
        )

    def set_targets(self, job_id: str, targets: list[str]) -> JobSpec:
        """Name a transcript-only job's languages once they are known (the spoken one);
        returns the job's spec as it is now stored."""
        spec = self.get(job_id).spec.model_copy(update={"targets": list(targets)})
        spec = JobSpec.model_validate(spec.model_dump())
        self._exec(
            "UPDATE jobs SET spec = ?, updated = ? WHERE id = ?",
            (spec.model_dump_json(), time.time(), job_id),
        )
        return spec

    def delete(self, job_id: str) -> None:
        """Forget a job and everything stored for it: its rows (results, which hold redone
        lines' calls too; artifacts, which hold Review's drafts) and its folder beside the store
        (``jobs/<id>/``: the waveform's envelope, see ``core.media.envelope.envelope_path``).
        Its outputs stay where they were written. A folder that cannot be removed (a file in
        use) is logged and left: the job is forgotten all the same.

        A file being kept for the job meanwhile (:meth:`keep_job_file`, e.g. the envelope made
        in a thread) is either written first and removed here, or not written at all."""
        with self._folders:
            for table, col in (("results", "job_id"), ("artifacts", "job_id"), ("jobs", "id")):
                self._exec(f"DELETE FROM {table} WHERE {col} = ?", (job_id,))  # noqa: S608
            if (folder := self._job_folder(job_id)) is None:
                return
            try:
                shutil.rmtree(folder)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("job %s: its folder %s is left: %s", job_id, folder, exc)

    def _job_folder(self, job_id: str) -> Path | None:
        """The job's folder beside the store; None for an id that is not a plain name."""
        root = self.path.parent / "jobs"  # core.media.envelope.JOBS_FOLDER (its numpy stays out)
        folder = root / job_id
        if folder.parent != root or job_id in {"", ".", ".."}:
            return None  # never a folder outside the job's own
        return folder

    def keep_job_file(self, job_id: str, name: str, write: Callable[[Path], None]) -> Path | None:
        """Keep a file ``name`` in the job's folder (``jobs/<id>/``), unless the job is gone.

        ``write`` writes the file's content to the path it is given (a temporary name in the
        folder); it is renamed to ``name`` only while the job is still stored, and a deletion
        waits for it, so a job deleted meanwhile is left with no file and no folder.
        Returns the file's path, or None when the job no longer exists (nothing is written).

        Raises:
            OSError: the folder or the file cannot be written (nothing is left of it).
            ValueError: ``job_id`` or ``name`` is not a plain name.
        """
        folder = self._job_folder(job_id)
        if folder is None or Path(name).name != name or name in {"", ".", ".."}:
            raise ValueError(f"not a plain job id and file name: {job_id!r}, {name!r}")
        with self._folders:
            if not self._exec("SELECT 1 FROM jobs WHERE id = ?", (job_id,)):
                return None
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.partial"
            try:
                write(partial)
                os.replace(partial, folder / name)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            return folder / name

    def put_artifact(self, job_id: str, key: str, value: Any) -> None:
        """Keep an intermediate product (plan, detected language, …) as JSON."""
        self._exec(
            "INSERT OR REPLACE INTO artifacts (job_id, key, value) VALUES (?, ?, ?)",
            (job_id, key, json.dumps(value)),
        )

    def artifact(self, job_id: str, key: str) -> Any | None:
        """An intermediate product, or None."""
        rows = self._exec("SELECT value FROM artifacts WHERE job_id = ? AND key = ?", (job_id, key))
        return json.loads(rows[0][0]) if rows else None

    def save_result(self, cid: str, result: Any) -> bool:
        """Store a call's result; False when it was already stored (a duplicate)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO results (call_id, job_id, result, stored) VALUES (?,?,?,?)",
                (cid, job_of_call(cid), json.dumps(result), time.time()),
            )
            return cur.rowcount == 1

    def result(self, cid: str) -> Any | None:
        """A stored call result, or None."""
        rows = self._exec("SELECT result FROM results WHERE call_id = ?", (cid,))
        return json.loads(rows[0][0]) if rows else None

    def stored_keys(self, job_id: str, kind: str) -> set[str]:
        """The keys of a job's calls of one kind whose results are stored."""
        prefix = call_id(job_id, kind, "")
        rows = self._exec(
            "SELECT call_id FROM results WHERE job_id = ? AND substr(call_id, 1, ?) = ?",
            (job_id, len(prefix), prefix),
        )
        return {str(row[0])[len(prefix) :] for row in rows}

    def result_count(self, job_id: str) -> int:
        """How many call results are stored for a job."""
        return int(self._exec("SELECT COUNT(*) FROM results WHERE job_id = ?", (job_id,))[0][0])


def _record(row: tuple[Any, ...]) -> JobRecord:
    job_id, spec, state, stage, progress, error, warnings, outputs, created, updated = row
    return JobRecord(
        id=job_id,
        spec=JobSpec.model_validate_json(spec),
        state=JobState(state),
        stage=stage,
        progress=progress,
        error=error,
        warnings=json.loads(warnings),
        outputs=json.loads(outputs),
        created=created,
        updated=updated,
    )
