"""Brokering request bodies and the objects its endpoints return."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from warpware.brokering.domain import Queue
from warpware.brokering.engine import RANKINGS
from warpware.brokering.models import BrokeringLocation, BrokeringRun, BrokeringSettings, OrderBrokering

DEFAULT_RANKING = ("fewest_splits", "distance", "priority")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
QueueName = Literal["brokering", "rejected", "unfillable", "unfillable_hold", "preorder", "backorder"]


class SettingsUpdate(BaseModel):
    """PUT /brokering/settings: fields left out keep their values."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    ranking: list[str] | None = Field(default=None, min_length=1, max_length=4)
    allow_split: bool | None = None
    max_shipments: int | None = Field(default=None, ge=1, le=10)
    safety_stock: int | None = Field(default=None, ge=0)
    max_distance_miles: float | None = Field(default=None, gt=0)
    schedule: Literal["off", "interval", "daily"] | None = None
    interval_minutes: int | None = Field(default=None, ge=1, le=10_080)
    daily_at: str | None = None
    timezone: str | None = None
    unfillable_cancel_days: int | None = Field(default=None, ge=1, le=365)
    approval_conditions: dict[str, Any] | None = None
    batch_size: int | None = Field(default=None, ge=10, le=5000)

    @field_validator("ranking")
    @classmethod
    def _ranking(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [name for name in value if name not in RANKINGS]
        if unknown:
            raise ValueError(f"unknown ranking {', '.join(unknown)}; allowed: {', '.join(sorted(RANKINGS))}")
        if len(set(value)) != len(value):
            raise ValueError("a ranking is named twice")
        return value

    @field_validator("daily_at")
    @classmethod
    def _daily_at(cls, value: str | None) -> str | None:
        if value is not None and not _HHMM.match(value):
            raise ValueError("daily_at must be HH:MM (24-hour clock)")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as America/New_York)"
            ) from None
        return value


class LocationUpdate(BaseModel):
    """PUT /brokering/locations/{id}: fields left out keep their values."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["warehouse", "store"] | None = None
    zip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    daily_capacity: int | None = Field(default=None, ge=0)
    safety_stock: int | None = Field(default=None, ge=0)
    enabled: bool | None = None


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queues: list[QueueName] | None = None


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class RejectRequest(BaseModel):
    """A location rejects the whole order (no lines named) or some of its lines."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    line_ids: list[int] | None = Field(default=None, max_length=500)
    skus: list[str] | None = Field(default=None, max_length=500)
    location_id: str | None = None


class OrderSelection(BaseModel):
    """Orders named by id, by external id, or as a CSV (a header row `external_id`, or one id a line)."""

    model_config = ConfigDict(extra="forbid")

    order_ids: list[str] = Field(default_factory=list, max_length=5000)
    external_ids: list[str] = Field(default_factory=list, max_length=5000)
    csv: str | None = Field(default=None, max_length=2_000_000)


def settings_read(row: BrokeringSettings | None) -> dict[str, Any]:
    if row is None:
        return {
            "enabled": False,
            "ranking": list(DEFAULT_RANKING),
            "allow_split": False,
            "max_shipments": 3,
            "safety_stock": 0,
            "max_distance_miles": None,
            "schedule": "off",
            "interval_minutes": None,
            "daily_at": None,
            "timezone": "UTC",
            "unfillable_cancel_days": 7,
            "approval_conditions": None,
            "batch_size": 500,
            "updated_at": None,
        }
    return {
        "enabled": row.enabled,
        "ranking": list(row.ranking or DEFAULT_RANKING),
        "allow_split": row.allow_split,
        "max_shipments": row.max_shipments,
        "safety_stock": row.safety_stock,
        "max_distance_miles": row.max_distance_miles,
        "schedule": row.schedule_kind,
        "interval_minutes": row.interval_minutes,
        "daily_at": row.daily_at,
        "timezone": row.timezone,
        "unfillable_cancel_days": row.unfillable_cancel_days,
        "approval_conditions": row.approval_conditions,
        "batch_size": row.batch_size,
        "updated_at": row.updated_at,
    }


def location_read(location: Any, attributes: BrokeringLocation | None, connection: Any) -> dict[str, Any]:
    return {
        "location_id": location.id,
        "name": location.name,
        "platform": location.platform,
        "connection_id": location.connection_id,
        "connection_name": connection.name if connection is not None else None,
        "active": location.active,
        "brokering_enabled": attributes.enabled if attributes else False,
        "kind": attributes.kind if attributes else "warehouse",
        "zip": attributes.zip if attributes else None,
        "priority": attributes.priority if attributes else 100,
        "daily_capacity": attributes.daily_capacity if attributes else None,
        "safety_stock": attributes.safety_stock if attributes else None,
        "updated_at": attributes.updated_at if attributes else None,
    }


def run_read(run: BrokeringRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "requested_by": run.requested_by,
        "queues": run.queues,
        "status": run.status,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "orders_considered": run.considered,
        "approved": run.approved,
        "approval_failures": run.approval_failed,
        "released": run.released,
        "routed": run.routed,
        "split": run.split,
        "moved_to": {
            Queue.UNFILLABLE.value: run.to_unfillable,
            Queue.PREORDER.value: run.to_preorder,
            Queue.BACKORDER.value: run.to_backorder,
        },
        "replanned": run.replanned,
        "error": run.error,
    }


def brokering_read(order: Any, state: OrderBrokering | None, lines: list[Any]) -> dict[str, Any]:
    """An order as a queue lists it: enough to act on it (line ids for rejections)."""
    return {
        "id": order.id,
        "external_id": order.external_id,
        "status": order.status,
        "brokering_queue": order.brokering_queue,
        "order_type": state.order_type if state else None,
        "approved": bool(state and state.approved_at),
        "approval_failure": state.approval_failure if state else None,
        "auto_cancel_at": state.auto_cancel_at if state else None,
        "promise_date": state.promise_date if state else None,
        "excluded_location_ids": state.excluded_location_ids if state else [],
        "location_id": state.location_id if state else None,
        "reason": state.last_reason if state else None,
        "connection_id": order.connection_id,
        "parent_order_id": order.parent_order_id,
        "line_items": [{"line_id": li.id, "sku": li.sku, "quantity": li.quantity} for li in lines],
        "created_at": order.created_at,
    }
