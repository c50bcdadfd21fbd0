"""A Hugging Face Hub test server: the endpoints ``huggingface_hub.snapshot_download`` uses.

It serves model repositories the tests build on disk, with the Hub's API shapes (as read from
``huggingface_hub`` 2.4's ``hf_api.py`` and ``file_download.py``):

* ``GET /api/models/{repo}/revision/{rev}``: the repo info; ``sha`` is the commit the revision
  names (a branch, or the commit hash itself). Unknown repo: 404 with ``X-Error-Code:
  RepoNotFound``; unknown revision: 404 with ``X-Error-Code: RevisionNotFound``.
* ``GET /api/models/{repo}/tree/{commit}?recursive=True``: one page (no ``Link`` header) of
  ``{"type": "file", "path", "size", "oid"}`` entries; LFS files (``*.bin``, ``*.model``,
  ``*.spm``, as a repo's ``.gitattributes`` says on the Hub) carry ``lfs: {oid: sha256, size,
  pointerSize}`` and their ``oid`` is the pointer's blob id, other files' ``oid`` is their git
  blob sha1.
* ``HEAD`` / ``GET /{repo}/resolve/{rev}/{path}``: the file, with ``ETag`` (the sha256 for
  LFS files, else the git blob id), ``X-Repo-Commit``, ``Content-Length`` and
  ``Accept-Ranges``; a ``Range: bytes=N-`` request gets ``206`` with ``Content-Range``.

Faults the tests ask for: ``drop_once[path] = n`` sends the first ``n`` bytes of the first
GET of ``path`` and closes the connection (the Content-Length promised more);
``fail_next[path] = [status, …]`` answers the next GETs of ``path`` with those statuses;
``corrupt[path]`` serves different bytes of the same size than the tree lists. Every request
is recorded (method, path, Range header).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".bin", ".model", ".spm")


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of ``data``: what the Hub lists as a regular file's ``oid``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class HubRepo:
    """One repository at one commit: file path → bytes."""

    repo_id: str
    files: dict[str, bytes]
    commit: str = ""
    branches: tuple[str, ...] = ("main",)

    def __post_init__(self) -> None:
        if not self.commit:
            digest = hashlib.sha1(usedforsecurity=False)
            for path in sorted(self.files):
                digest.update(path.encode() + b"\0" + self.files[path])
            self.commit = digest.hexdigest()

    @classmethod
    def from_folder(cls, repo_id: str, folder: Path, **extra: bytes) -> HubRepo:
        """A repo holding every file of ``folder`` plus ``extra`` (name → bytes)."""
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        return cls(repo_id, files | extra)

    @staticmethod
    def is_lfs(path: str) -> bool:
        """True for the files the Hub stores in LFS."""
        return path.endswith(LFS_SUFFIXES)

    def tree_entry(self, path: str) -> dict[str, object]:
        """The file as ``/api/models/{repo}/tree/{commit}`` lists it."""
        data = self.files[path]
        entry: dict[str, object] = {"type": "file", "path": path, "size": len(data)}
        if self.is_lfs(path):
            sha256 = hashlib.sha256(data).hexdigest()
            pointer = (
                "version https://git-lfs.github.com/spec/v1\n"
                f"oid sha256:{sha256}\nsize {len(data)}\n"
            ).encode()
            entry["oid"] = git_blob_sha1(pointer)
            entry["lfs"] = {"oid": sha256, "size": len(data), "pointerSize": len(pointer)}
        else:
            entry["oid"] = git_blob_sha1(data)
        return entry

    def etag(self, path: str) -> str:
        """The ETag of the file's resolve URL (sha256 for LFS files, else the blob id)."""
        data = self.files[path]
        return hashlib.sha256(data).hexdigest() if self.is_lfs(path) else git_blob_sha1(data)


@dataclass
class Recorded:
    """One request the server answered."""

    method: str
    path: str
    range: str | None


