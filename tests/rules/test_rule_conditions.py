"""Conditions: each operator, missing facts, SKU and tag semantics, nesting, and the explanations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warpware.rules import OrderFacts, build_order_facts, evaluate_condition
from warpware.rules.conditions import Condition, parse_condition
from warpware.rules.validation import ErrorCollector

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def make_facts(**overrides: Any) -> OrderFacts:
    data: dict[str, Any] = {
        "line_items": [
            {"sku": "TEE-RED-M", "quantity": 2, "price": "19.99"},
            {"sku": "MUG-01", "quantity": 1, "price": Decimal("12.50")},
        ],
        "shipping_address": {"country": "US", "state": "CA", "zip": "94107", "address1": "1 Main St"},
        "tags": ["Wholesale", "rush"],
        "source": "shopify",
        "customer_email": "Ann@Example.com",
        "customer_name": "Ann Lee",
        "metadata": {"gift": True, "warehouse_id": 12, "channel_ref": "A-1"},
        "service_level": "standard",
        "carrier": "UPS",
        "home_country": "US",
        "is_new_customer": True,
        "stock": {"TEE-RED-M": 5, "MUG-01": 0},
        "now": NOW,
    }
    data.update(overrides)
    return build_order_facts(**data)


def parse(raw: Any) -> Condition | None:
    errors = ErrorCollector()
    condition = parse_condition(raw, "conditions", errors)
    assert errors.errors == []
    return condition


def check(field: str, op: str, value: Any, facts: OrderFacts | None = None) -> bool:
    condition = parse({"field": field, "op": op, "value": value})
    return evaluate_condition(condition, facts or make_facts()).matched


def test_facts_are_computed_from_plain_data() -> None:
    facts = make_facts()

    assert facts.order_value == Decimal("52.48")
    assert facts.line_count == 2
    assert facts.total_quantity == 3
    assert facts.skus == ("TEE-RED-M", "MUG-01")
    assert facts.international is False
    assert facts.po_box is False
    assert facts.short_skus() == [("MUG-01", 1, 0)]


def test_build_order_facts_rejects_a_naive_now() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        make_facts(now=dt.datetime(2026, 3, 2, 15, 0))


def test_float_prices_keep_their_written_value() -> None:
    facts = make_facts(line_items=[{"sku": "A", "quantity": 3, "price": 0.1}])

    assert facts.order_value == Decimal("0.3")


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "52.48", True),
        ("eq", 52.480, True),
        ("ne", 52.48, False),
        ("gt", 52.47, True),
        ("gt", 52.48, False),
        ("gte", 52.48, True),
        ("lt", 52.49, True),
        ("lt", 52.48, False),
        ("lte", "52.48", True),
        ("in", [10, 52.48], True),
        ("not_in", [10, 52.48], False),
        ("greater_than", 50, True),
        ("less_than_or_equal", 52, False),
    ],
)
def test_numeric_operators_compare_money_exactly(op: str, value: Any, expected: bool) -> None:
    assert check("order_value", op, value) is expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("country", "eq", "us", True),
        ("country", "ne", "US", False),
        ("state", "in", ["ny", "ca"], True),
        ("state", "not_in", ["NY", "CA"], False),
        ("customer_email", "contains", "@example.COM", True),
        ("customer_name", "matches", r"^ann\b", True),
        ("zip", "matches", r"^9[0-4]\d{3}$", True),
        ("zip", "starts_with", "941", True),
        ("zip", "starts_with", ["100", "941"], True),
        ("zip", "starts_with", ["100", "200"], False),
        ("zip", "eq", 94107, True),
        ("source", "eq", "Shopify", True),
        ("carrier", "ne", "fedex", True),
        ("service_level", "eq", "standard", True),
    ],
)
def test_text_operators_ignore_case(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("new_customer", True, True),
        ("international", True, False),
        ("po_box", False, True),
        ("any_line_out_of_stock", True, True),
    ],
)
def test_boolean_fields(field: str, value: bool, expected: bool) -> None:
    assert check(field, "eq", value) is expected


def test_international_compares_with_the_home_country() -> None:
    facts = make_facts(shipping_address={"country": "CA"}, home_country="us")

    assert facts.international is True
    assert make_facts(home_country=None).international is None


@pytest.mark.parametrize(
    "address1",
    ["PO Box 12", "P.O. Box 77", "p o box 5", "POBox 9", "Post Office Box 400", "POB 12", "P.O.B. 3"],
)
def test_po_box_variants_are_recognised(address1: str) -> None:
    assert make_facts(shipping_address={"country": "US", "address1": address1}).po_box is True


@pytest.mark.parametrize("address1", ["12 Pobst Road", "4 Po Boy Lane", "77 Boxwood Ave", "Apollo Box Works"])
def test_street_names_are_not_po_boxes(address1: str) -> None:
    assert make_facts(shipping_address={"country": "US", "address1": address1}).po_box is False


def test_po_box_in_address2_counts() -> None:
    facts = make_facts(shipping_address={"address1": "Acme Corp", "address2": "P.O. Box 12"})

    assert check("po_box", "eq", True, facts) is True


def test_missing_facts_match_only_negative_operators() -> None:
    facts = make_facts(shipping_address={"country": "US"})

    assert check("state", "eq", "CA", facts) is False
    assert check("state", "matches", ".*", facts) is False
    assert check("state", "ne", "CA", facts) is True
    assert check("state", "not_in", ["CA"], facts) is True
    assert check("state", "eq", None, facts) is True
    assert check("state", "ne", None, facts) is False


def test_any_sku_and_all_skus_quantify_over_skus() -> None:
    assert check("any_sku", "eq", "mug-01") is True
    assert check("any_sku", "in", ["X", "MUG-01"]) is True
    assert check("any_sku", "not_in", ["MUG-01"]) is True
    assert check("all_skus", "not_in", ["MUG-01"]) is False
    assert check("all_skus", "matches", r"^(TEE|MUG)-") is True
    assert check("all_skus", "starts_with", "TEE") is False
    assert check("any_sku", "contains", "red") is True


def test_all_skus_never_matches_an_order_without_lines() -> None:
    assert check("all_skus", "matches", ".*", make_facts(line_items=[])) is False


def test_tags_behave_as_a_set() -> None:
    assert check("tags", "contains", "wholesale") is True
    assert check("tags", "contains", "whole") is False
    assert check("tags", "eq", "RUSH") is True
    assert check("tags", "ne", "rush") is False
    assert check("tags", "ne", "vip") is True
    assert check("tags", "in", ["vip", "rush"]) is True
    assert check("tags", "not_in", ["vip", "rush"]) is False
    assert check("tags", "not_in", ["vip"]) is True
    assert check("tags", "matches", "^whole") is True
    assert check("tags", "starts_with", "ru") is True


def test_metadata_fields_compare_by_type() -> None:
    assert check("metadata.gift", "eq", True) is True
    assert check("metadata.gift", "eq", "true") is False
    assert check("metadata.warehouse_id", "eq", "12") is True
    assert check("metadata.warehouse_id", "gte", 12) is True
    assert check("metadata.channel_ref", "starts_with", "a-") is True
    assert check("metadata.missing", "eq", None) is True
    assert check("metadata.channel_ref", "gt", 1) is False


def test_stock_fields_read_the_availability_map() -> None:
    assert check("stock.tee-red-m", "gte", 5) is True
    assert check("stock.MUG-01", "lt", 1) is True
    assert check("stock.UNKNOWN", "lt", 1) is False


def test_nested_groups_combine_and_explain_every_child() -> None:
    condition = parse(
        {
            "all": [
                {"field": "country", "op": "eq", "value": "US"},
                {
                    "any": [
                        {"field": "order_value", "op": "gt", "value": 500},
                        {"field": "tags", "op": "contains", "value": "rush"},
                    ]
                },
            ]
        }
    )

    result = evaluate_condition(condition, make_facts())

    assert result.matched is True
    assert result.lines() == [
        "all of 2: matched",
        "  country 'US' eq 'US': matched",
        "  any of 2: matched",
        "    order_value 52.48 gt 500: no match",
        "    tags ['Wholesale', 'rush'] contains 'rush': matched",
    ]


def test_a_failing_child_fails_all_but_not_any() -> None:
    children = [
        {"field": "country", "op": "eq", "value": "US"},
        {"field": "country", "op": "eq", "value": "CA"},
    ]

    assert evaluate_condition(parse({"all": children}), make_facts()).matched is False
    assert evaluate_condition(parse({"any": children}), make_facts()).matched is True


@pytest.mark.parametrize("raw", [None, {}, {"all": []}, {"any": []}])
def test_empty_conditions_are_a_catch_all(raw: Any) -> None:
    result = evaluate_condition(parse(raw), make_facts())

    assert result.matched is True
    assert result.explanation == "no conditions (matches every order)"


@given(
    country=st.sampled_from(["US", "us", "CA", "GB", "NO", "de"]),
    allowed=st.lists(st.sampled_from(["US", "CA", "gb", "No"]), max_size=4),
)
def test_not_in_is_the_negation_of_in(country: str, allowed: list[str]) -> None:
    facts = make_facts(shipping_address={"country": country})

    assert check("country", "in", allowed, facts) is not check("country", "not_in", allowed, facts)
    assert check("country", "in", allowed, facts) is (country.upper() in {a.upper() for a in allowed})


@given(
    prices=st.lists(
        st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False),
        max_size=5,
    ),
    threshold=st.decimals(min_value=0, max_value=20_000, places=2, allow_nan=False, allow_infinity=False),
)
def test_order_value_threshold_is_exact(prices: list[Decimal], threshold: Decimal) -> None:
    facts = make_facts(line_items=[{"sku": f"S{i}", "quantity": 1, "price": p} for i, p in enumerate(prices)])

    assert check("order_value", "gt", str(threshold), facts) is (sum(prices, Decimal(0)) > threshold)
