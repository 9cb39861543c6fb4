"""brokering

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 17:47:58.214164
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warpware.db  # noqa: F401  (column types)

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brokering_runs",
        sa.Column("seq", warpware.db.BigIntPK, autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("queues", warpware.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("considered", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("approval_failed", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("routed", sa.Integer(), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("to_unfillable", sa.Integer(), nullable=False),
        sa.Column("to_preorder", sa.Integer(), nullable=False),
        sa.Column("to_backorder", sa.Integer(), nullable=False),
        sa.Column("replanned", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed')", name="ck_brokering_runs_status"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_brokering_runs_account"),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id", name="uq_brokering_runs_id"),
    )
    op.create_index("ix_brokering_runs_account_seq", "brokering_runs", ["account_id", "seq"])

    op.create_table(
        "brokering_settings",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("ranking", warpware.db.JSONType, nullable=False),
        sa.Column("allow_split", sa.Boolean(), nullable=False),
        sa.Column("max_shipments", sa.Integer(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("max_distance_miles", sa.Float(), nullable=True),
        sa.Column("schedule_kind", sa.String(length=10), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("daily_at", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("unfillable_cancel_days", sa.Integer(), nullable=False),
        sa.Column("approval_conditions", warpware.db.JSONType, nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("updated_at", warpware.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "schedule_kind IN ('off', 'interval', 'daily')", name="ck_brokering_settings_schedule"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_brokering_settings_account"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "brokering_locations",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("zip", sa.String(length=20), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", warpware.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('warehouse', 'store')", name="ck_brokering_locations_kind"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name="fk_brokering_locations_location"),
        sa.PrimaryKeyConstraint("location_id"),
    )
    op.create_index("ix_brokering_locations_account", "brokering_locations", ["account_id"])

    op.create_table(
        "order_brokering",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("order_type", sa.String(length=20), nullable=False),
        sa.Column("approved_at", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approval_failure", sa.Text(), nullable=True),
        sa.Column("pickup_location_id", sa.Uuid(), nullable=True),
        sa.Column("promise_date", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("excluded_location_ids", warpware.db.JSONType, nullable=False),
        sa.Column("auto_cancel_at", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("routed_at", warpware.db.UTCDateTime(), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("split_parent", sa.Boolean(), nullable=False),
        sa.Column("last_reason", sa.Text(), nullable=True),
        sa.Column("created_at", warpware.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", warpware.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_brokering_order"),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_order_brokering_auto_cancel", "order_brokering", ["auto_cancel_at"])
    op.create_index("ix_order_brokering_location_routed", "order_brokering", ["location_id", "routed_at"])

    op.add_column("orders", sa.Column("brokering_queue", sa.String(length=20), nullable=True))
    op.create_index("ix_orders_account_brokering_queue", "orders", ["account_id", "brokering_queue", "seq"])


def downgrade() -> None:
    op.drop_index("ix_orders_account_brokering_queue", table_name="orders")
    op.drop_column("orders", "brokering_queue")

    op.drop_index("ix_order_brokering_location_routed", table_name="order_brokering")
    op.drop_index("ix_order_brokering_auto_cancel", table_name="order_brokering")

    op.drop_table("order_brokering")
    op.drop_index("ix_brokering_locations_account", table_name="brokering_locations")

    op.drop_table("brokering_locations")
    op.drop_table("brokering_settings")
    op.drop_index("ix_brokering_runs_account_seq", table_name="brokering_runs")

    op.drop_table("brokering_runs")