@dataclass
class HubServer:
    """The server; ``start()`` it, point ``HF_ENDPOINT`` at ``url``, ``stop()`` after."""

    repos: dict[str, HubRepo] = field(default_factory=dict)
    drop_once: dict[str, int] = field(default_factory=dict)
    fail_next: dict[str, list[int]] = field(default_factory=dict)
    corrupt: set[str] = field(default_factory=set)
    requests: list[Recorded] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: HubRepo) -> HubRepo:
        """Serve ``repo``."""
        self.repos[repo.repo_id] = repo
        return repo

    @property
    def url(self) -> str:
        """The endpoint, e.g. ``http://127.0.0.1:40123``."""
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HubServer:
        """Listen on a free local port in a background thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def gets(self, filename: str) -> list[Recorded]:
        """The file GETs (not HEADs) of ``filename`` so far."""
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(f"/{filename}")]

    def file_gets(self) -> list[str]:
        """Names of every file fetched with GET so far, in order."""
        return [
            r.path.rsplit("/", 1)[1]
            for r in self.requests
            if r.method == "GET" and "/resolve/" in r.path
        ]


def _handler_for(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

        def _answer(self, *, head: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            with hub._lock:
                hub.requests.append(Recorded(self.command, path, self.headers.get("Range")))
            if path.startswith("/api/models/"):
                self._api(path[len("/api/models/") :])
            elif "/resolve/" in path:
                repo_id, rest = path.lstrip("/").split("/resolve/", 1)
                revision, filename = rest.split("/", 1)
                self._resolve(repo_id, revision, filename, head=head)
            else:
                self._error(404, "EntryNotFound", f"no route for {path}")

        def _repo(self, repo_id: str) -> HubRepo | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            return repo

        def _commit(self, repo: HubRepo, revision: str) -> str | None:
            if revision == repo.commit or revision in repo.branches:
                return repo.commit
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None

        def _api(self, rest: str) -> None:
            for kind in ("/revision/", "/tree/"):
                if kind in rest:
                    repo_id, revision = rest.split(kind, 1)
                    repo = self._repo(repo_id)
                    if repo is None:
                        return
                    commit = self._commit(repo, revision)
                    if commit is None:
                        return
                    if kind == "/tree/":
                        self._json([repo.tree_entry(p) for p in sorted(repo.files)])
                    else:
                        siblings = [{"rfilename": p} for p in sorted(repo.files)]
                        self._json(
                            {
                                "_id": commit[:24],
                                "id": repo.repo_id,
                                "modelId": repo.repo_id,
                                "sha": commit,
                                "private": False,
                                "disabled": False,
                                "gated": False,
                                "tags": ["ctranslate2"],
                                "siblings": siblings,
                            }
                        )
                    return
            self._error(404, "EntryNotFound", f"no API route for {rest}")

        def _resolve(self, repo_id: str, revision: str, filename: str, *, head: bool) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            commit = self._commit(repo, revision)
            if commit is None:
                return
            if filename not in repo.files:
                self._error(404, "EntryNotFound", f"{filename} does not exist")
                return
            data = repo.files[filename]
            if not head:
                with hub._lock:
                    statuses = hub.fail_next.get(filename, [])
                    status = statuses.pop(0) if statuses else None
                if status is not None:
                    self._error(status, "", f"injected {status}")
                    return
                if filename in hub.corrupt:
                    data = bytes(b ^ 0xFF for b in data)
            start = 0
            requested = self.headers.get("Range")
            if requested and not head:
                start = int(requested.removeprefix("bytes=").split("-", 1)[0])
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{repo.etag(filename)}"')
            self.send_header("X-Repo-Commit", commit)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if head:
                return
            with hub._lock:
                cut = hub.drop_once.pop(filename, None)
            if cut is not None:
                self.wfile.write(data[start : start + cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)  # mid-body: the client sees the body cut short
                return
            self.wfile.write(data[start:])

        def _json(self, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if code:
                self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", message)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler
