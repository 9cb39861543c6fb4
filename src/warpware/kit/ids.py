"""Identifiers: UUIDs for rows, ww_live_ API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid

API_KEY_PREFIX = "ww_live_"


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(16)


def hash_api_key(key: str) -> str:
    # Keys carry 128 random bits, so a fast hash is enough: nothing to brute-force, and every
    # request can look its key up by hash in one indexed read.
    return hashlib.sha256(key.encode()).hexdigest()


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError):
        return None
