"""The export request, its filters per resource, and the wire shape of an export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from warpware.errors import BadRequest, Unprocessable
from warpware.exports.models import Export
from warpware.inventory.schemas import STATUSES as INVENTORY_STATUSES
from warpware.kit.pagination import parse_timestamp
from warpware.orders.domain import OrderStatus
from warpware.orders.schemas import StrictModel

ROW_LIMIT = 5000
Resource = Literal["orders", "inventory", "products"]


class ExportCreate(StrictModel):
    resource: Resource
    filters: dict[str, Any] = Field(default_factory=dict)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise ValueError("must be a non-empty string of at most 255 characters")
    return value.strip()


def _timestamp(name: str, value: Any) -> str:
    text = _text(name, value)
    try:
        parse_timestamp(name, text)
    except BadRequest as exc:
        raise ValueError(exc.detail) from None
    return text


def _statuses(valid: tuple[str, ...]) -> Callable[[str, Any], list[str]]:
    def check(name: str, value: Any) -> list[str]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(s, str) for s in items):
            raise ValueError("must be a status, a comma-separated list or an array of statuses")
        statuses = list(dict.fromkeys(s.strip() for s in items if s.strip()))
        unknown = [s for s in statuses if s not in valid]
        if unknown or not statuses:
            raise ValueError(f"unknown status {unknown[0] if unknown else ''!r}; valid: {', '.join(valid)}")
        return statuses

    return check


# The filters of each resource's list endpoint, with how each value is checked.
FILTERS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "orders": {
        "status": _statuses(tuple(s.value for s in OrderStatus)),
        "tag": _text,
        "external_id": _text,
        "date_from": _timestamp,
        "date_to": _timestamp,
        "updated_since": _timestamp,
        "tracking_number": _text,
    },
    "inventory": {
        "sku": _text,
        "status": _statuses(INVENTORY_STATUSES),
        "search": _text,
        "updated_since": _timestamp,
    },
    "products": {"sku": _text, "search": _text, "updated_since": _timestamp},
}


def checked_filters(resource: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as stored (422 naming every bad one): the job parses them again when it runs."""
    allowed = FILTERS[resource]
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in filters.items():
        check = allowed.get(name)
        if check is None:
            errors.append(
                {
                    "field": f"filters.{name}",
                    "message": f"unknown filter for {resource}; valid: {', '.join(allowed)}",
                }
            )
            continue
        if value is None:
            continue
        try:
            clean[name] = check(name, value)
        except ValueError as exc:
            errors.append({"field": f"filters.{name}", "message": str(exc)})
    if errors:
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Unprocessable(f"Validation failed: {summary}", extra={"errors": errors})
    return clean


def export_summary(export: Export) -> dict[str, Any]:
    return {
        "id": export.id,
        "status": export.status,
        "resource": export.resource,
        "created_at": export.created_at,
    }


def export_meta(export: Export) -> dict[str, Any]:
    meta: dict[str, Any] = {"row_limit": ROW_LIMIT}
    if export.status == "complete":
        meta["truncated"] = export.truncated
        meta["total_matched"] = export.total_matched
        if export.truncated:
            meta["message"] = (
                f"Export truncated to the newest {ROW_LIMIT} of {export.total_matched} matching "
                "rows; narrow the filters (e.g. by date) to export the rest"
            )
    return meta
