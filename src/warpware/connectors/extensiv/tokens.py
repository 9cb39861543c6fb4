"""OAuth client-credentials tokens, cached per connection and shared by every destination object.

The worker builds a destination per job; keeping tokens in a process-wide store means many jobs share
one token instead of asking Extensiv's auth server for a new one on every order.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

# Refresh this long before the announced expiry so a token never dies between our check and the call.
REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class _CachedToken:
    value: str
    refresh_at: float


class TokenStore:
    """Tokens by connection key; times come from the caller's monotonic clock. Thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[str, _CachedToken] = {}
        self._fetch_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: float) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
        if token is None or now >= token.refresh_at:
            return None
        return token.value

    def put(self, key: str, value: str, lifetime: float, now: float) -> None:
        # A short-lived token keeps half its life rather than none of it.
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 2)
        with self._lock:
            self._tokens[key] = _CachedToken(value, now + lifetime - margin)

    def discard(self, key: str, value: str) -> None:
        """Forget a token the server refused, unless another thread already replaced it."""
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.value == value:
                del self._tokens[key]

    def fetch_lock(self, key: str) -> threading.Lock:
        """Held while fetching a token for `key`, so concurrent callers wait for one fetch, not make many."""
        with self._lock:
            return self._fetch_locks.setdefault(key, threading.Lock())


def token_key(base_url: str, client_id: str, client_secret: str, user_login_id: str | None) -> str:
    # The secret is part of the key so rotated credentials never reuse a token fetched with the old ones;
    # hashed so the key can be logged or listed without leaking it.
    secret_hash = hashlib.sha256(client_secret.encode()).hexdigest()[:16]
    return f"{base_url}|{client_id}|{user_login_id or ''}|{secret_hash}"


default_token_store = TokenStore()
