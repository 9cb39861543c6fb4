"""Walter with a model: an OpenAI-compatible chat-completions endpoint chooses the query tools.

The model sees the tools' JSON schemas and the question; each tool call it makes runs here, against
the caller's own data only (the Principal is ours, never the model's), and its result goes back as a
`tool` message until the model writes the answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from warpware.walter.tools import TOOLS, ToolError

MAX_ROUNDS = 5


class LLMError(Exception):
    """The endpoint failed or answered something unusable; Walter then answers without it."""


@dataclass(frozen=True)
class LLMConfig:
    url: str
    model: str
    api_key: SecretStr | None = None
    timeout_seconds: float = 30.0

    @property
    def completions_url(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def system_prompt(client_id: str, now: dt.datetime, zone: str) -> str:
    return (
        "You are Walter, the WarpWare assistant. You answer questions about the orders of one WarpWare "
        f"client ({client_id}) using only the tools given, which read that client's data and nothing else. "
        f"The time now is {now.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}; the user's time zone is "
        f"{zone}. Tool times are ISO 8601 in UTC. Call the tools you need, then answer in one or two "
        "plain sentences with the numbers the tools returned. Never guess numbers. If an order is not "
        "found, say so."
    )


def _chat(client: httpx.Client, config: LLMConfig, messages: list[dict[str, Any]]) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if config.api_key is not None:
        headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
    body = {
        "model": config.model,
        "messages": messages,
        "tools": [t.schema() for t in TOOLS.values()],
        "tool_choice": "auto",
        "temperature": 0,
    }
    try:
        response = client.post(config.completions_url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise LLMError(f"model endpoint unreachable: {exc}") from exc
    if response.status_code != 200:
        raise LLMError(f"model endpoint answered {response.status_code}: {response.text[:200]}")
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError("model endpoint answered without choices[0].message") from exc
    if not isinstance(message, dict):
        raise LLMError("model endpoint answered a message that is not an object")
    return message


ToolRunner = Callable[[str, dict[str, Any]], dict[str, Any]]


def _run_call(call: Any, run_tool: ToolRunner) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(call id, tool, arguments, result) of one tool call; a bad call's result is an error for the model."""
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        raise LLMError("a tool call without a function")
    call_id, name = str(call.get("id") or ""), str(call["function"].get("name") or "")
    raw = call["function"].get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return call_id, name, {}, {"error": "arguments are not valid JSON"}
    if not isinstance(arguments, dict):
        return call_id, name, {}, {"error": "arguments must be a JSON object"}
    if name not in TOOLS:
        return call_id, name, arguments, {"error": f"unknown tool {name!r}; tools: {', '.join(TOOLS)}"}
    try:
        return call_id, name, arguments, run_tool(name, arguments)
    except ToolError as exc:
        return call_id, name, arguments, {"error": str(exc)}


def ask(
    config: LLMConfig,
    question: str,
    context: dict[str, Any],
    *,
    client_id: str,
    now: dt.datetime,
    zone: str,
    run_tool: ToolRunner,
) -> tuple[str, list[dict[str, Any]]]:
    """The model's answer and every tool call it made, as {tool, arguments, result}."""
    user = question if not context else f"{question}\n\nContext: {json.dumps(context, default=str)}"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(client_id, now, zone)},
        {"role": "user", "content": user},
    ]
    calls: list[dict[str, Any]] = []
    with httpx.Client(timeout=config.timeout_seconds) as client:
        for _ in range(MAX_ROUNDS):
            message = _chat(client, config, messages)
            tool_calls = message.get("tool_calls") or []
            if not tool_calls:
                content = message.get("content")
                if not isinstance(content, str) or not content.strip():
                    raise LLMError("model answered neither tool calls nor text")
                return content.strip(), calls
            messages.append(
                {"role": "assistant", "content": message.get("content"), "tool_calls": tool_calls}
            )
            for call in tool_calls:
                call_id, name, arguments, result = _run_call(call, run_tool)
                calls.append({"tool": name, "arguments": arguments, "result": result})
                messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)})
    raise LLMError(f"no answer after {MAX_ROUNDS} rounds of tool calls")
