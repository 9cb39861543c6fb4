"""Webhook endpoints, their deliveries (the outbox rows), and account notifications."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK, JSONType
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id

DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")
EMAIL_STATUSES = ("pending", "sent", "failed", "not_configured")


class WebhookEndpoint(Base):
    """A partner's URL and the events it wants. Deleting one keeps the row (its delivery history)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_account", "account_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", name="fk_webhook_endpoints_account")
    )
    # Registered with a sub-client's key: it hears only about that sub-client's orders.
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_clients.id", name="fk_webhook_endpoints_sub_client"), default=None
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSONType)
    # Fernet ciphertext: deliveries must be signed with the secret itself, so it is encrypted, not hashed.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_delivery_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_delivery_status: Mapped[str | None] = mapped_column(String(20), default=None)
    last_response_code: Mapped[int | None] = mapped_column(default=None)
    # Consecutive failed attempts, and when the current run of failures began (None after a success).
    failure_count: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)


class WebhookDelivery(Base):
    """One event for one endpoint: the exact body that is signed and sent, and how sending went.

    Written in the transaction of the change that caused the event, together with its
    `webhook.deliver` job, so an event exists exactly when its cause committed.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in DELIVERY_STATUSES)),
            name="ck_webhook_deliveries_status",
        ),
        UniqueConstraint("id", name="uq_webhook_deliveries_id"),
        Index("ix_webhook_deliveries_endpoint_seq", "endpoint_id", "seq"),
        Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status"),
    )

    # seq orders "recent deliveries" newest first; id is what the API and the job carry.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", name="fk_webhook_deliveries_endpoint")
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The event: the same id in every endpoint's copy and in every retry or replay of it.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    redelivery_of: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class Notification(Base):
    """Something an account must hear about (an order that needs a person, a disabled endpoint).

    Always listed on the health panel; emailed too when SMTP is configured.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "email_status IN ({})".format(", ".join(f"'{s}'" for s in EMAIL_STATUSES)),
            name="ck_notifications_email_status",
        ),
        Index("ix_notifications_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    email_status: Mapped[str] = mapped_column(String(20), default="pending")
    emailed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    email_error: Mapped[str | None] = mapped_column(Text, default=None)


class NotificationSettings(Base):
    """An account's own email settings; every field left empty falls back to WARPWARE_SMTP_*."""

    __tablename__ = "notification_settings"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", name="fk_notification_settings_account"), primary_key=True
    )
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    smtp_host: Mapped[str | None] = mapped_column(String(255), default=None)
    smtp_port: Mapped[int | None] = mapped_column(default=None)
    smtp_tls: Mapped[str | None] = mapped_column(String(10), default=None)
    smtp_username: Mapped[str | None] = mapped_column(String(255), default=None)
    smtp_password_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    smtp_sender: Mapped[str | None] = mapped_column(String(320), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
