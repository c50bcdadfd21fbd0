"""What the LLM engine sends to an OpenAI-compatible chat endpoint, and how it reads replies.

The lines go in the user message as JSON, numbered from 1; the system prompt states the
language pair, the glossary and the preceding context; ``response_format`` asks for JSON that
matches ``REPLY_SCHEMA``. A reply is accepted only when it holds every id exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from worker.engines.mt.glossary import glossary_prompt_lines

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "translations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
                "required": ["id", "text"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["translations"],
    "additionalProperties": False,
}

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class BadReply(Exception):
    """Raised when a reply is not usable for this batch; ``reason`` says why, in plain words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def system_prompt(
    source: str, target: str, context: Sequence[str], glossary: Mapping[str, str]
) -> str:
    """The instructions: pair, output rules, glossary and context."""
    parts = [
        "You translate video subtitles. Translate each line from the language with BCP-47 "
        f"code {source!r} into the language with BCP-47 code {target!r}.",
        'The user sends JSON {"lines": [{"id": n, "text": ...}]}. Answer with JSON '
        '{"translations": [{"id": n, "text": ...}]} holding every id exactly once, in '
        "the same order. Translate each line on its own: never merge, split, skip or add "
        "lines. Keep names, numbers and tone; output only the JSON.",
    ]
    if glossary:
        parts.append(
            "Glossary: always translate these terms exactly as given:\n"
            + "\n".join(glossary_prompt_lines(glossary))
        )
    if context:
        parts.append(
            "For context only (already translated, do not output them), the lines just "
            "before were:\n" + "\n".join(json.dumps(c, ensure_ascii=False) for c in context)
        )
    return "\n\n".join(parts)


def chat_payload(
    model: str,
    lines: Sequence[str],
    *,
    source: str,
    target: str,
    context: Sequence[str],
    glossary: Mapping[str, str],
) -> dict[str, Any]:
    """The body of one ``POST /chat/completions``."""
    numbered = {"lines": [{"id": n, "text": text} for n, text in enumerate(lines, start=1)]}
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": system_prompt(source, target, context, glossary)},
            {"role": "user", "content": json.dumps(numbered, ensure_ascii=False)},
        ],
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "translations", "strict": True, "schema": REPLY_SCHEMA},
        },
    }


def _content_of(body: Any) -> str:
    try:
        choice = body["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise BadReply("the reply has no choices[0].message.content") from None
    if choice.get("finish_reason") == "length":
        raise BadReply("the reply was cut off at the model's length limit")
    if not isinstance(content, str):
        raise BadReply("the reply's message content is not text")
    fenced = _FENCE.match(content)
    return fenced.group(1) if fenced else content


def _items_of(content: str) -> list[Any]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        raise BadReply("the reply's content is not valid JSON") from None
    items = data.get("translations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise BadReply("the reply's JSON has no 'translations' list")
    return items


def parse_reply(body: Any, count: int) -> list[str]:
    """The ``count`` translations of a chat completion, in id order.

    Raises:
        BadReply: the content is not JSON of the asked shape, or ids are missing, repeated or
            unknown.
    """
    texts: dict[int, str] = {}
    for item in _items_of(_content_of(body)):
        if not isinstance(item, dict):
            raise BadReply("an entry of 'translations' is not an object")
        ident, text = item.get("id"), item.get("text")
        if not isinstance(ident, int) or isinstance(ident, bool) or not isinstance(text, str):
            raise BadReply("an entry of 'translations' lacks an integer id or a text")
        if not 1 <= ident <= count:
            raise BadReply(f"the reply has id {ident}, which was not sent (ids were 1-{count})")
        if ident in texts:
            raise BadReply(f"the reply has id {ident} more than once")
        texts[ident] = text
    missing = [n for n in range(1, count + 1) if n not in texts]
    if missing:
        raise BadReply(f"the reply lacks id(s) {', '.join(map(str, missing))}")
    return [texts[n] for n in range(1, count + 1)]
