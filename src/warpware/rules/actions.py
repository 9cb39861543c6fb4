"""Stages, action types, the actions each stage may use, and parsing actions with field paths.

Which actions each stage may use (annotations and `stop` are allowed everywhere):

| action              | territory | automation | hold | preorder | routing |
|---------------------|-----------|------------|------|----------|---------|
| block               |     x     |            |      |          |         |
| hold                |     x     |     x      |  x   |          |         |
| hold_until_in_stock |           |            |  x   |          |         |
| release             |           |     x      |  x   |          |         |
| cancel              |           |     x      |      |          |         |
| expedite            |           |     x      |      |          |         |
| set_service_level   |           |     x      |      |          |         |
| set_carrier         |           |     x      |      |          |         |
| preorder            |           |            |      |    x     |         |
| route               |           |            |      |          |    x    |
| add_tag, flag,      |     x     |     x      |  x   |    x     |    x    |
| set_metadata, stop  |           |            |      |          |         |

Territory is a gate, so it blocks (or holds for review) and changes nothing else about fulfilment.
Routing alone picks the destination, and each routing rule must carry exactly one `route`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warpware.rules.business_hours import WEEKDAYS, BusinessHours
from warpware.rules.conditions import as_decimal
from warpware.rules.validation import ErrorCollector, describe_type, join_path


class Stage(enum.StrEnum):
    TERRITORY = "territory"
    AUTOMATION = "automation"
    HOLD = "hold"
    PREORDER = "preorder"
    ROUTING = "routing"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
STAGE_ALIASES: Mapping[str, Stage] = {"pre_order": Stage.PREORDER, "pre-order": Stage.PREORDER}


class ActionType(enum.StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    HOLD_UNTIL_IN_STOCK = "hold_until_in_stock"
    RELEASE = "release"
    CANCEL = "cancel"
    EXPEDITE = "expedite"
    SET_SERVICE_LEVEL = "set_service_level"
    SET_CARRIER = "set_carrier"
    PREORDER = "preorder"
    ROUTE = "route"
    ADD_TAG = "add_tag"
    FLAG = "flag"
    SET_METADATA = "set_metadata"
    STOP = "stop"


_EVERYWHERE = frozenset({ActionType.ADD_TAG, ActionType.FLAG, ActionType.SET_METADATA, ActionType.STOP})
ALLOWED_ACTIONS: Mapping[Stage, frozenset[ActionType]] = {
    Stage.TERRITORY: _EVERYWHERE | {ActionType.BLOCK, ActionType.HOLD},
    Stage.AUTOMATION: _EVERYWHERE
    | {
        ActionType.HOLD,
        ActionType.RELEASE,
        ActionType.CANCEL,
        ActionType.EXPEDITE,
        ActionType.SET_SERVICE_LEVEL,
        ActionType.SET_CARRIER,
    },
    Stage.HOLD: _EVERYWHERE | {ActionType.HOLD, ActionType.HOLD_UNTIL_IN_STOCK, ActionType.RELEASE},
    Stage.PREORDER: _EVERYWHERE | {ActionType.PREORDER},
    Stage.ROUTING: _EVERYWHERE | {ActionType.ROUTE},
}

PREORDER_TAG = "Pre-Order-SKU"
MetadataValue = str | Decimal | bool | None


@dataclass(frozen=True)
class Block:
    reason: str
    type: Literal[ActionType.BLOCK] = ActionType.BLOCK


@dataclass(frozen=True)
class Hold:
    reason: str
    for_minutes: int | None = None
    business_hours: BusinessHours | None = None
    type: Literal[ActionType.HOLD] = ActionType.HOLD


@dataclass(frozen=True)
class HoldUntilInStock:
    """Hold while a SKU has less available than the order needs; no `skus` means every order SKU."""

    reason: str = "Waiting for stock"
    skus: tuple[str, ...] = ()
    type: Literal[ActionType.HOLD_UNTIL_IN_STOCK] = ActionType.HOLD_UNTIL_IN_STOCK


@dataclass(frozen=True)
class Release:
    type: Literal[ActionType.RELEASE] = ActionType.RELEASE


@dataclass(frozen=True)
class Cancel:
    reason: str
    type: Literal[ActionType.CANCEL] = ActionType.CANCEL


@dataclass(frozen=True)
class Expedite:
    service_level: str = "expedited"
    tag: str = "Expedited"
    type: Literal[ActionType.EXPEDITE] = ActionType.EXPEDITE


@dataclass(frozen=True)
class SetServiceLevel:
    service_level: str
    type: Literal[ActionType.SET_SERVICE_LEVEL] = ActionType.SET_SERVICE_LEVEL


@dataclass(frozen=True)
class SetCarrier:
    carrier: str
    type: Literal[ActionType.SET_CARRIER] = ActionType.SET_CARRIER


@dataclass(frozen=True)
class Preorder:
    skus: tuple[str, ...]
    mode: Literal["hold_entire", "split"] = "hold_entire"
    reason: str = "Pre-order"
    release_at: dt.datetime | None = None
    type: Literal[ActionType.PREORDER] = ActionType.PREORDER


@dataclass(frozen=True)
class Route:
    connection_id: str
    type: Literal[ActionType.ROUTE] = ActionType.ROUTE


@dataclass(frozen=True)
class AddTag:
    tag: str
    type: Literal[ActionType.ADD_TAG] = ActionType.ADD_TAG


@dataclass(frozen=True)
class Flag:
    flag: str
    reason: str = ""
    type: Literal[ActionType.FLAG] = ActionType.FLAG


@dataclass(frozen=True)
class SetMetadata:
    key: str
    value: MetadataValue
    type: Literal[ActionType.SET_METADATA] = ActionType.SET_METADATA


@dataclass(frozen=True)
class Stop:
    type: Literal[ActionType.STOP] = ActionType.STOP


Action = (
    Block
    | Hold
    | HoldUntilInStock
    | Release
    | Cancel
    | Expedite
    | SetServiceLevel
    | SetCarrier
    | Preorder
    | Route
    | AddTag
    | Flag
    | SetMetadata
    | Stop
)


# --- parsing -----------------------------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAY_NAMES = {name: index for index, name in enumerate(WEEKDAYS)} | {
    name: index
    for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_MAX_TEXT = 500


class _Fields:
    """Reads one action's keys, recording a path-named error for each problem and each unknown key."""

    def __init__(self, raw: dict[str, Any], path: str, errors: ErrorCollector, action: ActionType) -> None:
        self.raw, self.path, self.errors, self.action = raw, path, errors, action
        self.used = {"type"}
        self.failed = False

    def fail(self, key: str, message: str) -> None:
        self.errors.add(join_path(self.path, key), message)
        self.failed = True

    def text(self, key: str, *, default: str | None = None) -> str:
        self.used.add(key)
        value = self.raw.get(key)
        if value is None:
            if default is None:
                self.fail(key, f"required for {self.action}")
            return default or ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {describe_type(value)}")
            return ""
        value = value.strip()
        if not value:
            if default is None:
                self.fail(key, f"required for {self.action}")
            return default or ""
        if len(value) > _MAX_TEXT:
            self.fail(key, f"longer than {_MAX_TEXT} characters")
        return value

    def text_list(self, key: str, *, required: bool) -> tuple[str, ...]:
        self.used.add(key)
        value = self.raw.get(key)
        if value is None:
            if required:
                self.fail(key, f"required for {self.action}")
            return ()
        if not isinstance(value, list) or (required and not value):
            self.fail(
                key, "expected a non-empty list of strings" if required else "expected a list of strings"
            )
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, int) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{key}[{index}]", "expected a non-empty string")
            else:
                items.append(item.strip())
        return tuple(items)

    def finish(self) -> bool:
        for key in self.raw:
            if key not in self.used:
                self.fail(str(key), f"unknown key for {self.action}")
        return not self.failed


def _parse_business_hours(raw: Any, path: str, errors: ErrorCollector) -> BusinessHours | None:
    if not isinstance(raw, dict):
        errors.add(path, f"expected a mapping, got {describe_type(raw)}")
        return None
    before = len(errors.errors)
    for key in raw:
        if key not in ("timezone", "days", "start", "end"):
            errors.add(
                join_path(path, str(key)), "unknown key (business hours have timezone, days, start, end)"
            )
    zone = raw.get("timezone")
    if not isinstance(zone, str) or not zone:
        errors.add(join_path(path, "timezone"), "required")
    else:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.add(join_path(path, "timezone"), f"unknown time zone '{zone}'")
    days_raw = raw.get("days", list(WEEKDAYS[:5]))
    days: set[int] = set()
    if not isinstance(days_raw, list) or not days_raw:
        errors.add(join_path(path, "days"), "expected a non-empty list of weekdays (mon..sun)")
    else:
        for index, day in enumerate(days_raw):
            if isinstance(day, str) and day.strip().lower() in _DAY_NAMES:
                days.add(_DAY_NAMES[day.strip().lower()])
            else:
                errors.add(join_path(path, f"days[{index}]"), f"unknown weekday {day!r} (use mon..sun)")
    start = _parse_time(raw.get("start"), join_path(path, "start"), errors)
    end = _parse_time(raw.get("end"), join_path(path, "end"), errors)
    if start is not None and end is not None and end <= start:
        errors.add(join_path(path, "end"), "must be after start (windows past midnight are not supported)")
    if len(errors.errors) > before or start is None or end is None or not isinstance(zone, str):
        return None
    return BusinessHours(timezone=zone, days=frozenset(days), start=start, end=end)


