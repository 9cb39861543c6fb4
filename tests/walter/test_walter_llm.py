"""Walter with a model: a fake OpenAI-compatible server on loopback chooses the tools, Walter runs them
on the caller's own data and returns the model's answer with every tool call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, new_key, order_body, settings_for
from tests.walter.fake_llm import FakeModel, fake_model, final, tool_call
from warpware.app import create_app
from warpware.db import Database
from warpware.walter.tools import TOOLS

URL = "/partner/v1/walter"


@pytest.fixture
def model_tenant(db: Database) -> Iterator[tuple[Tenant, FakeModel]]:
    script: list[dict[str, Any]] = []
    with fake_model(script) as model:
        settings = settings_for(
            db, walter_llm_url=model.url, walter_llm_model="tiny-test-model", walter_llm_api_key="sk-test-123"
        )
        with TestClient(create_app(settings, database=db)) as client:
            account, key, key_id = new_key(db)
            yield Tenant(account, "warehouse-east", key, key_id, client), model


def test_model_chooses_a_tool_then_answers(db: Database, model_tenant: tuple[Tenant, FakeModel]) -> None:
    tenant, model = model_tenant
    order_id = tenant.post("/partner/v1/orders", json=order_body("ORDER-1234")).json()["data"]["id"]
    model.script += [tool_call("find_order", {"order": "ORDER-1234"}), final("ORDER-1234 is pending.")]
    response = tenant.post(URL, json={"query": "Where is order ORDER-1234?", "context": {"page": "orders"}})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["response"], data["engine"], data["client_id"]) == (
        "ORDER-1234 is pending.",
        "llm",
        f"{tenant.account}:warehouse-east",
    )
    [call] = data["tool_calls"]
    assert (call["tool"], call["arguments"]) == ("find_order", {"order": "ORDER-1234"})
    assert call["result"]["found"] is True
    assert (call["result"]["order"]["id"], call["result"]["order"]["status"]) == (order_id, "pending")

    first, second = model.requests
    assert first["path"] == "/v1/chat/completions"
    assert model.headers[0]["authorization"] == "Bearer sk-test-123"
    body = first["body"]
    assert (body["model"], body["tool_choice"]) == ("tiny-test-model", "auto")
    assert [t["function"]["name"] for t in body["tools"]] == list(TOOLS)
    assert body["tools"][4]["function"]["parameters"]["required"] == ["order"]
    system, user = body["messages"]
    assert system["role"] == "system" and f"({tenant.account}:warehouse-east)" in system["content"]
    assert user == {"role": "user", "content": 'Where is order ORDER-1234?\n\nContext: {"page": "orders"}'}
    assistant, tool_message = second["body"]["messages"][2:]
    assert assistant["tool_calls"][0]["function"]["name"] == "find_order"
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"]) == call["result"]


def test_model_sees_only_the_callers_account(
    db: Database, model_tenant: tuple[Tenant, FakeModel], other_tenant: Tenant
) -> None:
    tenant, model = model_tenant
    theirs = other_tenant.post("/partner/v1/orders", json=order_body("THEIRS-1")).json()["data"]["id"]
    model.script += [
        tool_call("find_order", {"order": theirs}, "a"),
        tool_call("count_orders", {}, "b"),
        final("Not found."),
    ]
    data = tenant.post(URL, json={"query": f"Where is {theirs}?"}).json()["data"]
    assert [c["result"] for c in data["tool_calls"]][0] == {"found": False, "order": theirs}
    assert data["tool_calls"][1]["result"]["total"] == 0


def test_bad_tool_calls_go_back_to_the_model(model_tenant: tuple[Tenant, FakeModel]) -> None:
    tenant, model = model_tenant
    model.script += [
        tool_call("drop_tables", {}, "x"),
        tool_call("count_orders", {"status": "lost"}, "y"),
        final("Sorry."),
    ]
    data = tenant.post(URL, json={"query": "Count my orders"}).json()["data"]
    assert data["response"] == "Sorry."
    assert data["tool_calls"][0]["result"] == {
        "error": "unknown tool 'drop_tables'; tools: " + ", ".join(TOOLS)
    }
    assert data["tool_calls"][1]["result"]["error"].startswith("Invalid arguments for count_orders: status:")
    tool_messages = [m for m in model.requests[2]["body"]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["x", "y"]


def test_model_failure_falls_back_to_the_builtin_parser(model_tenant: tuple[Tenant, FakeModel]) -> None:
    tenant, model = model_tenant
    model.script += [{"error": "overloaded"}]  # the fake answers 500
    data = tenant.post(URL, json={"query": "Which orders are on hold and why?"}).json()["data"]
    assert (data["engine"], data["response"]) == ("builtin", "No orders are on hold.")
    assert [c["tool"] for c in data["tool_calls"]] == ["held_orders"]
    assert len(model.requests) == 1


def test_unreachable_model_falls_back(db: Database) -> None:
    settings = settings_for(db, walter_llm_url="http://127.0.0.1:9/v1", walter_llm_timeout_seconds=2)
    with TestClient(create_app(settings, database=db)) as client:
        _account, key, _ = new_key(db)
        response = client.post(
            URL, json={"query": "How many orders do I have?"}, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200
    assert (response.json()["data"]["engine"], response.json()["data"]["response"]) == (
        "builtin",
        "You have 0 orders.",
    )
