"""Request bodies and response shapes of the webhook and notification endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from warpware.orders.schemas import EMAIL_RE
from warpware.webhooks.events import EVENT_TYPES
from warpware.webhooks.signing import SECRET_PREFIX, is_valid_whsec

MAX_ACTIVE_ENDPOINTS = 10


def _known_events(value: list[str]) -> list[str]:
    unknown = [e for e in value if e not in EVENT_TYPES]
    if unknown:
        raise ValueError(
            f"unknown event type(s) {', '.join(unknown)}; valid types are {', '.join(EVENT_TYPES)}"
        )
    return list(dict.fromkeys(value))


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    events: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES) * 2)
    # Optional: the public docs show the caller choosing it; without one a strong one is generated.
    secret: Annotated[str, StringConstraints(min_length=16, max_length=256)] | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        return _known_events(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(c.isspace() for c in value) or not value.isprintable():
            raise ValueError("the secret must be printable text without spaces")
        if value.startswith(SECRET_PREFIX) and not is_valid_whsec(value):
            raise ValueError(
                f"a secret starting with {SECRET_PREFIX} must be followed by base64 of at "
                "least 16 bytes (the Standard Webhooks form)"
            )
        return value


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES) * 2)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _known_events(value)


class NotificationSettingsUpdate(BaseModel):
    """An account's notification email settings; fields left out fall back to WARPWARE_SMTP_*."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    recipients: list[Annotated[str, StringConstraints(max_length=320)]] = Field(
        default_factory=list, max_length=20
    )
    smtp_host: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_tls: Literal["starttls", "ssl", "none"] | None = None
    smtp_username: Annotated[str, StringConstraints(max_length=255)] | None = None
    smtp_password: Annotated[str, StringConstraints(max_length=255)] | None = None
    smtp_sender: Annotated[str, StringConstraints(max_length=320)] | None = None

    @field_validator("recipients")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not EMAIL_RE.match(r)]
        if bad:
            raise ValueError(f"not a valid email address: {bad[0]}")
        return list(dict.fromkeys(value))


def endpoint_read(endpoint: Any, *, secret: str | None = None) -> dict[str, Any]:
    """The documented endpoint object; `secret` only in the answer to the registration."""
    data: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "created_at": endpoint.created_at,
        "last_delivery_at": endpoint.last_delivery_at,
        "last_delivery_status": endpoint.last_delivery_status,
        "failure_count": endpoint.failure_count,
        "last_response_code": endpoint.last_response_code,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
    }
    if secret is not None:
        data["secret"] = secret
    return data


def delivery_read(delivery: Any) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event": delivery.event,
        "subject": delivery.subject,
        "order_id": delivery.order_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
        "redelivery_of": delivery.redelivery_of,
    }


def notification_read(notification: Any) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "subject": notification.subject,
        "title": notification.title,
        "message": notification.message,
        "details": notification.details,
        "created_at": notification.created_at,
        "email_status": notification.email_status,
        "emailed_at": notification.emailed_at,
    }


def notification_settings_read(settings: Any) -> dict[str, Any]:
    return {
        "recipients": list(settings.recipients or []) if settings else [],
        "smtp_host": settings.smtp_host if settings else None,
        "smtp_port": settings.smtp_port if settings else None,
        "smtp_tls": settings.smtp_tls if settings else None,
        "smtp_username": settings.smtp_username if settings else None,
        "has_smtp_password": bool(settings and settings.smtp_password_encrypted),
        "smtp_sender": settings.smtp_sender if settings else None,
    }
