"""How one Extensiv connection is configured: where, for which customer and facility, with which keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class ExtensivSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://secure-wms.com"
    customer_id: int
    facility_id: int
    user_login_id: str | None = None
    billing_code: str = "Prepaid"
    # The shipper's own carrier account, sent as routingInfo.account when set.
    carrier_account: str | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=15.0, gt=0)
    # Extensiv publishes no number and answers 429 when pressed, so there is no local limit by default.
    requests_per_minute: float | None = Field(default=None, gt=0)

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value


class ExtensivCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str
    client_secret: SecretStr
