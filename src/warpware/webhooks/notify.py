"""Account notifications: a row the health panel lists, and an email job, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.kit.clock import utcnow
from warpware.webhooks import repository
from warpware.worker import enqueue

EMAIL_JOB = "notification.email"
EMAIL_JOB_MAX_ATTEMPTS = 8


def notify(
    session: Session,
    *,
    account_id: uuid.UUID,
    sub_client_id: uuid.UUID | None,
    kind: str,
    subject: str,
    title: str,
    message: str,
    details: dict[str, Any],
) -> int:
    """Record a notification and queue its email (the job finds out whether SMTP is configured)."""
    notification_id = repository.add_notification(
        session,
        {
            "account_id": account_id,
            "sub_client_id": sub_client_id,
            "kind": kind,
            "subject": subject,
            "title": title[:300],
            "message": message,
            "details": details,
            "created_at": utcnow(),
            "email_status": "pending",
        },
    )
    enqueue(
        session,
        EMAIL_JOB,
        {"notification_id": notification_id},
        dedupe_key=f"notification_email:{notification_id}",
        max_attempts=EMAIL_JOB_MAX_ATTEMPTS,
    )
    return notification_id


def order_failed(session: Session, order: Any, *, details: dict[str, Any], message: str) -> None:
    """An order whose automatic retries are over (timeline type `order.failed`) needs a person."""
    error = details.get("error_message") or order.error_message or message
    notify(
        session,
        account_id=order.account_id,
        sub_client_id=order.sub_client_id,
        kind="order.failed",
        subject=f"order:{order.id}",
        title=f"Order {order.external_id} failed and needs attention",
        message=f"Order {order.external_id} ({order.id}) could not be sent to its destination and will not "
        f"be retried automatically: {error}. Fix the cause, then retry it "
        f"(POST /partner/v1/orders/{order.id}/retry).",
        details={
            "order_id": str(order.id),
            "external_id": order.external_id,
            "error_message": error,
            "error_type": details.get("error_type") or order.error_category,
        },
    )


def endpoint_disabled(session: Session, endpoint: Any, *, reason: str) -> None:
    notify(
        session,
        account_id=endpoint.account_id,
        sub_client_id=endpoint.sub_client_id,
        kind="webhook.disabled",
        subject=f"webhook_endpoint:{endpoint.id}",
        title=f"Webhook endpoint {endpoint.url} was disabled",
        message=f"Deliveries to {endpoint.url} failed for a day without a success ({reason}), so the "
        "endpoint was disabled and its pending deliveries cancelled. Fix the receiver, then "
        f're-enable it with PATCH /partner/v1/webhooks/{endpoint.id} {{"active": true}}; past '
        "deliveries can be replayed from its deliveries list.",
        details={
            "endpoint_id": str(endpoint.id),
            "url": endpoint.url,
            "reason": reason,
            "failure_count": endpoint.failure_count,
        },
    )
