"""Reading untrusted channel JSON: typed getters that raise ChannelPayloadError, never KeyError/TypeError.

Webhook bodies come from the internet. Every read here checks the type it gets, so a parser built on
these either returns a complete DTO or raises one error type with a message a person can act on.
The WooCommerce parser uses the same readers; both would move to `connectors/payload.py` once the
lead accepts that module (this helper may only write inside its connector packages).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


class ChannelPayloadError(ValueError):
    """A channel sent an order we cannot turn into a NormalizedOrder; the message says what is wrong."""


def as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ChannelPayloadError(f"{what} must be a JSON object, got {_kind(value)}")
    return value


def opt_mapping(obj: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    return as_mapping(value, what)


def as_list(obj: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ChannelPayloadError(f"{what} must be a JSON array, got {_kind(value)}")
    return value


def opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    """A trimmed string, or None when absent, null, blank or not text (ids given as numbers are text)."""
    value = obj.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def req_str(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = opt_str(obj, key)
    if value is None:
        raise ChannelPayloadError(f"{what} is missing")
    return value


def id_string(value: object, what: str) -> str:
    """An integer id as its exact decimal text. Floats are refused: a 64-bit id has lost digits in one."""
    if isinstance(value, bool):
        raise ChannelPayloadError(f"{what} must be an integer id, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    raise ChannelPayloadError(f"{what} must be an integer id, got {_kind(value)}")


def opt_id_string(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None or value == 0:
        return None
    return id_string(value, what)


def quantity(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ChannelPayloadError(f"{what} must be a whole number, got {_kind(value)}")
    try:
        number = int(value)
    except ValueError:
        raise ChannelPayloadError(f"{what} must be a whole number, got {value!r}") from None
    if number < 0:
        raise ChannelPayloadError(f"{what} must not be negative, got {number}")
    return number


def money(value: object, what: str) -> Decimal | None:
    """Exact money. Strings are read as written; a float goes through its shortest repr ("18.5"), never
    through its binary expansion (Decimal(18.5) is fine, Decimal(0.1) is 0.1000000000000000055...)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ChannelPayloadError(f"{what} must be an amount, got a boolean")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ChannelPayloadError(f"{what} must be a finite amount")
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ChannelPayloadError(f"{what} must be an amount, got {value!r}") from None
    else:
        raise ChannelPayloadError(f"{what} must be an amount, got {_kind(value)}")
    if not amount.is_finite():
        raise ChannelPayloadError(f"{what} must be a finite amount, got {value!r}")
    return amount


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)
