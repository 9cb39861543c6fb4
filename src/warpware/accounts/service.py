"""Accounts, sub-clients and API keys: creation, revocation, authentication."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from warpware.accounts import repository
from warpware.accounts.domain import Principal, parse_scopes
from warpware.accounts.models import Account, Integration, SubClient
from warpware.errors import NotFound, Unauthorized, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.ids import API_KEY_PREFIX, hash_api_key, new_api_key

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
KEY_RE = re.compile(r"^ww_live_[0-9a-f]{32}$")
# last_active_at is written at most this often per key, so reads do not each become a write.
LAST_ACTIVE_RESOLUTION = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class CreatedKey:
    integration: Integration
    account: Account
    sub_client: SubClient | None
    key: str


def _check_slug(kind: str, slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise Unprocessable(f"{kind} must be lowercase letters, digits and dashes (got {slug!r})")


def ensure_account(
    session: Session, slug: str, *, name: str | None = None, home_country: str = "US"
) -> Account:
    _check_slug("account", slug)
    account = repository.account_by_slug(session, slug)
    if account is None:
        account = Account(slug=slug, name=name or slug, home_country=home_country)
        session.add(account)
        session.flush()
    return account


def ensure_sub_client(session: Session, account: Account, slug: str, *, name: str | None = None) -> SubClient:
    _check_slug("sub-client", slug)
    sub_client = repository.sub_client_by_slug(session, account.id, slug)
    if sub_client is None:
        sub_client = SubClient(account_id=account.id, slug=slug, name=name or slug)
        session.add(sub_client)
        session.flush()
    return sub_client


def create_api_key(
    session: Session,
    *,
    account_slug: str,
    sub_client_slug: str | None,
    name: str,
    scopes: str,
    expires_at: dt.datetime | None = None,
) -> CreatedKey:
    """Create the account and sub-client if new, and a key for a new integration. The key is shown once."""
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    if not name.strip():
        raise Unprocessable("integration name must not be empty")
    account = ensure_account(session, account_slug)
    sub_client = ensure_sub_client(session, account, sub_client_slug) if sub_client_slug else None
    key = new_api_key()
    integration = Integration(
        account_id=account.id,
        sub_client_id=sub_client.id if sub_client else None,
        name=name.strip(),
        scopes=",".join(s for s in ("read", "write") if s in scope_set),
        key_hash=hash_api_key(key),
        key_hint=key[-4:],
        expires_at=expires_at,
    )
    session.add(integration)
    session.flush()
    return CreatedKey(integration, account, sub_client, key)


def revoke_api_key(
    session: Session, integration_id: uuid.UUID, *, account_id: uuid.UUID | None = None
) -> Integration:
    integration = repository.integration_by_id(session, integration_id, account_id)
    if integration is None:
        raise NotFound("No such API key")
    if integration.revoked_at is None:
        integration.revoked_at = utcnow()
    return integration


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    last_active_at: dt.datetime | None
    expires_at: dt.datetime | None = None

    def needs_touch(self, now: dt.datetime) -> bool:
        return self.last_active_at is None or now - self.last_active_at >= LAST_ACTIVE_RESOLUTION


def authenticate(session: Session, authorization: str | None) -> Authenticated:
    """Resolve a Bearer header to a Principal. Every failure is the same 401: no hints for guessers."""
    if not authorization:
        raise Unauthorized("Missing API key: send Authorization: Bearer ww_live_...")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(API_KEY_PREFIX) or not KEY_RE.match(token):
        raise Unauthorized("Invalid API key or key has been revoked")
    found = repository.integration_with_tenant(session, hash_api_key(token))
    if found is None:
        raise Unauthorized("Invalid API key or key has been revoked")
    integration, account, sub_client = found
    now = utcnow()
    if integration.revoked_at is not None:
        raise Unauthorized("Invalid API key or key has been revoked")
    if integration.expires_at is not None and integration.expires_at <= now:
        raise Unauthorized("API key has expired")
    principal = Principal(
        account_id=account.id,
        account_slug=account.slug,
        integration_id=integration.id,
        scopes=frozenset(integration.scopes.split(",")),
        sub_client_id=sub_client.id if sub_client else None,
        sub_client_slug=sub_client.slug if sub_client else None,
        home_country=account.home_country,
    )
    return Authenticated(principal, integration.last_active_at, integration.expires_at)


@dataclass(frozen=True)
class IntegrationSummary:
    """A Custom API Integration as the dashboard lists it (never its key: only the last four characters)."""

    integration: Integration
    orders_pushed: int


def list_integrations(session: Session, principal: Principal) -> list[IntegrationSummary]:
    rows = repository.integrations_for(session, principal.account_id)
    counts = repository.orders_pushed(session, [i.id for i, _, _ in rows])
    return [IntegrationSummary(i, counts.get(i.id, 0)) for i, _, _ in rows]


def create_integration(session: Session, principal: Principal, *, name: str, scopes: str) -> CreatedKey:
    """A new account-wide key for the signed-in account (the dashboard's "Custom API Integration")."""
    return create_api_key(
        session, account_slug=principal.account_slug, sub_client_slug=None, name=name, scopes=scopes
    )
