"""Conditions: the fields a rule can test, the operators, parsing with field paths, and explained evaluation.

A condition is a group `{"all": [...]}` / `{"any": [...]}` (nestable) or a leaf
`{"field": ..., "op": ..., "value": ...}`. No condition, `{}` or an empty top-level group is a catch-all.

Operator semantics (strings always compare ignoring case, so `US`, `us` and `Us` are one country code):

- `eq` / `ne`: equality; a `null` value tests for a missing fact (`state eq null`).
- `lt` `lte` `gt` `gte`: numeric, exact Decimal comparison (money never goes through float).
- `in` / `not_in`: membership in a list.
- `contains`: substring for text; for `tags`, one tag equals the value.
- `matches`: regular expression, searched anywhere (anchor with ^/$), ignoring case.
- `starts_with`: prefix, or any of a list of prefixes (zip prefixes: `zip starts_with ["900", "901"]`).

A missing fact (no state, unknown `international`) matches only `ne` and `not_in` with a non-null value.
`any_sku` applies the operator to each SKU and needs one to pass; `all_skus` needs every SKU to pass
(an order without lines never passes). `tags` is a set: `eq`/`contains`/`in`/`matches`/`starts_with`
need some tag to pass; `ne`/`not_in` need no tag to equal the value / be in the list.
The spellings `equals`, `not_equals`, `greater_than`, `greater_than_or_equal`, `less_than` and
`less_than_or_equal` from the public rule builder are accepted and stored as the short operators.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from warpware.rules.facts import OrderFacts
from warpware.rules.validation import ErrorCollector, describe_type, join_path

MAX_DEPTH = 10


class Operator(enum.StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    MATCHES = "matches"
    STARTS_WITH = "starts_with"


OPERATOR_ALIASES: Mapping[str, Operator] = {
    "equals": Operator.EQ,
    "not_equals": Operator.NE,
    "greater_than": Operator.GT,
    "greater_than_or_equal": Operator.GTE,
    "less_than": Operator.LT,
    "less_than_or_equal": Operator.LTE,
}


class FieldKind(enum.StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    SKU_ANY = "sku_any"
    SKU_ALL = "sku_all"
    TAGS = "tags"
    # metadata.<key>: custom fields of any JSON scalar type, so every operator is allowed.
    ANY = "any"


_ORDERING = frozenset({Operator.LT, Operator.LTE, Operator.GT, Operator.GTE})
_TEXT_OPS = frozenset(
    {
        Operator.EQ,
        Operator.NE,
        Operator.IN,
        Operator.NOT_IN,
        Operator.CONTAINS,
        Operator.MATCHES,
        Operator.STARTS_WITH,
    }
)
OPERATORS_BY_KIND: Mapping[FieldKind, frozenset[Operator]] = {
    FieldKind.NUMBER: frozenset({Operator.EQ, Operator.NE, Operator.IN, Operator.NOT_IN}) | _ORDERING,
    FieldKind.TEXT: _TEXT_OPS,
    FieldKind.BOOL: frozenset({Operator.EQ, Operator.NE}),
    FieldKind.SKU_ANY: _TEXT_OPS,
    FieldKind.SKU_ALL: _TEXT_OPS,
    FieldKind.TAGS: _TEXT_OPS,
    FieldKind.ANY: frozenset(Operator),
}


@dataclass(frozen=True)
class FieldSpec:
    kind: FieldKind
    read: Callable[[OrderFacts], Any]
    description: str


FIELDS: Mapping[str, FieldSpec] = {
    "order_value": FieldSpec(FieldKind.NUMBER, lambda f: f.order_value, "sum of quantity × price"),
    "line_count": FieldSpec(FieldKind.NUMBER, lambda f: f.line_count, "number of lines"),
    "total_quantity": FieldSpec(FieldKind.NUMBER, lambda f: f.total_quantity, "units over all lines"),
    "any_sku": FieldSpec(FieldKind.SKU_ANY, lambda f: f.skus, "some SKU passes the operator"),
    "all_skus": FieldSpec(FieldKind.SKU_ALL, lambda f: f.skus, "every SKU passes the operator"),
    "tags": FieldSpec(FieldKind.TAGS, lambda f: f.tags, "the order's tags, including ones added by rules"),
    "source": FieldSpec(FieldKind.TEXT, lambda f: f.source, "sales channel the order came from"),
    "customer_email": FieldSpec(FieldKind.TEXT, lambda f: f.customer_email, "customer email"),
    "customer_name": FieldSpec(FieldKind.TEXT, lambda f: f.customer_name, "customer name"),
    "new_customer": FieldSpec(FieldKind.BOOL, lambda f: f.new_customer, "no earlier order from the email"),
    "country": FieldSpec(FieldKind.TEXT, lambda f: f.country, "shipping country code"),
    "state": FieldSpec(FieldKind.TEXT, lambda f: f.state, "shipping state / province code"),
    "zip": FieldSpec(FieldKind.TEXT, lambda f: f.zip, "shipping zip / postal code"),
    "city": FieldSpec(FieldKind.TEXT, lambda f: f.city, "shipping city"),
    "international": FieldSpec(FieldKind.BOOL, lambda f: f.international, "country is not the home country"),
    "po_box": FieldSpec(FieldKind.BOOL, lambda f: f.po_box, "address line 1 or 2 is a PO Box"),
    "service_level": FieldSpec(FieldKind.TEXT, lambda f: f.service_level, "requested service level"),
    "carrier": FieldSpec(FieldKind.TEXT, lambda f: f.carrier, "requested carrier"),
    "any_line_out_of_stock": FieldSpec(
        FieldKind.BOOL,
        lambda f: bool(f.short_skus()),
        "some SKU with a known stock level has less than the order needs",
    ),
}
DYNAMIC_FIELDS: Mapping[str, tuple[FieldKind, str]] = {
    "metadata.": (FieldKind.ANY, "metadata.<key>: a custom field of the order"),
    "stock.": (FieldKind.NUMBER, "stock.<SKU>: available units of that SKU (missing when unknown)"),
}


def field_kind(name: str) -> FieldKind | None:
    if name in FIELDS:
        return FIELDS[name].kind
    for prefix, (kind, _) in DYNAMIC_FIELDS.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return kind
    return None


def read_field(name: str, facts: OrderFacts) -> Any:
    if name in FIELDS:
        return FIELDS[name].read(facts)
    if name.startswith("metadata."):
        return facts.metadata.get(name.removeprefix("metadata."))
    return facts.stock_of(name.removeprefix("stock."))


Scalar = str | Decimal | bool | None
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Leaf:
    field: str
    op: Operator
    value: Value
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Group:
    mode: Literal["all", "any"]
    conditions: tuple[Condition, ...]


Condition = Leaf | Group


@dataclass(frozen=True)
class ConditionResult:
    """Whether a condition matched, and why, for the evaluation log."""

    matched: bool
    explanation: str
    children: tuple[ConditionResult, ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        out = ["  " * indent + self.explanation]
        for child in self.children:
            out.extend(child.lines(indent + 1))
        return out


CATCH_ALL = ConditionResult(True, "no conditions (matches every order)")


def evaluate_condition(condition: Condition | None, facts: OrderFacts) -> ConditionResult:
    if condition is None:
        return CATCH_ALL
    if isinstance(condition, Group):
        # Every child is evaluated, not short-circuited, so the log explains each one.
        children = tuple(evaluate_condition(child, facts) for child in condition.conditions)
        hits = [child.matched for child in children]
        matched = all(hits) if condition.mode == "all" else any(hits)
        return ConditionResult(matched, f"{condition.mode} of {len(children)}: {_verdict(matched)}", children)
    return _evaluate_leaf(condition, facts)


def _evaluate_leaf(leaf: Leaf, facts: OrderFacts) -> ConditionResult:
    kind = field_kind(leaf.field)
    actual = read_field(leaf.field, facts)
    if kind is FieldKind.SKU_ANY:
        matched = any(_compare(leaf, sku) for sku in actual)
    elif kind is FieldKind.SKU_ALL:
        matched = bool(actual) and all(_compare(leaf, sku) for sku in actual)
    elif kind is FieldKind.TAGS:
        matched = _compare_tags(leaf, actual)
    else:
        matched = _compare(leaf, actual)
    shown = list(actual) if isinstance(actual, tuple) else actual
    explanation = f"{leaf.field} {show(shown)} {leaf.op} {show(leaf.value)}: {_verdict(matched)}"
    return ConditionResult(matched, explanation)


def _compare_tags(leaf: Leaf, tags: tuple[str, ...]) -> bool:
    if leaf.op is Operator.NE:
        return not any(_equal(tag, leaf.value) for tag in tags)
    if leaf.op is Operator.NOT_IN:
        return not any(_compare(_with_op(leaf, Operator.IN), tag) for tag in tags)
    positive = _with_op(leaf, Operator.EQ) if leaf.op is Operator.CONTAINS else leaf
    return any(_compare(positive, tag) for tag in tags)


def _with_op(leaf: Leaf, op: Operator) -> Leaf:
    return Leaf(leaf.field, op, leaf.value, leaf.pattern)


def _compare(leaf: Leaf, actual: Any) -> bool:
    op, expected = leaf.op, leaf.value
    if actual is None:
        if op is Operator.EQ:
            return expected is None
        return op in (Operator.NE, Operator.NOT_IN) and expected is not None
    if op is Operator.EQ:
        return _equal(actual, expected)
    if op is Operator.NE:
        return not _equal(actual, expected)
    if op in _ORDERING:
        number = as_decimal(actual)
        if number is None or not isinstance(expected, Decimal):
            return False
        return {
            Operator.LT: number < expected,
            Operator.LTE: number <= expected,
            Operator.GT: number > expected,
            Operator.GTE: number >= expected,
        }[op]
    if op in (Operator.IN, Operator.NOT_IN):
        assert isinstance(expected, tuple)
        found = any(_equal(actual, item) for item in expected)
        return found if op is Operator.IN else not found
    if isinstance(actual, list | tuple):
        return op is Operator.CONTAINS and any(_equal(item, expected) for item in actual)
    text = _as_text(actual)
    if text is None:
        return False
    if op is Operator.CONTAINS:
        return isinstance(expected, str) and expected.casefold() in text.casefold()
    if op is Operator.MATCHES:
        return leaf.pattern is not None and leaf.pattern.search(text) is not None
    prefixes = expected if isinstance(expected, tuple) else (expected,)
    return any(isinstance(p, str) and text.casefold().startswith(p.casefold()) for p in prefixes)


def _equal(actual: Any, expected: Value) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.casefold() == expected.casefold()
    # A number against a number, or a custom field holding "12" against 12: compare as numbers.
    left, right = as_decimal(actual), as_decimal(expected)
    return left is not None and right is not None and left == right


def as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def _verdict(matched: bool) -> str:
    return "matched" if matched else "no match"


def show(value: Any) -> str:
    """A value as the evaluation log prints it."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(item) for item in value) + "]"
    return str(value)


