"""Sending: signatures, headers, retries and order while a receiver is down, crashes, the send-time
guard, timeouts, redirects, redelivery and the test event."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from tests.conftest import Tenant
from tests.pipeline.conftest import Clock
from tests.webhooks.conftest import create_order, deliveries, register
from tests.webhooks.receiver import Receiver, verify_signature
from warpware.app import HANDLER_MODULES
from warpware.db import Database
from warpware.kit.clock import utcnow
from warpware.webhooks.service import RETRY_SCHEDULE_SECONDS
from warpware.worker import Worker
from warpware.worker.models import jobs_table
from warpware.worker.repository import claim_jobs


def _hook_state(tenant: Tenant, hook_id: str) -> dict[str, Any]:
    data: dict[str, Any] = tenant.get(f"/partner/v1/webhooks/{hook_id}").json()["data"]
    return data


def test_order_created_is_signed_both_ways_with_the_documented_headers(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])
    order_id = create_order(tenant, "SIGNED-1")
    run_jobs()
    [request] = receiver.accepted()
    request.verify(hook.secret)
    headers, payload = request.headers, request.payload
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "WarpWare-Webhooks/1.0"
    assert headers["x-warpware-event"] == "order.created"
    assert (
        headers["x-warpware-signature"].startswith("sha256=") and len(headers["x-warpware-signature"]) == 71
    )
    assert headers["x-warpware-delivery"] == headers["webhook-id"] == payload["id"]
    assert set(payload) == {"id", "event", "timestamp", "data"}
    assert payload["event"] == "order.created"
    assert payload["timestamp"].endswith("Z")
    # data is the full order, as GET /orders/{id} shows it.
    assert payload["data"] == tenant.get(f"/partner/v1/orders/{order_id}").json()["data"] | {
        "updated_at": payload["data"]["updated_at"]
    }
    assert payload["data"]["line_items"] == [
        {"sku": "WIDGET-RED-LG", "name": None, "quantity": 2, "price": 29.99}
    ]
    # A changed byte fails both checks.
    assert not verify_signature(hook.secret, request.body + b" ", headers["x-warpware-signature"])
    [delivery] = deliveries(db, hook.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    state = _hook_state(tenant, hook.id)
    assert (state["last_delivery_status"], state["failure_count"], state["last_response_code"]) == (
        "success",
        0,
        200,
    )
    assert state["last_delivery_at"] is not None


def test_caller_secret_verifies_with_the_reference_and_standard_webhooks(
    tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(
        tenant, receiver.url, ["order.created", "order.cancelled"], secret="your_webhook_secret_here"
    )
    order_id = create_order(tenant)
    tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={"reason": "Customer changed mind"})
    run_jobs()
    requests = receiver.accepted()
    assert [r.event for r in requests] == ["order.created", "order.cancelled"]
    for request in requests:
        request.verify(hook.secret)
    assert hook.secret == "your_webhook_secret_here"
    assert requests[1].payload["data"]["reason"] == "Customer changed mind"


def test_receiver_down_for_a_while_gets_every_event_once_in_order(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int], clock: Clock
) -> None:
    hook = register(
        tenant,
        receiver.url,
        ["order.created", "order.status_changed", "order.held", "order.released", "order.cancelled"],
    )
    receiver.stop()
    orders = [create_order(tenant, f"DOWN-{i}") for i in range(3)]
    for order_id in orders:
        tenant.post(f"/partner/v1/orders/{order_id}/hold", json={"reason": "Check address"})
        tenant.post(f"/partner/v1/orders/{order_id}/release")
    tenant.post(f"/partner/v1/orders/{orders[0]}/cancel", json={"reason": "Duplicate"})
    run_jobs()
    # One attempt each at the head of every order's line; the rest wait behind them.
    attempted = [d for d in deliveries(db, hook.id) if d.attempts]
    assert len(attempted) == 3 and {d.event for d in attempted} == {"order.created"}
    assert all(
        d.status == "pending" and d.last_error and d.last_error.startswith("connection failed")
        for d in attempted
    )
    state = _hook_state(tenant, hook.id)
    assert (state["last_delivery_status"], state["failure_count"], state["active"]) == ("failed", 3, True)
    for delay in RETRY_SCHEDULE_SECONDS[:3]:  # down for three more attempts (about 7 minutes)
        clock.advance(delay * 1.1 + 1)
        run_jobs()
    assert receiver.accepted() == []
    assert _hook_state(tenant, hook.id)["failure_count"] == 12

    receiver.start()
    clock.advance(RETRY_SCHEDULE_SECONDS[3] * 1.1 + 1)
    run_jobs()
    expected = [
        "order.created",
        "order.status_changed",
        "order.held",
        "order.status_changed",
        "order.released",
    ]
    assert receiver.for_order(orders[0]) == [*expected, "order.status_changed", "order.cancelled"]
    assert receiver.for_order(orders[1]) == expected
    assert receiver.for_order(orders[2]) == expected
    ids = [r.payload["id"] for r in receiver.accepted()]
    assert len(ids) == len(set(ids)) == 17
    for request in receiver.accepted():
        request.verify(hook.secret, fresh=False)
    transitions = [
        (r.payload["data"]["previous_status"], r.payload["data"]["current_status"])
        for r in receiver.accepted()
        if r.event == "order.status_changed" and r.payload["data"]["id"] == orders[0]
    ]
    assert transitions == [("pending", "hold"), ("hold", "pending"), ("pending", "cancelled")]
    assert all(d.status == "delivered" for d in deliveries(db, hook.id))
    assert {d.attempts for d in deliveries(db, hook.id) if d.event == "order.created"} == {5}
    state = _hook_state(tenant, hook.id)
    assert (state["last_delivery_status"], state["failure_count"]) == ("success", 0)


def test_a_change_committed_before_a_crash_is_still_delivered(
    db: Database, tenant: Tenant, receiver: Receiver
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])
    order_id = create_order(tenant, "CRASH-1")  # committed; no worker ran
    Worker(db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()
    assert receiver.for_order(order_id) == ["order.created"]
    receiver.accepted()[0].verify(hook.secret)


def test_a_worker_that_died_mid_delivery_is_taken_over(
    db: Database, tenant: Tenant, receiver: Receiver, clock: Clock
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])
    order_id = create_order(tenant, "CRASH-2")
    with db.writing() as session:  # a worker claims the delivery and dies before sending
        [job] = [
            j
            for j in claim_jobs(
                session,
                worker_id="doomed",
                names=["webhook.deliver"],
                limit=10,
                lease_seconds=30,
                now=utcnow(),
            )
            if j.payload["delivery_id"] == str(deliveries(db, hook.id)[0].id)
        ]
    Worker(db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()
    assert receiver.accepted() == []  # the lease still holds
    clock.advance(31)
    Worker(db, concurrency=2, poll_interval=0.01, handler_modules=HANDLER_MODULES).run_until_idle()
    assert receiver.for_order(order_id) == ["order.created"]
    with db.reading() as session:
        status, attempts = session.execute(
            select(jobs_table.c.status, jobs_table.c.attempts).where(jobs_table.c.id == job.id)
        ).one()
    assert (status, attempts) == ("done", 2)


def test_private_targets_are_refused_at_send_time(
    db: Database,
    tenant: Tenant,
    receiver: Receiver,
    run_jobs: Callable[[], int],
    worker_env: Callable[..., None],
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])  # the API allowed it (dev setting)
    worker_env(allow_private_webhooks="0")  # the workers do not
    create_order(tenant)
    run_jobs()
    assert receiver.requests == []
    [delivery] = deliveries(db, hook.id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == ("refused: the URL must use https")
    https_hook = register(tenant, f"https://127.0.0.1:{receiver.port}/x", ["order.created"])
    create_order(tenant)
    run_jobs()
    [refused] = deliveries(db, https_hook.id)
    assert refused.last_error == "refused: 127.0.0.1 is a private, loopback or link-local address"
    assert receiver.requests == []


def test_timeouts_and_redirects_are_failures(
    db: Database,
    tenant: Tenant,
    receiver: Receiver,
    run_jobs: Callable[[], int],
    worker_env: Callable[..., None],
) -> None:
    worker_env(webhook_timeout_seconds="0.5")
    slow = register(tenant, receiver.url, ["order.created"])
    receiver.delay = 1.5
    create_order(tenant)
    run_jobs()
    [delivery] = deliveries(db, slow.id)
    assert delivery.status == "pending" and delivery.last_error == "timeout: no complete answer within 0.5 s"
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()  # type: ignore[operator]
    assert RETRY_SCHEDULE_SECONDS[0] * 0.9 <= wait <= RETRY_SCHEDULE_SECONDS[0] * 1.1
    tenant.delete(f"/partner/v1/webhooks/{slow.id}")

    receiver.delay, receiver.status, receiver.location = 0.0, 302, receiver.url + "/elsewhere"
    redirected = register(tenant, receiver.url, ["order.created"])
    create_order(tenant)
    run_jobs()
    [delivery] = deliveries(db, redirected.id)
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert delivery.last_error == "HTTP 302 (redirects are not followed): ok"
    assert [r.path for r in receiver.requests if r.path.endswith("elsewhere")] == []


def test_redelivery_replays_the_same_event(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    hook = register(tenant, receiver.url, ["order.created"])
    create_order(tenant)
    run_jobs()
    [original] = deliveries(db, hook.id)
    response = tenant.post(f"/partner/v1/webhooks/{hook.id}/deliveries/{original.id}/redeliver")
    assert response.status_code == 202
    replay = response.json()["data"]
    assert (replay["status"], replay["attempts"], replay["redelivery_of"]) == ("pending", 0, str(original.id))
    assert replay["event_id"] == str(original.event_id) and replay["id"] != str(original.id)
    run_jobs()
    first, second = receiver.accepted()
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verify(hook.secret)
    listed = tenant.get(f"/partner/v1/webhooks/{hook.id}/deliveries").json()
    assert [(d["id"], d["status"], d["attempts"], d["last_status_code"]) for d in listed["data"]] == [
        (replay["id"], "delivered", 1, 200),
        (str(original.id), "delivered", 1, 200),
    ]
    assert listed["meta"] == {"count": 2, "limit": 50}
    only_pending = tenant.get(f"/partner/v1/webhooks/{hook.id}/deliveries?status=pending").json()
    assert only_pending["data"] == []


def test_test_event(db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int]) -> None:
    hook = register(tenant, receiver.url, ["order.shipped"])
    response = tenant.post(f"/partner/v1/webhooks/{hook.id}/test")
    assert response.status_code == 202 and response.json()["data"]["event"] == "webhook.test"
    run_jobs()
    [request] = receiver.accepted()
    request.verify(hook.secret)
    assert request.event == "webhook.test" and request.headers["x-warpware-event"] == "webhook.test"
    assert request.payload["data"]["endpoint_id"] == hook.id
    # A failing test is tried once: it reports at once, it does not retry for a day.
    receiver.status = 500
    tenant.post(f"/partner/v1/webhooks/{hook.id}/test")
    run_jobs()
    latest = deliveries(db, hook.id)[-1]
    assert (latest.status, latest.attempts, latest.last_status_code, latest.last_error) == (
        "failed",
        1,
        500,
        "HTTP 500: ok",
    )
    assert _hook_state(tenant, hook.id)["failure_count"] == 1


def test_a_day_of_failures_disables_the_endpoint(
    db: Database, tenant: Tenant, receiver: Receiver, run_jobs: Callable[[], int], clock: Clock
) -> None:
    hook = register(tenant, receiver.url, ["order.created", "order.cancelled"])
    receiver.status = 503
    order_id = create_order(tenant, "DAY-1")
    tenant.post(f"/partner/v1/orders/{order_id}/cancel", json={})
    run_jobs()
    started = clock.now
    for delay in RETRY_SCHEDULE_SECONDS:
        assert _hook_state(tenant, hook.id)["active"] is True
        clock.advance(delay * 1.1 + 1)
        run_jobs()
    state = _hook_state(tenant, hook.id)
    assert state["active"] is False and state["failure_count"] == 12
    assert state["disabled_reason"].startswith("12 failed attempts since")
    assert clock.now - started >= dt.timedelta(hours=24)
    created, cancelled = deliveries(db, hook.id)
    assert (created.status, created.attempts) == ("failed", 12)
    assert cancelled.status == "cancelled" and cancelled.attempts == 0
    assert len(receiver.requests) == 12
    # The account hears about it on the health panel (and by email: see test_notifications).
    [notification] = tenant.get("/partner/v1/health").json()["data"]["notifications"]
    assert notification["kind"] == "webhook.disabled" and hook.id in notification["message"]
    # Nothing more is sent until it is re-enabled; then new events flow again.
    receiver.status = 200
    tenant.post(
        "/partner/v1/orders",
        json={
            "external_id": f"DAY-2-{uuid.uuid4().hex[:6]}",
            "line_items": [{"sku": "A", "quantity": 1}],
            "shipping_address": {"name": "A", "address1": "1", "city": "B", "state": "NY", "zip": "1"},
        },
    )
    run_jobs()
    assert receiver.accepted() == []
    assert (
        tenant.patch(f"/partner/v1/webhooks/{hook.id}", json={"active": True}).json()["data"]["failure_count"]
        == 0
    )
    create_order(tenant)
    run_jobs()
    assert receiver.events() == ["order.created"]
