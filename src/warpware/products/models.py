from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from warpware.db import Base, BigIntPK
from warpware.kit.clock import utcnow
from warpware.kit.ids import new_id

ACCOUNT_SCOPE = "-"


def scope_key(sub_client_id: uuid.UUID | None) -> str:
    """The owner of a catalog row in unique keys: the sub-client, or "-" for the account itself.

    A nullable sub_client_id cannot be part of a unique key (NULLs never collide), so this column is.
    """
    return str(sub_client_id) if sub_client_id is not None else ACCOUNT_SCOPE


class Product(Base):
    """A master product: one per SKU for each client (account:sub-client), as orders are scoped."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("id", name="uq_products_id"),
        UniqueConstraint("account_id", "scope_key", "sku", name="uq_products_sku"),
        Index("ix_products_account_seq", "account_id", "seq"),
        Index("ix_products_account_sku", "account_id", "sku"),
        Index("ix_products_account_updated", "account_id", "updated_at"),
    )

    # seq orders the newest-first lists and keys the cursor, as on orders.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", name="fk_products_account"))
    sub_client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_clients.id", name="fk_products_sub_client"), default=None
    )
    scope_key: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    price: Mapped[Decimal | None] = mapped_column(default=None)
    # Where the product came from: "api", or the source of the order that first named the SKU.
    platform: Mapped[str] = mapped_column(String(40), default="api")
    # Per-SKU low-stock threshold; None falls back to the client's inventory settings.
    low_stock_threshold: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
