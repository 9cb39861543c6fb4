"""One settings object, read from WARPWARE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "warpware.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARPWARE_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Rate limiter storage: "auto" picks Redis when redis_url is set, the database when the server
    # runs several processes, and process memory for the single-process embedded setup.
    rate_limit_backend: str = "auto"
    redis_url: str | None = None
    rate_limit_per_minute: int = 200
    walter_rate_limit_per_minute: int = 10
    # Key for encrypting connection credentials and webhook secrets at rest (Fernet, urlsafe base64
    # of 32 bytes). Without one, a key is generated under var/ on first use.
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("var") / "secret.key"
    allow_private_webhooks: bool = False
    # The server runs one in-process worker unless told not to (several API processes against
    # PostgreSQL usually run separate `warpware worker` processes instead).
    embedded_worker: bool = True
    server_processes: int = 1
    worker_concurrency: int = 8
    # Dispatch retries: base × 2^(attempt-1) seconds with ±20% jitter, capped; 5 automatic attempts.
    dispatch_retry_base_seconds: float = 30.0
    dispatch_retry_cap_seconds: float = 3600.0
    dispatch_max_attempts: int = 5
    tracking_poll_seconds: float = 60.0
    stuck_after_minutes: int = 60


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
