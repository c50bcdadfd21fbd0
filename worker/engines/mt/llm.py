"""Translation through any OpenAI-compatible chat endpoint (Ollama, llama.cpp, vLLM, hosted).

Failure policy, so that one bad batch never fails a job:

* **Transient** (HTTP 429, 5xx, timeouts, dropped connections): retry with exponential backoff,
  honouring ``Retry-After``, for at most ``max_attempts`` tries and ``max_retry_seconds``. When
  that runs out the lines of the batch come back as ``None`` with a warning.
* **Bad content** (not JSON, missing, repeated or unknown ids, HTTP 400/413/422): ask once more,
  then split the batch in halves and translate each; a single line that still fails comes back
  as ``None`` with a warning naming the line and the reason.
* **Fatal for the call**: a refused API key (401/403), an unknown endpoint or model (404), or
  an endpoint that cannot be reached at all. These raise ``ServiceError`` with a plain message;
  the API key never appears in a message or a log line.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from worker.engines.mt.base import BatchResult, BatchWarning, MtEngine
from worker.engines.mt.llm_prompt import BadReply, chat_payload, parse_reply
from worker.protocol.errors import ServiceError
from worker.protocol.mt import MAX_CONTEXT, LanguagePairs

log = logging.getLogger(__name__)

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})
_BATCH_STATUS = frozenset({400, 413, 422})


class EndpointUnreachable(ServiceError):
    """Raised when the chat endpoint cannot be reached at all (refused, no route, DNS)."""


class _GaveUp(Exception):
    """Transient failures outlasted the retry budget; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class LlmConfig:
    """Where and how to reach the chat endpoint."""

    base_url: str
    model: str
    api_key: SecretStr | None = None
    timeout_s: float = 120.0
    max_attempts: int = 4
    max_retry_seconds: float = 120.0
    backoff_base_s: float = 1.0
    max_backoff_s: float = 30.0


@dataclass(frozen=True)
class _Pair:
    """What stays the same while a batch is retried and halved."""

    source: str
    target: str
    glossary: dict[str, str]


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _snippet(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LlmEngine(MtEngine):
    """Translate with a chat model that answers JSON matching a schema."""

    name = "llm"
    reads_context = True

    def __init__(self, config: LlmConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._url = config.base_url.rstrip("/") + "/chat/completions"
        self._client = client
        self.requests_sent = 0

    @property
    def model_id(self) -> str:
        """The chat model name."""
        return self.config.model

    def models(self) -> list[str]:
        """The configured chat model."""
        return [self.config.model]

    def pairs(self) -> list[LanguagePairs]:
        """Any language into any other: the model decides how well."""
        return [LanguagePairs(sources=["*"], targets=["*"])]

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.config.timeout_s, connect=min(10.0, self.config.timeout_s))
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def translate_batch(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        *,
        context: Sequence[str] = (),
        glossary: Mapping[str, str] | None = None,
    ) -> BatchResult:
        """Translate one batch; see the module docstring for the failure policy.

        Raises:
            InvalidParams: source and target are the same language.
            ServiceError: the key was refused, the endpoint or model is unknown, or the
                endpoint cannot be reached.
        """
        self.require_pair(source, target)
        pair = _Pair(source, target, dict(glossary or {}))
        return await self._translate_lines(list(sentences), 0, pair, list(context))

    async def _translate_lines(
        self, lines: list[str], offset: int, pair: _Pair, context: list[str]
    ) -> BatchResult:
        """Ask twice, then halve; ``offset`` places ``lines`` in the engine's batch."""
        reason = ""
        for attempt in (1, 2):
            payload = chat_payload(
                self.config.model, lines, source=pair.source, target=pair.target,
                context=context, glossary=pair.glossary,
            )  # fmt: skip
            try:
                return BatchResult(list(parse_reply(await self._post(payload), len(lines))))
            except BadReply as exc:
                reason = exc.reason
                log.warning("llm batch of %d line(s), try %d: %s", len(lines), attempt, reason)
            except _GaveUp as exc:
                message = f"not translated: the endpoint kept failing ({exc.reason})"
                span = tuple(range(offset, offset + len(lines)))
                return BatchResult([None] * len(lines), [BatchWarning(span, message)])
        if len(lines) == 1:
            message = f"line {_snippet(lines[0])!r} not translated: {reason}"
            return BatchResult([None], [BatchWarning((offset,), message)])
        middle = len(lines) // 2
        first = await self._translate_lines(lines[:middle], offset, pair, context)
        later_context = (context + lines[:middle])[-MAX_CONTEXT:]
        second = await self._translate_lines(lines[middle:], offset + middle, pair, later_context)
        return BatchResult(
            first.translations + second.translations, first.warnings + second.warnings
        )

    def _headers(self) -> dict[str, str]:
        key = self.config.api_key.get_secret_value() if self.config.api_key else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _backoff(self, attempt: int) -> float:
        delay = self.config.backoff_base_s * 2.0 ** (attempt - 1)
        # Jitter spreads the retries of many workers; not security-relevant.
        return min(self.config.max_backoff_s, delay) * random.uniform(0.8, 1.2)  # noqa: S311

    async def _post(self, payload: dict[str, Any]) -> Any:
        """POST with retries on transient failures; the decoded JSON body.

        Raises:
            BadReply: the endpoint refused this batch's content or sent a body that is not JSON.
            _GaveUp: transient failures outlasted the retry budget.
            ServiceError: fatal for the whole call (see the module docstring).
        """
        give_up_at = time.monotonic() + self.config.max_retry_seconds
        reason, unreachable = "", False
        for attempt in range(1, max(1, self.config.max_attempts) + 1):
            wait: float | None = None
            try:
                self.requests_sent += 1
                response = await self._http().post(self._url, json=payload, headers=self._headers())
            except httpx.TimeoutException:
                reason, unreachable = f"no answer within {self.config.timeout_s:g} s", False
            except httpx.TransportError as exc:
                reason, unreachable = f"connection failed ({type(exc).__name__})", True
            else:
                unreachable = False
                body = self._accept(response)
                if body is not None:
                    return body
                reason = f"HTTP {response.status_code}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            wait = min(
                self.config.max_backoff_s, wait if wait is not None else self._backoff(attempt)
            )
            if attempt >= self.config.max_attempts or time.monotonic() + wait > give_up_at:
                break
            log.info("llm endpoint: %s; retry %d in %.2f s", reason, attempt, wait)
            await asyncio.sleep(wait)
        if unreachable:
            raise EndpointUnreachable(
                f"cannot reach the translation endpoint {self.config.base_url}: {reason}"
            )
        raise _GaveUp(f"{reason} after {attempt} attempt(s)")

    def _accept(self, response: httpx.Response) -> Any | None:
        """The JSON body of a good response; ``None`` for a transient failure.

        Raises:
            BadReply: the response is about this batch's content.
            ServiceError: the key, endpoint or model is wrong.
        """
        status = response.status_code
        if status in (401, 403):
            raise ServiceError(
                f"the translation endpoint refused the API key (HTTP {status}): check the LLM "
                "API key in the mt service settings"
            )
        if status == 404:
            raise ServiceError(
                f"the translation endpoint answered HTTP 404 for {self._url}: check the base URL "
                f"and that model {self.config.model!r} exists there"
            )
        if status in _TRANSIENT_STATUS or status >= 500:
            return None
        if status in _BATCH_STATUS or status >= 400:
            raise BadReply(f"the endpoint refused the batch with HTTP {status}")
        try:
            return response.json()
        except ValueError:
            raise BadReply("the endpoint's response body is not JSON") from None
