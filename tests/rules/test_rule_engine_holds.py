"""The engine's holds: timed, business hours, release, person-released rules, inventory watch, pre-orders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from warpware.rules import (
    Held,
    HoldKind,
    OrderFacts,
    Outcome,
    RuleDefinition,
    RuleRef,
    Split,
    Stage,
    build_order_facts,
    evaluate,
    parse_rule,
)

# Wednesday 2026-03-04 15:00 UTC = 10:00 in New York.
NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)


def make_facts(**overrides: Any) -> OrderFacts:
    data: dict[str, Any] = {
        "line_items": [
            {"sku": "TEE", "quantity": 2, "price": "150.00"},
            {"sku": "MUG", "quantity": 1, "price": "300.00"},
        ],
        "shipping_address": {"country": "US", "state": "CA", "zip": "94107"},
        "tags": ["shopify"],
        "customer_email": "ann@example.com",
        "home_country": "US",
        "stock": {"TEE": 10, "MUG": 10},
        "now": NOW,
    }
    data.update(overrides)
    return build_order_facts(**data)


def r(stage: str, name: str, *actions: dict[str, Any], **fields: Any) -> RuleDefinition:
    data: dict[str, Any] = {"id": fields.pop("id", f"id-{name}"), "name": name, "stage": stage}
    data["actions"] = list(actions)
    data.update(fields)
    return parse_rule(data)


def when(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


ROUTE_DEFAULT = r("routing", "Default", {"type": "route", "connection_id": "conn-main"}, priority=1000)


def test_timed_hold_without_business_hours() -> None:
    rule = r("hold", "Edit window", {"type": "hold", "reason": "Customer edits", "for_minutes": 45})

    evaluation = evaluate([rule], make_facts())

    assert evaluation.decision.hold == Held(
        "Customer edits",
        HoldKind.RULE,
        RuleRef("id-Edit window", "Edit window"),
        dt.datetime(2026, 3, 4, 15, 45, tzinfo=dt.UTC),
    )
    assert evaluation.decision.outcome is Outcome.HELD
    assert (
        evaluation.messages()[0]
        == "Rule 'Edit window' matched: hold (Customer edits) until 2026-03-04T15:45:00Z"
    )


def test_timed_hold_respects_business_hours() -> None:
    rule = r(
        "hold",
        "Review",
        {
            "type": "hold",
            "reason": "Manual review",
            "for_minutes": 120,
            "business_hours": {
                "timezone": "America/New_York",
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "09:00",
                "end": "17:00",
            },
        },
    )
    friday_4pm_new_york = dt.datetime(2026, 3, 6, 21, 0, tzinfo=dt.UTC)

    hold = evaluate([rule], make_facts(now=friday_4pm_new_york)).decision.hold

    # One hour on Friday, one from Monday 09:00 (after the DST change: 13:00 UTC).
    assert hold is not None
    assert hold.hold_until == dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)


def test_untimed_hold_has_no_end() -> None:
    rule = r(
        "automation",
        "High value",
        {"type": "hold", "reason": "Order over $500"},
        conditions=when("order_value", "gt", 500),
    )

    evaluation = evaluate([rule, ROUTE_DEFAULT], make_facts())

    assert evaluation.decision.hold == Held(
        "Order over $500", HoldKind.RULE, RuleRef("id-High value", "High value")
    )
    assert evaluation.decision.route is not None  # still stamped, dispatch waits for the release
    assert evaluation.messages() == [
        "Rule 'High value' matched: hold (Order over $500)",
        "Rule 'Default' matched: route to conn-main",
    ]


def test_a_later_hold_does_not_replace_an_earlier_one() -> None:
    rules = [
        r("automation", "Fraud review", {"type": "hold", "reason": "Fraud review"}),
        r("hold", "Edit window", {"type": "hold", "reason": "Edits", "for_minutes": 30}),
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.hold is not None
    assert evaluation.decision.hold.reason == "Fraud review"
    assert evaluation.rule("Edit window").actions[0].reason == "hold already set by rule 'Fraud review'"


def test_release_clears_an_earlier_hold_and_frees_the_field() -> None:
    rules = [
        r("automation", "High value", {"type": "hold", "reason": "Over $500"}, priority=1),
        r(
            "automation",
            "VIP",
            {"type": "release"},
            priority=2,
            conditions=when("customer_email", "eq", "ANN@example.com"),
        ),
        r("hold", "Stock", {"type": "hold_until_in_stock"}),
    ]

    released = evaluate(rules, make_facts())
    short = evaluate(rules, make_facts(stock={"MUG": 0}))

    assert released.decision.hold is None
    assert released.messages()[1] == "Rule 'VIP' matched: release hold by rule 'High value' (Over $500)"
    assert short.decision.hold == Held(
        "Waiting for stock: MUG (need 1, have 0)",
        HoldKind.INVENTORY,
        RuleRef("id-Stock", "Stock"),
        None,
        ("MUG",),
    )


def test_release_without_a_hold_is_not_applied() -> None:
    evaluation = evaluate([r("automation", "VIP", {"type": "release"})], make_facts())

    assert evaluation.messages()[0] == "Rule 'VIP' matched: release hold (not applied: no hold to release)"


def test_skip_hold_rule_ids_keeps_a_released_hold_released() -> None:
    rules = [
        r(
            "automation",
            "High value",
            {"type": "hold", "reason": "Over $500"},
            {"type": "add_tag", "tag": "big"},
            id="rule-7",
            priority=1,
        ),
        r("hold", "Edit window", {"type": "hold", "reason": "Edits"}, id="rule-8"),
    ]

    evaluation = evaluate(rules, make_facts(), skip_hold_rule_ids={"rule-7"})

    assert evaluation.decision.tags_to_add == ("big",)
    assert evaluation.decision.hold == Held("Edits", HoldKind.RULE, RuleRef("rule-8", "Edit window"))
    assert evaluation.messages()[0] == (
        "Rule 'High value' matched: hold (Over $500) "
        "(not applied: hold released by a person for this order); add tag 'big'"
    )


def test_inventory_watch_holds_for_short_skus_only() -> None:
    rule = r("hold", "Stock", {"type": "hold_until_in_stock", "skus": ["tee"], "reason": "Backorder"})

    short = evaluate([rule], make_facts(stock={"TEE": 1, "MUG": 0}))
    stocked = evaluate([rule], make_facts(stock={"TEE": 2, "MUG": 0}))
    unknown = evaluate([rule], make_facts(stock={}))

    assert short.decision.hold == Held(
        "Backorder: TEE (need 2, have 1)", HoldKind.INVENTORY, RuleRef("id-Stock", "Stock"), None, ("TEE",)
    )
    assert stocked.decision.hold is None
    assert stocked.rule("Stock").actions[0].reason == "no SKU is short of stock"
    assert unknown.decision.hold is None


def test_inventory_watch_sums_quantities_of_repeated_skus() -> None:
    facts = make_facts(
        line_items=[{"sku": "TEE", "quantity": 2, "price": 1}, {"sku": "tee", "quantity": 2, "price": 1}],
        stock={"TEE": 3},
    )

    hold = evaluate([r("hold", "Stock", {"type": "hold_until_in_stock"})], facts).decision.hold

    assert hold is not None
    assert hold.reason == "Waiting for stock: TEE (need 4, have 3)"


def test_preorder_split_moves_preorder_lines_to_a_held_child() -> None:
    rules = [
        r(
            "preorder",
            "Summer",
            {"type": "preorder", "skus": ["MUG"], "mode": "split", "release_at": "2026-06-01T09:00:00Z"},
        ),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.split == Split(
        (1,), ("MUG",), "Pre-order", RuleRef("id-Summer", "Summer"), dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
    )
    assert evaluation.decision.hold is None
    assert evaluation.decision.tags_to_add == ("Pre-Order-SKU",)
    assert evaluation.decision.outcome is Outcome.ROUTED
    assert evaluation.messages()[0] == (
        "Rule 'Summer' matched: pre-order split to a held child order (MUG) until 2026-06-01T09:00:00Z"
    )


def test_several_split_rules_make_one_child() -> None:
    facts = make_facts(
        line_items=[
            {"sku": "A", "quantity": 1, "price": 1},
            {"sku": "B", "quantity": 1, "price": 1},
            {"sku": "C", "quantity": 1, "price": 1},
        ]
    )
    rules = [
        r("preorder", "Pre A", {"type": "preorder", "skus": ["A"], "mode": "split"}, priority=1),
        r("preorder", "Pre C", {"type": "preorder", "skus": ["c", "Z"], "mode": "split"}, priority=2),
    ]

    split = evaluate(rules, facts).decision.split

    assert split == Split((0, 2), ("A", "C"), "Pre-order", RuleRef("id-Pre A", "Pre A"))


def test_split_of_every_line_holds_the_entire_order() -> None:
    rule = r(
        "preorder",
        "All pre",
        {"type": "preorder", "skus": ["TEE", "MUG"], "mode": "split", "reason": "Launch"},
    )

    evaluation = evaluate([rule], make_facts())

    assert evaluation.decision.split is None
    assert evaluation.decision.hold == Held(
        "Launch", HoldKind.PREORDER, RuleRef("id-All pre", "All pre"), None, ("TEE", "MUG")
    )
    assert evaluation.stage(Stage.PREORDER).notes == (
        "Every line is a pre-order: the whole order is held by rule 'All pre' instead of split",
    )


def test_hold_entire_holds_the_whole_order() -> None:
    rule = r("preorder", "Pre", {"type": "preorder", "skus": ["MUG"], "mode": "hold_entire"})

    evaluation = evaluate([rule], make_facts())

    assert evaluation.decision.hold == Held(
        "Pre-order", HoldKind.PREORDER, RuleRef("id-Pre", "Pre"), None, ("MUG",)
    )
    assert evaluation.decision.split is None
    assert evaluation.decision.tags_to_add == ("Pre-Order-SKU",)


def test_preorder_rule_without_its_skus_in_the_order_does_nothing() -> None:
    evaluation = evaluate([r("preorder", "Pre", {"type": "preorder", "skus": ["OTHER"]})], make_facts())

    assert evaluation.decision.hold is None
    assert evaluation.rule("Pre").actions[0].reason == "no pre-order SKU in the order"


def test_preorder_released_by_a_person_is_not_held_again() -> None:
    rule = r(
        "preorder",
        "Pre",
        {"type": "preorder", "skus": ["MUG"]},
        {"type": "add_tag", "tag": "launch"},
        id="p1",
    )

    evaluation = evaluate([rule], make_facts(), skip_hold_rule_ids=["p1"])

    assert evaluation.decision.hold is None
    assert evaluation.decision.tags_to_add == ("launch",)


def test_everything_preorder_while_already_held_keeps_the_earlier_hold() -> None:
    rules = [
        r("automation", "Review", {"type": "hold", "reason": "Review"}),
        r("preorder", "All pre", {"type": "preorder", "skus": ["TEE", "MUG"], "mode": "split"}),
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.hold is not None
    assert evaluation.decision.hold.reason == "Review"
    assert evaluation.decision.split is None
    assert evaluation.stage(Stage.PREORDER).notes == (
        "Every line is a pre-order: nothing to split, the order stays held by rule 'Review'",
    )
