"""A local OpenAI-compatible chat endpoint, scripted per test (the one true outside boundary).

It speaks the real ``POST /v1/chat/completions`` shape: it reads the JSON request, records it
with its headers, and answers with a chat completion whose ``choices[0].message.content`` is
what the test's script decides, or with an HTTP error and headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the endpoint answers to one request."""

    status: int = 200
    content: str | None = None  # message content; None means "translate the request"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Recorded:
    """One request as the endpoint saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The numbered lines of the user message."""
        lines: list[dict[str, Any]] = json.loads(self.body["messages"][1]["content"])["lines"]
        return lines

    @property
    def system_prompt(self) -> str:
        """The system message."""
        return str(self.body["messages"][0]["content"])


Script = Callable[[Recorded, int], Reply]


def fake_translation(text: str) -> str:
    """What the scripted model 'translates' a line into (marks it, so tests can tell)."""
    return f"PT<{text}>"


def good_content(request: Recorded, drop: set[int] | None = None, extra: Sequence[Any] = ()) -> str:
    """The content a well-behaved model returns for ``request``, optionally damaged."""
    items = [
        {"id": line["id"], "text": fake_translation(line["text"])}
        for line in request.lines
        if line["id"] not in (drop or set())
    ]
    return json.dumps({"translations": items + list(extra)}, ensure_ascii=False)


def completion(content: str, model: str) -> dict[str, Any]:
    """A chat completion object as OpenAI-compatible servers send it."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ChatServer:
    """The endpoint, on 127.0.0.1 with an OS-chosen port, answering per ``script``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: Script = lambda request, n: Reply()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL clients configure."""
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _answer(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            number = len(self.requests)
        return self.script(recorded, number)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                recorded = Recorded(self.path, dict(self.headers.items()), body)
                reply = server._answer(recorded)
                time.sleep(reply.delay_s)
                if reply.status == 200:
                    content = reply.content if reply.content is not None else good_content(recorded)
                    payload = json.dumps(completion(content, body.get("model", ""))).encode()
                else:
                    payload = json.dumps({"error": {"message": f"status {reply.status}"}}).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler
