from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    type: str
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] = Field(default_factory=dict)
    is_default: bool = False
    push_enabled: bool = True


class ConnectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    settings: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    is_default: bool | None = None
    push_enabled: bool | None = None


def connection_read(connection: Any) -> dict[str, Any]:
    """Never the credentials: only whether some are stored."""
    return {
        "id": connection.id,
        "name": connection.name,
        "type": connection.type,
        "settings": connection.settings,
        "sub_client_id": connection.sub_client_id,
        "has_credentials": bool(connection.credentials_encrypted),
        "is_default": connection.is_default,
        "push_enabled": connection.push_enabled,
        "created_at": connection.created_at,
        "updated_at": connection.updated_at,
        "last_success_at": connection.last_success_at,
        "last_error_at": connection.last_error_at,
        "last_error": connection.last_error,
    }
