"""Alembic environment: the URL comes from the caller (warpware db upgrade) or WARPWARE_DATABASE_URL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import JSON, BigInteger, Connection

from warpware.db import Base
from warpware.models_registry import load_all_models

load_all_models()
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our portable types by name, so migrations say JSONType rather than its expansion."""
    if type_ == "type" and getattr(obj, "_variant_mapping", None):
        if isinstance(obj, JSON):
            return "warpware.db.JSONType"
        if isinstance(obj, BigInteger):
            return "warpware.db.BigIntPK"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through warpware.schema.upgrade()")
run_with(connection)
