"""The order timeline is append-only: the database itself refuses UPDATE and DELETE on order_events.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION warpware_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'order_events are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER order_events_immutable BEFORE UPDATE OR DELETE ON order_events "
            "FOR EACH ROW EXECUTE FUNCTION warpware_refuse_event_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER order_events_no_{action.lower()} BEFORE {action} ON order_events "
                "BEGIN SELECT RAISE(ABORT, 'order_events are immutable'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER order_events_immutable ON order_events")
        op.execute("DROP FUNCTION warpware_refuse_event_change()")
    else:
        op.execute("DROP TRIGGER order_events_no_update")
        op.execute("DROP TRIGGER order_events_no_delete")
