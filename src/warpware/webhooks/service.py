"""Webhook endpoints and deliveries as plain functions over a session. They never commit."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import Forbidden, NotFound, Unprocessable
from warpware.kit import crypto
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id, parse_uuid
from warpware.webhooks import notify, outbox, repository, ssrf
from warpware.webhooks.models import Notification, NotificationSettings, WebhookDelivery, WebhookEndpoint
from warpware.webhooks.schemas import (
    MAX_ACTIVE_ENDPOINTS,
    NotificationSettingsUpdate,
    WebhookCreate,
    WebhookUpdate,
    notification_read,
)
from warpware.webhooks.sender import Outcome
from warpware.webhooks.signing import generate_secret
from warpware.worker import cancel_jobs
from warpware.worker.backoff import RandomSource

# Seconds to wait after failed attempt n (1-based), ±10% jitter: 1, 2, 4 ... 256 minutes, then 8 h
# twice. Twelve attempts over about 24.5 hours; a day of failures in a row also disables the endpoint.
RETRY_SCHEDULE_SECONDS = (60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 28800, 28800)
RETRY_JITTER = 0.1
MAX_ATTEMPTS = len(RETRY_SCHEDULE_SECONDS) + 1
# A test event is tried once: its point is to show at once whether the receiver works.
TEST_EVENT_ATTEMPTS = 1
DISABLE_AFTER = dt.timedelta(hours=24)
SNIPPET_IN_ERROR = 300


def retry_delay(attempt: int, rng: RandomSource) -> float:
    """Seconds before the attempt after failed attempt `attempt`."""
    base = RETRY_SCHEDULE_SECONDS[min(attempt, len(RETRY_SCHEDULE_SECONDS)) - 1]
    return base * (1.0 + RETRY_JITTER * (2.0 * rng.random() - 1.0))


# --- endpoints -------------------------------------------------------------------------------------


def create_endpoint(
    session: Session, principal: Principal, body: WebhookCreate, *, allow_private: bool
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (the only time the secret leaves the service)."""
    try:
        # Resolving now gives a partner early feedback; the same check runs again before every attempt.
        ssrf.resolve(body.url, allow_private=allow_private)
    except ssrf.UnresolvableHost:
        pass  # DNS may not be set up yet; sending will tell
    except ssrf.UnsafeTarget as exc:
        raise Unprocessable(f"Invalid webhook url: {exc}") from None
    repository.lock_account(session, principal.account_id)
    if repository.count_active(session, principal.account_id) >= MAX_ACTIVE_ENDPOINTS:
        raise Unprocessable(
            f"An account can have at most {MAX_ACTIVE_ENDPOINTS} active webhook endpoints; "
            "delete one before registering another"
        )
    secret = body.secret or generate_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        account_id=principal.account_id,
        sub_client_id=principal.sub_client_id,
        url=body.url,
        events=body.events,
        secret_encrypted=crypto.encrypt(secret),
        active=True,
        created_at=now,
        updated_at=now,
        failure_count=0,
    )
    repository.add_endpoint(session, endpoint)
    return endpoint, secret


def list_endpoints(session: Session, principal: Principal) -> list[WebhookEndpoint]:
    return repository.list_endpoints(session, principal)


def get_endpoint(
    session: Session, principal: Principal, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    parsed = parse_uuid(endpoint_id)
    endpoint = repository.get_endpoint(session, principal, parsed, for_update=for_update) if parsed else None
    if endpoint is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} not found")
    return endpoint


def update_endpoint(
    session: Session, principal: Principal, endpoint_id: str, body: WebhookUpdate
) -> WebhookEndpoint:
    """Change the events, or switch an endpoint on or off. Re-enabling starts its failure count afresh."""
    endpoint = get_endpoint(session, principal, endpoint_id, for_update=True)
    now = utcnow()
    if body.events is not None:
        endpoint.events = body.events
    if body.active is True and not endpoint.active:
        repository.lock_account(session, principal.account_id)
        if repository.count_active(session, principal.account_id) >= MAX_ACTIVE_ENDPOINTS:
            raise Unprocessable(
                f"An account can have at most {MAX_ACTIVE_ENDPOINTS} active webhook endpoints"
            )
        endpoint.active = True
        endpoint.failure_count = 0
        endpoint.failing_since = endpoint.disabled_at = endpoint.disabled_reason = None
    elif body.active is False and endpoint.active:
        _deactivate(session, endpoint, now=now, reason="Disabled by the account")
    endpoint.updated_at = now
    return endpoint


