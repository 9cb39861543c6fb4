"""Who is calling: the tenant scope every query is filtered by. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

SCOPES = ("read", "write")


@dataclass(frozen=True)
class Principal:
    """An authenticated API key: its account, optional sub-client binding and scopes."""

    account_id: uuid.UUID
    account_slug: str
    integration_id: uuid.UUID | None
    scopes: frozenset[str]
    sub_client_id: uuid.UUID | None = None
    sub_client_slug: str | None = None
    home_country: str = "US"

    @property
    def client_id(self) -> str:
        """`acme:warehouse-east` for a key bound to a sub-client, `acme` for an account-wide key."""
        return f"{self.account_slug}:{self.sub_client_slug}" if self.sub_client_slug else self.account_slug


class InvalidScopes(ValueError):
    pass


def parse_scopes(text: str) -> frozenset[str]:
    """`read,write` → scopes. Write requires read, as the reference says, so write alone is refused."""
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    if not scopes:
        raise InvalidScopes("at least one scope is required (read, write)")
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        raise InvalidScopes(f"unknown scope(s): {', '.join(unknown)}; valid scopes are read, write")
    if "write" in scopes and "read" not in scopes:
        raise InvalidScopes("the write scope requires the read scope as well: use read,write")
    return scopes
