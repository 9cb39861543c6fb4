"""Notification email over SMTP: an account's own settings first, then WARPWARE_SMTP_*."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from warpware.config import Settings
from warpware.kit import crypto
from warpware.webhooks import ssrf
from warpware.webhooks.models import Notification, NotificationSettings

SMTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str
    sender: str
    recipients: tuple[str, ...]
    username: str | None
    password: str | None
    # An account's own host is a target a partner chose: it gets the webhook URL rules.
    partner_chosen_host: bool


def resolve_config(settings: Settings, account: NotificationSettings | None) -> SmtpConfig | None:
    """The SMTP server and recipients for an account, or None when email is not configured."""
    own_host = bool(account and account.smtp_host)
    host = account.smtp_host if account and account.smtp_host else settings.smtp_host
    recipients = (
        tuple(account.recipients)
        if account and account.recipients
        else tuple(r.strip() for r in settings.smtp_recipients.split(",") if r.strip())
    )
    if not host or not recipients:
        return None
    if own_host and account is not None:
        encrypted = account.smtp_password_encrypted
        password = crypto.decrypt(encrypted) if encrypted else None
        return SmtpConfig(
            host=host,
            port=account.smtp_port or 587,
            tls=account.smtp_tls or "starttls",
            sender=account.smtp_sender or settings.smtp_sender,
            recipients=recipients,
            username=account.smtp_username,
            password=password,
            partner_chosen_host=True,
        )
    return SmtpConfig(
        host=host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        sender=(account.smtp_sender if account and account.smtp_sender else settings.smtp_sender),
        recipients=recipients,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        partner_chosen_host=False,
    )


def build_message(config: SmtpConfig, notification: Notification) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[WarpWare] {notification.title}"
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(notification.created_at.timestamp(), usegmt=True)
    # Stable per notification: a resend after a crash is recognisably the same message.
    message["Message-ID"] = make_msgid(idstring=f"notification-{notification.id}", domain="warpware.local")
    message["X-WarpWare-Notification"] = notification.kind
    message.set_content(
        f"{notification.message}\n\nAccount notification {notification.id}, "
        f"{notification.created_at.isoformat()}.\n"
    )
    return message


def send(config: SmtpConfig, message: EmailMessage, *, allow_private: bool) -> None:
    """Send one message; raises OSError / smtplib.SMTPException / ssrf.UnsafeTarget on failure."""
    pinned = None
    if config.partner_chosen_host:
        pinned = ssrf.resolve(f"https://{config.host}:{config.port}/", allow_private=allow_private).address
    context = ssl.create_default_context()
    client: _PinnedSMTP | _PinnedSMTPSSL
    if config.tls == "ssl":
        client = _PinnedSMTPSSL(timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        client = _PinnedSMTP(timeout=SMTP_TIMEOUT_SECONDS)
    client.pinned_address = pinned
    client.connect(config.host, config.port)
    with client:
        if config.tls == "starttls":
            client.starttls(context=context)
        if config.username and config.password:
            client.login(config.username, config.password)
        client.send_message(message, to_addrs=list(config.recipients))


class _PinnedSMTP(smtplib.SMTP):
    """Connects to the address that was checked; TLS still verifies the configured host name."""

    pinned_address: str | None = None

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(self.pinned_address or host, port, timeout)  # type: ignore[misc]
        return sock


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    pinned_address: str | None = None

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(self.pinned_address or host, port, timeout)  # type: ignore[misc]
        return sock