def _parse_time(raw: Any, path: str, errors: ErrorCollector) -> dt.time | None:
    match = _TIME.match(raw) if isinstance(raw, str) else None
    if match is None:
        errors.add(path, "required, as HH:MM" if raw is None else f"expected HH:MM, got {raw!r}")
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def _parse_datetime(raw: Any, path: str, errors: ErrorCollector) -> dt.datetime | None:
    value = raw
    if isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        errors.add(path, "expected an ISO 8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z")
        return None
    return value.astimezone(dt.UTC)


def _hold(f: _Fields) -> Action:
    reason = f.text("reason")
    f.used.update({"for_minutes", "business_hours"})
    minutes = f.raw.get("for_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0):
        f.fail("for_minutes", "expected a positive whole number of minutes")
        minutes = None
    hours = None
    if f.raw.get("business_hours") is not None:
        if f.raw.get("for_minutes") is None:
            f.fail("business_hours", "needs for_minutes (an untimed hold has no end to compute)")
        before = len(f.errors.errors)
        hours = _parse_business_hours(f.raw["business_hours"], join_path(f.path, "business_hours"), f.errors)
        f.failed = f.failed or len(f.errors.errors) > before
    return Hold(reason=reason, for_minutes=minutes, business_hours=hours)


def _preorder(f: _Fields) -> Action:
    skus = f.text_list("skus", required=True)
    mode = f.text("mode", default="hold_entire")
    if mode not in ("hold_entire", "split"):
        f.fail("mode", f"expected 'hold_entire' or 'split', got '{mode}'")
    f.used.add("release_at")
    release_at = None
    if f.raw.get("release_at") is not None:
        before = len(f.errors.errors)
        release_at = _parse_datetime(f.raw["release_at"], join_path(f.path, "release_at"), f.errors)
        f.failed = f.failed or len(f.errors.errors) > before
    reason = f.text("reason", default="Pre-order")
    return Preorder(
        skus=skus, mode="split" if mode == "split" else "hold_entire", reason=reason, release_at=release_at
    )


def _set_metadata(f: _Fields) -> Action:
    key = f.text("key")
    f.used.add("value")
    if "value" not in f.raw:
        f.fail("value", "required for set_metadata")
    value = f.raw.get("value")
    stored: MetadataValue = None
    if isinstance(value, bool | str) or value is None:
        stored = value
    elif isinstance(value, int | float | Decimal):
        stored = as_decimal(value)
    else:
        f.fail("value", f"expected a string, number, boolean or null, got {describe_type(value)}")
    return SetMetadata(key=key, value=stored)


_BUILDERS: Mapping[ActionType, Callable[[_Fields], Action]] = {
    ActionType.BLOCK: lambda f: Block(reason=f.text("reason")),
    ActionType.HOLD: _hold,
    ActionType.HOLD_UNTIL_IN_STOCK: lambda f: HoldUntilInStock(
        reason=f.text("reason", default="Waiting for stock"), skus=f.text_list("skus", required=False)
    ),
    ActionType.RELEASE: lambda f: Release(),
    ActionType.CANCEL: lambda f: Cancel(reason=f.text("reason")),
    ActionType.EXPEDITE: lambda f: Expedite(
        service_level=f.text("service_level", default="expedited"), tag=f.text("tag", default="Expedited")
    ),
    ActionType.SET_SERVICE_LEVEL: lambda f: SetServiceLevel(service_level=f.text("service_level")),
    ActionType.SET_CARRIER: lambda f: SetCarrier(carrier=f.text("carrier")),
    ActionType.PREORDER: _preorder,
    ActionType.ROUTE: lambda f: Route(connection_id=f.text("connection_id")),
    ActionType.ADD_TAG: lambda f: AddTag(tag=f.text("tag")),
    ActionType.FLAG: lambda f: Flag(flag=f.text("flag"), reason=f.text("reason", default="")),
    ActionType.SET_METADATA: _set_metadata,
    ActionType.STOP: lambda f: Stop(),
}


def parse_action(raw: Any, path: str, stage: Stage | None, errors: ErrorCollector) -> Action | None:
    """Parse one action; `stage` (when known) decides whether the action type is allowed."""
    if not isinstance(raw, dict):
        errors.add(path, f"expected a mapping with a type, got {describe_type(raw)}")
        return None
    kind = raw.get("type")
    if kind is None:
        errors.add(join_path(path, "type"), "required")
        return None
    try:
        action_type = ActionType(kind)
    except (ValueError, TypeError):
        errors.add(join_path(path, "type"), f"unknown action '{kind}'")
        return None
    if stage is not None and action_type not in ALLOWED_ACTIONS[stage]:
        errors.add(join_path(path, "type"), f"'{action_type}' is not allowed in the {stage} stage")
        return None
    fields = _Fields(raw, path, errors, action_type)
    action = _BUILDERS[action_type](fields)
    return action if fields.finish() else None
