"""dashboard users and sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:40:51.668760
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warpware.db  # noqa: F401  (column types)

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", warpware.db.BigIntPK, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failed_at", warpware.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "failed_at"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("last_login_at", warpware.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_users_account_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "email", name="uq_users_account_email"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", warpware.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_user_sessions_account_id"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
    )
    op.create_index("ix_user_sessions_user", "user_sessions", ["user_id"], unique=False)
    # The dashboard's order search matches email and name case-insensitively, through these indexes.
    op.create_index(
        "ix_orders_account_email_lower", "orders", ["account_id", sa.text("lower(customer_email)")]
    )
    op.create_index("ix_orders_account_name_lower", "orders", ["account_id", sa.text("lower(customer_name)")])
    op.create_index("ix_orders_account_archived", "orders", ["account_id", "archived_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_account_archived", table_name="orders")
    op.drop_index("ix_orders_account_name_lower", table_name="orders")
    op.drop_index("ix_orders_account_email_lower", table_name="orders")
    op.drop_index("ix_user_sessions_user", table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("users")
    op.drop_index("ix_login_failures_key_at", table_name="login_failures")
    op.drop_table("login_failures")