def delete_endpoint(session: Session, principal: Principal, endpoint_id: str) -> None:
    """Remove the endpoint and cancel what it still had to receive; its delivery history stays."""
    endpoint = get_endpoint(session, principal, endpoint_id, for_update=True)
    now = utcnow()
    endpoint.deleted_at = endpoint.updated_at = now
    endpoint.active = False
    cancel_jobs(session, group_key=outbox.endpoint_group(endpoint.id))
    repository.cancel_pending_deliveries(session, endpoint.id, now=now, reason="Endpoint deleted")


def _deactivate(session: Session, endpoint: WebhookEndpoint, *, now: dt.datetime, reason: str) -> None:
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    cancel_jobs(session, group_key=outbox.endpoint_group(endpoint.id))
    repository.cancel_pending_deliveries(session, endpoint.id, now=now, reason=f"Endpoint disabled: {reason}")


def send_test(session: Session, principal: Principal, endpoint_id: str) -> WebhookDelivery:
    endpoint = get_endpoint(session, principal, endpoint_id)
    if not endpoint.active:
        raise Unprocessable("This endpoint is disabled; re-enable it (PATCH active: true) before testing")
    now = utcnow()
    event_id = new_id()
    data = {
        "message": "Test event from WarpWare: signature and delivery check",
        "endpoint_id": endpoint.id,
        "url": endpoint.url,
        "client_id": principal.client_id,
    }
    [delivery_id] = outbox.write_deliveries(
        session,
        [
            outbox.NewDelivery(
                endpoint_id=endpoint.id,
                account_id=endpoint.account_id,
                event_id=event_id,
                event="webhook.test",
                subject=f"test:{event_id}",
                body=outbox.event_body(event_id, "webhook.test", now, data),
            )
        ],
    )
    return _delivery(session, delivery_id)


def list_deliveries(
    session: Session,
    principal: Principal,
    endpoint_id: str,
    *,
    limit: int,
    status: str | None,
    before_seq: int | None = None,
) -> list[WebhookDelivery]:
    endpoint = get_endpoint(session, principal, endpoint_id)
    return repository.list_deliveries(session, endpoint.id, limit=limit, status=status, before_seq=before_seq)


