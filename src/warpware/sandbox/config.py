"""What the sandbox warehouse is told at start: credentials, shipping delay and the faults to inject."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SandboxFaults(BaseModel):
    """Faults the sandbox injects. Rates are deterministic: rate 0.25 fails every 4th call, not a random
    quarter of them, so a test that sets a rate knows exactly which call fails."""

    model_config = ConfigDict(extra="forbid")

    # Create calls (POST /orders) that answer 500: a fraction, and a countdown of the next N.
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_next: int = Field(default=0, ge=0)
    # Added before every API answer (not the /_sandbox admin API).
    latency_ms: int = Field(default=0, ge=0)
    # API requests (token endpoint included) that answer 429 with Retry-After.
    rate_limit_next: int = Field(default=0, ge=0)
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after_seconds: int = Field(default=1, ge=0)
    # Send Retry-After as an HTTP-date instead of delta-seconds (both are legal, RFC 9110 §10.2.3).
    retry_after_http_date: bool = False
    # Every API request answers 503 while set.
    status_5xx: bool = False
    # The token endpoint and every API request answer 401 while set.
    auth_failure: bool = False
    # Every API request waits `timeout_seconds` before it is handled: longer than clients wait.
    timeout: bool = False
    timeout_seconds: float = Field(default=30.0, ge=0.0)
    # Successful API answers carry a broken body: unparseable JSON, or JSON without the expected fields.
    malformed: Literal["invalid_json", "missing_fields"] | None = None
    # Which answers are broken: a create that succeeded with a garbled answer is the case that tests
    # whether a client's resend makes a duplicate.
    malformed_scope: Literal["all", "token", "create", "read"] = "all"
    # Create calls with a SKU starting with this prefix answer 422 (None turns the check off).
    invalid_sku_prefix: str | None = "INVALID-"


class SandboxSettings(BaseModel):
    """Behaviour that may change while the sandbox runs (PUT /_sandbox/settings)."""

    model_config = ConfigDict(extra="forbid")

    # Seconds from creation until an order ships; 0 ships it on the next status read.
    ship_delay: float = Field(default=0.0, ge=0.0)
    # Lifetime of issued access tokens; the sandbox refuses a token after it.
    token_ttl_seconds: int = Field(default=1800, ge=1)


class SandboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: SandboxSettings = Field(default_factory=SandboxSettings)
    faults: SandboxFaults = Field(default_factory=SandboxFaults)
    # When both are set, the token endpoint accepts only these Basic credentials; otherwise any
    # non-empty pair, which is what a developer running the sandbox locally wants.
    client_id: str | None = None
    client_secret: str | None = None
    first_order_id: int = Field(default=1001, ge=1)
