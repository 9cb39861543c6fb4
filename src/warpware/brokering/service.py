"""Brokering settings, location attributes and the per-account run schedule. Never commits.

Runs themselves are in `runs.py`, order intake and approval in `intake.py`, what people do to
brokered orders (approve, reject, park, release) in `actions.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.brokering import repository
from warpware.brokering.domain import next_daily
from warpware.brokering.engine import Policy
from warpware.brokering.models import BrokeringLocation, BrokeringSettings
from warpware.brokering.schemas import DEFAULT_RANKING, LocationUpdate, SettingsUpdate, location_read
from warpware.connectors.registry import DESTINATION_TYPES
from warpware.errors import NotFound, Unprocessable
from warpware.inventory import locations as inventory_locations
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.rules.conditions import Condition, parse_condition
from warpware.rules.validation import ErrorCollector
from warpware.worker import schedule, unschedule

SCHEDULED_RUN = "brokering.scheduled_run"


def schedule_key(account_id: uuid.UUID) -> str:
    return f"{SCHEDULED_RUN}:{account_id}"


def parse_approval(raw: dict[str, Any] | None) -> Condition | None:
    """The approval criteria as a rules-engine condition (422 naming every problem)."""
    errors = ErrorCollector()
    condition = parse_condition(raw, "approval_conditions", errors)
    if errors.errors:
        raise Unprocessable(
            "Invalid approval_conditions: " + "; ".join(str(e) for e in errors.errors),
            extra={"errors": [{"field": e.path, "message": e.message} for e in errors.errors]},
        )
    return condition


def policy_of(row: BrokeringSettings) -> Policy:
    return Policy(
        ranking=tuple(row.ranking or DEFAULT_RANKING),
        allow_split=row.allow_split,
        max_shipments=row.max_shipments,
        safety_stock=row.safety_stock,
        max_distance_miles=row.max_distance_miles,
    )


def update_settings(session: Session, principal: Principal, update: SettingsUpdate) -> BrokeringSettings:
    """Create or change the account's settings, and keep its run schedule in step with them."""
    now = utcnow()
    row = repository.settings_for(session, principal.account_id)
    if row is None:
        row = BrokeringSettings(
            account_id=principal.account_id,
            enabled=False,
            ranking=list(DEFAULT_RANKING),
            allow_split=False,
            max_shipments=3,
            safety_stock=0,
            schedule_kind="off",
            timezone="UTC",
            unfillable_cancel_days=7,
            batch_size=500,
            updated_at=now,
        )
        repository.add(session, row)
    fields = update.model_fields_set
    if "approval_conditions" in fields:
        parse_approval(update.approval_conditions)
    names = {"schedule": "schedule_kind"}
    for field in fields:
        value = getattr(update, field)
        column = names.get(field, field)
        if value is None and column not in (
            "max_distance_miles",
            "approval_conditions",
            "interval_minutes",
            "daily_at",
        ):
            raise Unprocessable(f"{field} cannot be null")
        setattr(row, column, value)
    if row.schedule_kind == "interval" and not row.interval_minutes:
        raise Unprocessable("schedule 'interval' needs interval_minutes")
    if row.schedule_kind == "daily" and not row.daily_at:
        raise Unprocessable("schedule 'daily' needs daily_at (HH:MM)")
    row.updated_at = now
    session.flush()
    sync_schedule(session, row, now=now)
    return row


def sync_schedule(session: Session, row: BrokeringSettings, *, now: dt.datetime) -> None:
    key = schedule_key(row.account_id)
    payload = {"account_id": str(row.account_id)}
    if not row.enabled or row.schedule_kind == "off":
        unschedule(session, key)
    elif row.schedule_kind == "interval":
        every = int(row.interval_minutes or 0) * 60
        schedule(
            session, SCHEDULED_RUN, every, payload, key=key, first_run_at=now + dt.timedelta(seconds=every)
        )
    else:
        # Daily: every 24 h from the next HH:MM; the run re-anchors the next tick on the wall clock
        # (tasks.scheduled_run_job), so a DST change does not shift it by an hour.
        first = next_daily(now, str(row.daily_at), row.timezone)
        schedule(session, SCHEDULED_RUN, 86_400, payload, key=key, first_run_at=first)


# --- locations -------------------------------------------------------------------------------------


def list_locations(session: Session, principal: Principal) -> list[dict[str, Any]]:
    inventory_locations.sync_connection_locations(session, principal.account_id)
    return [
        location_read(loc, attrs, conn)
        for loc, attrs, conn in repository.locations_with_attributes(session, principal.account_id)
    ]


def update_location(
    session: Session, principal: Principal, location_ref: str, update: LocationUpdate
) -> dict[str, Any]:
    """Set a location's brokering attributes. It must be the location of a destination connection:
    orders brokered there are sent through that connection. `location_ref` is the location's id or
    its connection's id."""
    inventory_locations.sync_connection_locations(session, principal.account_id)
    parsed = parse_uuid(location_ref)
    rows = repository.locations_with_attributes(session, principal.account_id) if parsed else []
    match = [r for r in rows if parsed in (r[0].id, r[0].connection_id)]
    if not match:
        raise NotFound(f"Location {location_ref} not found")
    location, attrs, connection = match[0]
    if connection is None or connection.type not in DESTINATION_TYPES or connection.deleted_at is not None:
        raise Unprocessable(
            f"Location {location.name} is not tied to a destination connection; brokering routes only to "
            "locations of warehouse/store destination connections"
        )
    now = utcnow()
    if attrs is None:
        attrs = BrokeringLocation(
            location_id=location.id,
            account_id=principal.account_id,
            kind="warehouse",
            priority=100,
            enabled=True,
            updated_at=now,
        )
        repository.add(session, attrs)
    for field in update.model_fields_set:
        value = getattr(update, field)
        if value is None and field in ("kind", "priority", "enabled"):
            raise Unprocessable(f"{field} cannot be null")
        setattr(attrs, field, value)
    attrs.updated_at = now
    session.flush()
    return location_read(location, attrs, connection)
