"""Roles and what each may do, as data; the rules for emails, passwords and session lifetimes. Pure."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW = "view"  # every page, read only
    ACT_ON_ORDERS = "orders.act"  # hold, release, retry, cancel, edit, archive, reset
    RUN_DEMO = "demo.run"
    MANAGE_CONNECTIONS = "connections.manage"
    MANAGE_KEYS = "keys.manage"
    MANAGE_RULES = "rules.manage"
    MANAGE_USERS = "users.manage"
    MANAGE_WEBHOOKS = "webhooks.manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.OPERATOR: frozenset({Permission.VIEW, Permission.ACT_ON_ORDERS, Permission.RUN_DEMO}),
    Role.ADMIN: frozenset(Permission),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.VIEWER: "can look at everything but change nothing",
    Role.OPERATOR: "acts on orders (hold, release, retry, cancel, edit) and runs the demo",
    Role.ADMIN: "everything an operator does, and manages connections, keys, rules, users and webhooks",
}


def can(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


class InvalidUser(ValueError):
    pass


EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def normalize_email(email: str) -> str:
    """Lower-cased and trimmed, so one person cannot hold two users in an account by changing case."""
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise InvalidUser(f"not a valid email address: {email!r}")
    return value


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise InvalidUser(f"unknown role {role!r}; valid roles are admin, operator, viewer") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidUser(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


# A session ends after this long without a request, and in any case this long after sign-in.
SESSION_IDLE = dt.timedelta(hours=12)
SESSION_MAX_AGE = dt.timedelta(days=7)
# last_seen_at is written at most this often, so page views do not each become a write.
SESSION_TOUCH_RESOLUTION = dt.timedelta(seconds=60)

LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)


def session_expiry(now: dt.datetime, created_at: dt.datetime) -> dt.datetime:
    return min(now + SESSION_IDLE, created_at + SESSION_MAX_AGE)


def failure_key(email: str, ip: str) -> str:
    return f"{email.strip().lower()[:254]}|{ip.strip().lower()[:64]}"