# --- parsing -----------------------------------------------------------------------------------------


def parse_condition(raw: Any, path: str, errors: ErrorCollector) -> Condition | None:
    """Parse a rule's `conditions`; None means catch-all. Problems go to `errors` with their path."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add(path, f"expected a mapping, got {describe_type(raw)}")
        return None
    if not raw or (set(raw) in ({"all"}, {"any"}) and raw[next(iter(raw))] in ([], None)):
        return None
    return _parse_node(raw, path, errors, depth=1)


def _parse_node(raw: Any, path: str, errors: ErrorCollector, *, depth: int) -> Condition | None:
    if not isinstance(raw, dict):
        errors.add(path, f"expected a condition mapping, got {describe_type(raw)}")
        return None
    if depth > MAX_DEPTH:
        errors.add(path, f"conditions nest deeper than {MAX_DEPTH} levels")
        return None
    groups = [key for key in ("all", "any") if key in raw]
    if groups:
        if len(groups) == 2 or len(raw) > 1:
            errors.add(path, "a group has exactly one key, 'all' or 'any'")
            return None
        mode: Literal["all", "any"] = "all" if groups[0] == "all" else "any"
        return _parse_group(mode, raw[mode], join_path(path, mode), errors, depth=depth)
    return _parse_leaf(raw, path, errors)


def _parse_group(
    mode: Literal["all", "any"], items: Any, path: str, errors: ErrorCollector, *, depth: int
) -> Group | None:
    if not isinstance(items, list):
        errors.add(path, f"expected a list of conditions, got {describe_type(items)}")
        return None
    if not items:
        errors.add(path, "must list at least one condition")
        return None
    before = len(errors.errors)
    children = [
        _parse_node(item, join_path(path, i), errors, depth=depth + 1) for i, item in enumerate(items)
    ]
    if len(errors.errors) > before:
        return None
    return Group(mode, tuple(child for child in children if child is not None))


def _parse_leaf(raw: dict[str, Any], path: str, errors: ErrorCollector) -> Leaf | None:
    before = len(errors.errors)
    for key in raw:
        if key not in ("field", "op", "value"):
            errors.add(join_path(path, str(key)), "unknown key (a condition has field, op and value)")
    name = raw.get("field")
    kind: FieldKind | None = None
    if not isinstance(name, str) or not name:
        errors.add(join_path(path, "field"), "required")
    else:
        kind = field_kind(name)
        if kind is None:
            errors.add(join_path(path, "field"), f"unknown field '{name}'")
    op = _parse_operator(raw.get("op"), join_path(path, "op"), errors)
    if op is not None and kind is not None and op not in OPERATORS_BY_KIND[kind]:
        errors.add(join_path(path, "op"), f"operator '{op}' does not apply to field '{name}'")
        op = None
    value: Value = None
    pattern: re.Pattern[str] | None = None
    if op is not None and kind is not None:
        if "value" not in raw:
            errors.add(join_path(path, "value"), "required")
        else:
            value = _parse_value(kind, op, raw["value"], join_path(path, "value"), errors)
            if op is Operator.MATCHES and isinstance(value, str):
                pattern = _compile(value, join_path(path, "value"), errors)
    if len(errors.errors) > before or op is None or not isinstance(name, str):
        return None
    return Leaf(name, op, value, pattern)


def _parse_operator(raw: Any, path: str, errors: ErrorCollector) -> Operator | None:
    if raw is None:
        errors.add(path, "required")
        return None
    if isinstance(raw, str):
        token = raw.strip().lower()
        if token in OPERATOR_ALIASES:
            return OPERATOR_ALIASES[token]
        try:
            return Operator(token)
        except ValueError:
            pass
    errors.add(path, f"unknown operator '{raw}'")
    return None


def _compile(value: str, path: str, errors: ErrorCollector) -> re.Pattern[str] | None:
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        errors.add(path, f"invalid regular expression: {exc}")
        return None


def _parse_value(kind: FieldKind, op: Operator, raw: Any, path: str, errors: ErrorCollector) -> Value:
    if op in _ORDERING:
        number = _number(raw)
        if number is None:
            errors.add(path, f"expected a number for operator '{op}', got {describe_type(raw)}")
        return number
    if op in (Operator.IN, Operator.NOT_IN) or (op is Operator.STARTS_WITH and isinstance(raw, list)):
        if not isinstance(raw, list):
            errors.add(path, f"expected a list for operator '{op}', got {describe_type(raw)}")
            return None
        scalar_kind = FieldKind.TEXT if op is Operator.STARTS_WITH else kind
        return tuple(_scalar(scalar_kind, item, join_path(path, i), errors) for i, item in enumerate(raw))
    if op in (Operator.CONTAINS, Operator.MATCHES, Operator.STARTS_WITH):
        text = _text(raw)
        if text is None:
            errors.add(path, f"expected a string for operator '{op}', got {describe_type(raw)}")
        return text
    if raw is None:
        return None
    return _scalar(kind, raw, path, errors)


def _scalar(kind: FieldKind, raw: Any, path: str, errors: ErrorCollector) -> Scalar:
    if kind is FieldKind.NUMBER:
        number = _number(raw)
        if number is None:
            errors.add(path, f"expected a number, got {describe_type(raw)}")
        return number
    if kind is FieldKind.BOOL:
        if not isinstance(raw, bool):
            errors.add(path, f"expected true or false, got {describe_type(raw)}")
            return None
        return raw
    if kind is FieldKind.ANY:
        if isinstance(raw, bool | str) or raw is None:
            return raw
        number = _number(raw)
        if number is None:
            errors.add(path, f"expected a string, number, boolean or null, got {describe_type(raw)}")
        return number
    text = _text(raw)
    if text is None:
        errors.add(path, f"expected a string, got {describe_type(raw)}")
    return text


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, int | float | Decimal | str) and not isinstance(raw, bool):
        return as_decimal(raw)
    return None


def _text(raw: Any) -> str | None:
    # An unquoted zip such as 90210 arrives from YAML as an int; it means the text "90210".
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return raw if isinstance(raw, str) else None