def redeliver(session: Session, principal: Principal, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    """Send a past delivery again: the same event (id, body) as a new delivery with its own attempts."""
    endpoint = get_endpoint(session, principal, endpoint_id)
    parsed = parse_uuid(delivery_id)
    original = repository.get_endpoint_delivery(session, endpoint.id, parsed) if parsed else None
    if original is None:
        raise NotFound(f"Delivery {delivery_id} not found")
    if not endpoint.active:
        raise Unprocessable(
            "This endpoint is disabled; re-enable it (PATCH active: true) before redelivering"
        )
    [new_delivery] = outbox.write_deliveries(
        session,
        [
            outbox.NewDelivery(
                endpoint_id=endpoint.id,
                account_id=endpoint.account_id,
                event_id=original.event_id,
                event=original.event,
                subject=original.subject,
                body=original.body,
                order_id=original.order_id,
                redelivery_of=original.id,
            )
        ],
    )
    return _delivery(session, new_delivery)


def _delivery(session: Session, delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = repository.get_delivery(session, delivery_id)
    assert delivery is not None
    return delivery


# --- what the delivery worker records --------------------------------------------------------------


def cancel_delivery(session: Session, delivery_id: uuid.UUID, *, reason: str) -> None:
    delivery = repository.get_delivery(session, delivery_id, for_update=True)
    if delivery is not None and delivery.status == "pending":
        delivery.status = "cancelled"
        delivery.last_error = reason
        delivery.next_attempt_at = None


def record_attempt(
    session: Session,
    delivery_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    outcome: Outcome,
    *,
    now: dt.datetime,
    rng: RandomSource,
) -> float | None:
    """Record one attempt on the delivery and its endpoint; returns seconds until the next attempt, or
    None when the delivery is finished (delivered, out of attempts, or its endpoint was disabled)."""
    # Endpoint first, then delivery, as DELETE does: two transactions never wait on each other in a circle.
    endpoint = repository.get_endpoint_unscoped(session, endpoint_id, for_update=True)
    delivery = repository.get_delivery(session, delivery_id, for_update=True)
    if delivery is None or endpoint is None or delivery.status != "pending":
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = endpoint.last_delivery_at = now
    delivery.last_status_code = endpoint.last_response_code = outcome.status_code
    if outcome.ok:
        delivery.status, delivery.delivered_at = "delivered", now
        delivery.last_error = delivery.next_attempt_at = None
        endpoint.last_delivery_status = "success"
        endpoint.failure_count = 0
        endpoint.failing_since = None
        return None
    error = outcome.error or "failed"
    if outcome.response_snippet:
        error += f": {outcome.response_snippet[:SNIPPET_IN_ERROR]}"
    delivery.last_error = error
    endpoint.last_delivery_status = "failed"
    endpoint.failure_count += 1
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.active and now - endpoint.failing_since >= DISABLE_AFTER:
        reason = (
            f"{endpoint.failure_count} failed attempts since {endpoint.failing_since.isoformat()}; "
            f"last: {error}"
        )
        _deactivate(session, endpoint, now=now, reason=reason[:1000])
        notify.endpoint_disabled(session, endpoint, reason=reason[:1000])
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    limit = TEST_EVENT_ATTEMPTS if delivery.event == "webhook.test" else MAX_ATTEMPTS
    if delivery.attempts >= limit:
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delay = retry_delay(delivery.attempts, rng)
    delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
    return delay


# --- notifications ---------------------------------------------------------------------------------


def recent_notifications(session: Session, principal: Principal, *, limit: int = 20) -> list[Notification]:
    return repository.recent_notifications(session, principal, limit=limit)


def record_email(session: Session, notification_id: int, *, status: str, error: str | None = None) -> None:
    notification = repository.get_notification(session, notification_id)
    if notification is None:
        return
    notification.email_status = status
    notification.email_error = error[:2000] if error else None
    if status == "sent":
        notification.emailed_at = utcnow()


def get_notification_settings(session: Session, principal: Principal) -> NotificationSettings | None:
    return repository.notification_settings(session, principal.account_id)


def put_notification_settings(
    session: Session, principal: Principal, body: NotificationSettingsUpdate, *, allow_private: bool
) -> NotificationSettings:
    """Replace the account's notification settings (a password left out keeps the stored one)."""
    if principal.sub_client_id is not None:
        raise Forbidden(
            "Notification settings belong to the account: use a key that is not bound to a sub-client"
        )
    if body.smtp_host is not None:
        try:
            ssrf.parse_url(f"https://{body.smtp_host}:{body.smtp_port or 587}/", allow_private=allow_private)
        except ssrf.UnsafeTarget as exc:
            raise Unprocessable(f"Invalid smtp_host: {exc}") from None
    settings = repository.notification_settings(session, principal.account_id)
    if settings is None:
        settings = NotificationSettings(account_id=principal.account_id)
        repository.add_notification_settings(session, settings)
    settings.recipients = body.recipients
    settings.smtp_host, settings.smtp_port, settings.smtp_tls = body.smtp_host, body.smtp_port, body.smtp_tls
    settings.smtp_username, settings.smtp_sender = body.smtp_username, body.smtp_sender
    if body.smtp_password is not None:
        settings.smtp_password_encrypted = crypto.encrypt(body.smtp_password) if body.smtp_password else None
    settings.updated_at = utcnow()
    return settings


def health_notifications(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The recent notifications the health panel shows."""
    return [notification_read(n) for n in recent_notifications(session, principal)]


# --- what the dashboard shows ----------------------------------------------------------------------

HEALTH_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class EndpointHealth:
    """An endpoint with its last day of deliveries: `success_rate` is delivered / finished (None when
    nothing finished), so deliveries still waiting for a retry do not count against it yet."""

    endpoint: WebhookEndpoint
    counts: repository.DeliveryCounts

    @property
    def success_rate(self) -> float | None:
        finished = self.counts.delivered + self.counts.failed
        return self.counts.delivered / finished if finished else None


def endpoints_with_health(session: Session, principal: Principal) -> list[EndpointHealth]:
    endpoints = repository.list_endpoints(session, principal)
    counts = repository.delivery_counts(
        session, [e.id for e in endpoints], since=utcnow() - HEALTH_WINDOW
    )
    return [EndpointHealth(e, counts[e.id]) for e in endpoints]
