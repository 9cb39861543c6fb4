"""Page and cursor pagination, and parsing of list-endpoint query parameters (400 on bad values)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from warpware.errors import BadRequest

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int
    cursor_mode: bool
    after: int | None


def page_request(*, page: int | None, per_page: int | None, after: str | None) -> PageRequest:
    size = DEFAULT_PER_PAGE if per_page is None else per_page
    if not 1 <= size <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE} (got {size})")
    if after is not None:
        if page is not None:
            raise BadRequest(
                "page and after cannot be combined: use after= for cursor mode or page= for pages"
            )
        return PageRequest(
            page=1, per_page=size, cursor_mode=True, after=decode_cursor(after) if after else None
        )
    number = 1 if page is None else page
    if number < 1:
        raise BadRequest(f"page must be 1 or more (got {number})")
    return PageRequest(page=number, per_page=size, cursor_mode=False, after=None)


def encode_cursor(seq: int) -> str:
    raw = json.dumps({"v": 1, "s": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        seq = data["s"]
        if data.get("v") != 1 or not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError
        return seq
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("Malformed cursor: pass the next_cursor value from a previous response") from None


def page_meta(page: PageRequest, total: int, **extra: Any) -> dict[str, Any]:
    return {
        "page": page.page,
        "per_page": page.per_page,
        "total": total,
        "total_pages": math.ceil(total / page.per_page) if total else 0,
        **extra,
    }


def cursor_meta(page: PageRequest, next_seq: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "per_page": page.per_page,
        "next_cursor": encode_cursor(next_seq) if next_seq is not None else None,
        "has_more": next_seq is not None,
        **extra,
        "cursor_mode": True,
    }


def parse_timestamp(name: str, value: str | None, *, end_of_day: bool = False) -> dt.datetime | None:
    """ISO 8601 date or date-time; a bare date means the start of that day (end of it for date_to), UTC."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
            return moment.replace(tzinfo=dt.UTC)
        parsed = dt.datetime.fromisoformat(
            text.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text
        )
    except ValueError:
        raise BadRequest(
            f"{name} must be an ISO 8601 date or date-time, e.g. 2026-02-27 or "
            f"2026-02-27T10:00:00Z (got {value!r})"
        ) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
