"""One settings object, read from WARPWARE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    auth_cache_seconds: float = 1.0
    walter_rate_limit_per_minute: int = 10
    # Walter answers with its built-in question parser; given an OpenAI-compatible chat-completions
    # endpoint (its base URL, e.g. https://api.openai.com/v1) the model chooses the same query tools.
    walter_llm_url: str | None = None
    walter_llm_model: str = "gpt-4o-mini"
    walter_llm_api_key: SecretStr | None = None
    walter_llm_timeout_seconds: float = 30.0
    # Key for encrypting connection credentials and webhook secrets at rest (Fernet, urlsafe base64
    # of 32 bytes). Without one, a key is generated under var/ on first use.
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("var") / "secret.key"
    allow_private_webhooks: bool = False
    # Outbound webhooks: one attempt may take this long in all before it counts as failed.
    webhook_timeout_seconds: float = 10.0
    # Notification email (order failures, disabled webhook endpoints). An account's own notification
    # settings override these; without a host and a recipient no email is sent (the health panel
    # still lists the notification). smtp_tls: "starttls", "ssl" or "none"; recipients comma-separated.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "WarpWare <notifications@warpware.local>"
    smtp_recipients: str = ""
    # The server runs one in-process worker unless told not to (several API processes against
    # PostgreSQL usually run separate `warpware worker` processes instead).
    embedded_worker: bool = True
    server_processes: int = 1
    # Threads per server process for request handlers (most endpoints are synchronous). Fewer threads
    # mean less fighting over the GIL: GET /orders/{id} went 203 → 264 req/s at 40 → 1 (bench/README.md),
    # but a slow request then holds up the others of its process. 40 is Starlette's default.
    request_threads: int = Field(default=40, ge=1, le=1000)
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
