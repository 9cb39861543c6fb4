"""The webhook and notification jobs. Each takes an id, reloads its row and is safe to run twice."""

from __future__ import annotations

import logging
import random
import smtplib
import uuid
from typing import Any

from warpware.config import get_settings
from warpware.kit import crypto
from warpware.kit.clock import utcnow
from warpware.webhooks import email, repository, sender, service, signing, ssrf
from warpware.webhooks.notify import EMAIL_JOB
from warpware.webhooks.outbox import DELIVER_JOB
from warpware.worker import JobContext, RetryLater, job_handler

log = logging.getLogger("warpware.webhooks")
_rng = random.Random()
EMAIL_RETRY_BASE_SECONDS = 60.0
EMAIL_RETRY_CAP_SECONDS = 3600.0


@job_handler(DELIVER_JOB)
def deliver_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """One attempt at one delivery. The HTTP call happens outside any transaction; its outcome is
    recorded after. A worker that dies in between sends again (at least once: receivers deduplicate on
    webhook-id / X-WarpWare-Delivery, which stay the same)."""
    delivery_id = uuid.UUID(str(payload["delivery_id"]))
    with ctx.database.reading() as session:
        found = repository.delivery_with_endpoint(session, delivery_id)
    if found is None or found[0].status != "pending":
        return
    delivery, endpoint = found
    if endpoint.deleted_at is not None or not endpoint.active:
        with ctx.database.writing() as session:
            service.cancel_delivery(session, delivery_id, reason="Endpoint deleted or disabled")
        return
    settings = get_settings()
    body = delivery.body.encode()
    headers = signing.delivery_headers(
        crypto.decrypt(endpoint.secret_encrypted),
        body=body,
        event=delivery.event,
        event_id=str(delivery.event_id),
        timestamp=int(utcnow().timestamp()),
    )
    outcome = sender.post(
        endpoint.url,
        body,
        headers,
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.allow_private_webhooks,
    )
    with ctx.database.writing() as session:
        delay = service.record_attempt(session, delivery_id, endpoint.id, outcome, now=utcnow(), rng=_rng)
    if delay is not None:
        log.info(
            "webhook delivery %s to %s failed (%s); next attempt in %.0f s",
            delivery_id,
            endpoint.url,
            outcome.error,
            delay,
        )
        raise RetryLater(delay, f"delivery failed: {outcome.error}")


@job_handler(EMAIL_JOB)
def email_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Email one notification, if the account (or the server) has SMTP configured."""
    notification_id = int(payload["notification_id"])
    with ctx.database.reading() as session:
        notification = repository.get_notification(session, notification_id)
        account = repository.notification_settings(session, notification.account_id) if notification else None
    if notification is None or notification.email_status in ("sent", "not_configured"):
        return
    settings = get_settings()
    config = email.resolve_config(settings, account)
    if config is None:
        with ctx.database.writing() as session:
            service.record_email(session, notification_id, status="not_configured")
        return
    try:
        message = email.build_message(config, notification)
        email.send(config, message, allow_private=settings.allow_private_webhooks)
    except (OSError, smtplib.SMTPException, ssrf.UnsafeTarget) as exc:
        final = ctx.attempt >= ctx.max_attempts
        with ctx.database.writing() as session:
            service.record_email(
                session,
                notification_id,
                status="failed" if final else "pending",
                error=f"{type(exc).__name__}: {exc}",
            )
        if final:
            return
        delay = min(EMAIL_RETRY_CAP_SECONDS, EMAIL_RETRY_BASE_SECONDS * 2 ** (ctx.attempt - 1))
        raise RetryLater(delay, f"email failed: {exc}") from exc
    with ctx.database.writing() as session:
        service.record_email(session, notification_id, status="sent")
