"""The LLM engine against a real local HTTP endpoint speaking the chat-completions shape."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import SecretStr

from tests.mt.chat_server import ChatServer, Recorded, Reply, fake_translation, good_content
from worker.engines.mt.base import BatchResult
from worker.engines.mt.llm import EndpointUnreachable, LlmConfig, LlmEngine
from worker.protocol.errors import ServiceError

API_KEY = "sk-test-9f8e7d6c5b4a-SECRET"
LINES = ["Good evening.", "Ask not what your country can do.", "Thank you.", "BROKEN line here"]


@pytest.fixture
def server():
    chat = ChatServer().start()
    yield chat
    chat.stop()


def make_engine(server: ChatServer, *, max_attempts: int = 4, timeout_s: float = 5.0) -> LlmEngine:
    return LlmEngine(
        LlmConfig(
            base_url=server.base_url,
            model="qwen2.5:7b-instruct",
            api_key=SecretStr(API_KEY),
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            max_retry_seconds=30.0,
            backoff_base_s=0.01,
        )
    )


async def translate(engine: LlmEngine, lines=LINES, **kwargs):
    try:
        return await engine.translate_batch(lines, "en", "pt-BR", **kwargs)
    finally:
        await engine.aclose()


def assert_all_translated(result: BatchResult, lines: list[str] = LINES) -> None:
    assert result.translations == [fake_translation(line) for line in lines]
    assert result.warnings == []


async def test_good_reply_translates_every_line_in_one_request(server):
    result = await translate(make_engine(server), context=["Hello."], glossary={"country": "nação"})

    assert_all_translated(result)
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "qwen2.5:7b-instruct"
    assert request.body["temperature"] == 0
    assert request.body["response_format"]["type"] == "json_schema"
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["translations"]["items"]["required"] == ["id", "text"]
    assert [line["id"] for line in request.lines] == [1, 2, 3, 4]
    assert [line["text"] for line in request.lines] == LINES


async def test_glossary_context_and_pair_reach_the_prompt(server):
    await translate(
        make_engine(server), context=["The speech began."], glossary={"country": "nação"}
    )

    prompt = server.requests[0].system_prompt
    assert '"country" → "nação"' in prompt
    assert "The speech began." in prompt
    assert "'en'" in prompt
    assert "'pt-BR'" in prompt


async def test_api_key_goes_in_the_authorization_header_and_in_no_log_record(server, caplog):
    caplog.set_level(logging.DEBUG)
    replies = iter([Reply(status=500), Reply(content="not json"), Reply()])
    server.script = lambda request, n: next(replies, Reply())

    result = await translate(make_engine(server))

    assert_all_translated(result)
    assert {r.headers["Authorization"] for r in server.requests} == {f"Bearer {API_KEY}"}
    assert caplog.records, "the retries should have been logged"
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)


async def test_bad_json_content_is_asked_again_once(server):
    replies = {1: Reply(content="Sure! Here are your translations: {not json")}
    server.script = lambda request, n: replies.get(n, Reply())

    result = await translate(make_engine(server))

    assert_all_translated(result)
    assert len(server.requests) == 2


def drop_broken(request: Recorded, n: int) -> Reply:
    broken = {line["id"] for line in request.lines if "BROKEN" in line["text"]}
    return Reply(content=good_content(request, drop=broken))


async def test_a_line_the_model_keeps_dropping_ends_as_none_after_retry_then_halving(server):
    server.script = drop_broken

    result = await translate(make_engine(server))

    assert result.translations[:3] == [fake_translation(line) for line in LINES[:3]]
    assert result.translations[3] is None
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.indexes == (3,)
    assert "BROKEN line here" in warning.message
    assert "lacks id" in warning.message
    # [4 lines] ×2, then [2 good] ×1 and [2 with the broken one] ×2, then [good] ×1 + [broken] ×2.
    assert [len(r.lines) for r in server.requests] == [4, 4, 2, 2, 2, 1, 1, 1]


async def test_duplicate_and_extra_ids_are_refused_like_missing_ones(server):
    def damaged(request: Recorded, n: int) -> Reply:
        texts = [line["text"] for line in request.lines]
        if "Thank you." in texts:  # repeats an id
            first = request.lines[0]["id"]
            return Reply(content=good_content(request, extra=[{"id": first, "text": "again"}]))
        if "BROKEN line here" in texts:  # invents an id
            return Reply(content=good_content(request, extra=[{"id": 99, "text": "extra"}]))
        return Reply()

    server.script = damaged
    result = await translate(make_engine(server))

    assert result.translations[:2] == [fake_translation(line) for line in LINES[:2]]
    assert result.translations[2:] == [None, None]
    messages = {w.indexes: w.message for w in result.warnings}
    assert "more than once" in messages[(2,)]
    assert "id 99" in messages[(3,)]


async def test_429_waits_as_long_as_retry_after_says(server, caplog):
    caplog.set_level(logging.INFO, logger="worker.engines.mt.llm")
    replies = {1: Reply(status=429, headers={"Retry-After": "1"})}
    server.script = lambda request, n: replies.get(n, Reply())

    result = await translate(make_engine(server))

    assert_all_translated(result)
    assert len(server.requests) == 2
    retry_logs = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert retry_logs == ["llm endpoint: HTTP 429; retry 1 in 1.00 s"]


async def test_server_errors_are_retried_until_the_endpoint_recovers(server):
    server.script = lambda request, n: Reply(status=503) if n <= 2 else Reply()

    result = await translate(make_engine(server))

    assert_all_translated(result)
    assert len(server.requests) == 3


async def test_an_endpoint_that_keeps_failing_leaves_lines_untranslated_not_the_job_failed(server):
    server.script = lambda request, n: Reply(status=500)

    result = await translate(make_engine(server, max_attempts=3))

    assert result.translations == [None] * len(LINES)
    assert result.warnings[0].indexes == (0, 1, 2, 3)
    assert "HTTP 500 after 3 attempt(s)" in result.warnings[0].message
    assert len(server.requests) == 3


async def test_a_request_that_times_out_is_sent_again(server):
    server.script = lambda request, n: Reply(delay_s=1.5) if n == 1 else Reply()

    result = await translate(make_engine(server, timeout_s=0.5))

    assert_all_translated(result)
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_api_key_fails_the_call_with_a_plain_message_without_the_key(
    server, status
):
    server.script = lambda request, n: Reply(status=status)

    with pytest.raises(ServiceError) as caught:
        await translate(make_engine(server))

    assert f"refused the API key (HTTP {status})" in caught.value.message
    assert API_KEY not in caught.value.message
    assert len(server.requests) == 1


async def test_an_unreachable_endpoint_fails_the_call():
    engine = LlmEngine(
        LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", max_attempts=2, backoff_base_s=0.01)
    )

    with pytest.raises(EndpointUnreachable, match="cannot reach the translation endpoint"):
        await translate(engine)


async def test_content_in_a_markdown_fence_is_accepted(server):
    server.script = lambda request, n: Reply(content=f"```json\n{good_content(request)}\n```")

    result = await translate(make_engine(server))

    assert_all_translated(result)


async def test_the_request_is_plain_json_with_no_key_in_the_body(server):
    await translate(make_engine(server))

    assert API_KEY not in json.dumps(server.requests[0].body)
