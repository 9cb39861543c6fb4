"""The engine: stages in order, priorities, claims, stops, routing, the log and the messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warpware.rules import (
    Blocked,
    Cancelled,
    Flagged,
    OrderFacts,
    Outcome,
    Routed,
    RuleDefinition,
    RuleRef,
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


def test_a_plain_order_routes_through_the_catch_all() -> None:
    evaluation = evaluate([ROUTE_DEFAULT], make_facts())

    assert evaluation.decision.route == Routed("conn-main", RuleRef("id-Default", "Default"))
    assert evaluation.decision.outcome is Outcome.ROUTED
    assert evaluation.messages() == ["Rule 'Default' matched: route to conn-main"]


def test_no_matching_routing_rule_leaves_the_order_unrouted() -> None:
    west = r("routing", "West", {"type": "route", "connection_id": "w"}, conditions=when("state", "eq", "WA"))

    evaluation = evaluate([west], make_facts())

    assert evaluation.decision.route is None
    assert evaluation.decision.outcome is Outcome.UNROUTED
    assert evaluation.messages() == ["No routing rule matched"]
    condition = evaluation.rule("West").condition
    assert condition is not None
    assert condition.explanation == "state 'CA' eq 'WA': no match"


def test_routing_first_match_wins_by_priority_then_name() -> None:
    rules = [
        r("routing", "b-second", {"type": "route", "connection_id": "b"}, priority=5),
        r("routing", "A-first", {"type": "route", "connection_id": "a"}, priority=5),
        r(
            "routing",
            "Earliest",
            {"type": "route", "connection_id": "e"},
            priority=1,
            conditions=when("state", "eq", "NY"),
        ),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.route == Routed("a", RuleRef("id-A-first", "A-first"))
    assert [(t.rule.name, t.matched, t.skipped) for t in evaluation.stage(Stage.ROUTING).rules] == [
        ("Earliest", False, None),
        ("A-first", True, None),
        ("b-second", False, "rule 'A-first' matched first (stop on match)"),
        ("Default", False, "rule 'A-first' matched first (stop on match)"),
    ]


def test_territory_block_ends_the_evaluation() -> None:
    rules = [
        r(
            "territory",
            "Embargo",
            {"type": "block", "reason": "Embargoed destination"},
            {"type": "add_tag", "tag": "late"},
            conditions=when("country", "in", ["CU", "IR"]),
        ),
        r("automation", "Tag all", {"type": "add_tag", "tag": "seen"}),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts(shipping_address={"country": "cu"}))

    assert evaluation.decision.blocked == Blocked("Embargoed destination", RuleRef("id-Embargo", "Embargo"))
    assert evaluation.decision.outcome is Outcome.BLOCKED
    assert evaluation.decision.route is None
    assert evaluation.decision.tags_to_add == ()
    assert evaluation.stage(Stage.AUTOMATION).skipped == "order blocked by rule 'Embargo'"
    assert evaluation.stage(Stage.ROUTING).skipped == "order blocked by rule 'Embargo'"
    assert evaluation.messages() == [
        "Rule 'Embargo' matched: block (Embargoed destination); "
        "add tag 'late' (not applied: order blocked by rule 'Embargo')"
    ]


def test_territory_gate_by_state() -> None:
    rule = r(
        "territory",
        "No Hawaii",
        {"type": "block", "reason": "No HI shipping"},
        conditions={"all": [when("country", "eq", "US"), when("state", "eq", "hi")]},
    )

    assert (
        evaluate([rule], make_facts(shipping_address={"country": "US", "state": "HI"})).decision.blocked
        is not None
    )
    assert evaluate([rule], make_facts()).decision.blocked is None


def test_cancel_ends_the_evaluation() -> None:
    rules = [
        r(
            "automation",
            "Fraud",
            {"type": "cancel", "reason": "Fraud score"},
            priority=1,
            conditions=when("customer_email", "matches", "@example\\.com$"),
        ),
        r("automation", "Later", {"type": "add_tag", "tag": "x"}, priority=2),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.cancelled == Cancelled("Fraud score", RuleRef("id-Fraud", "Fraud"))
    assert evaluation.decision.outcome is Outcome.CANCELLED
    assert evaluation.rule("Later").skipped == "order cancelled by rule 'Fraud'"
    assert evaluation.stage(Stage.ROUTING).skipped == "order cancelled by rule 'Fraud'"


def test_first_rule_to_claim_a_field_wins() -> None:
    rules = [
        r(
            "automation",
            "Ground for heavy",
            {"type": "set_service_level", "service_level": "ground"},
            {"type": "set_carrier", "carrier": "UPS"},
            priority=1,
        ),
        r(
            "automation",
            "Rush",
            {"type": "expedite"},
            {"type": "set_carrier", "carrier": "FedEx"},
            {"type": "add_tag", "tag": "rush"},
            priority=2,
        ),
    ]

    evaluation = evaluate(rules, make_facts())

    decision = evaluation.decision
    assert decision.service_level == "ground"
    assert decision.carrier == "UPS"
    assert decision.tags_to_add == ("rush",)
    assert decision.claims["service_level"] == RuleRef("id-Ground for heavy", "Ground for heavy")
    assert evaluation.messages() == [
        "Rule 'Ground for heavy' matched: set service level 'ground'; set carrier 'UPS'",
        "Rule 'Rush' matched: expedite (service level 'expedited', tag 'Expedited') "
        "(not applied: service_level already set by rule 'Ground for heavy'); "
        "set carrier 'FedEx' (not applied: carrier already set by rule 'Ground for heavy'); add tag 'rush'",
        "No routing rule matched",
    ]


def test_expedite_sets_service_level_and_tag() -> None:
    evaluation = evaluate(
        [r("automation", "VIP", {"type": "expedite", "service_level": "overnight"})], make_facts()
    )

    assert evaluation.decision.service_level == "overnight"
    assert evaluation.decision.tags_to_add == ("Expedited",)


def test_annotations_add_up_and_skip_duplicates() -> None:
    rules = [
        r(
            "automation",
            "One",
            {"type": "add_tag", "tag": "B2B"},
            {"type": "flag", "flag": "review", "reason": "Big order"},
            {"type": "set_metadata", "key": "lane", "value": 3},
            priority=1,
        ),
        r(
            "automation",
            "Two",
            {"type": "add_tag", "tag": "b2b"},
            {"type": "add_tag", "tag": "SHOPIFY"},
            {"type": "flag", "flag": "Review"},
            {"type": "set_metadata", "key": "lane", "value": 4},
            priority=2,
        ),
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.tags_to_add == ("B2B",)
    assert evaluation.decision.flags == (Flagged("review", "Big order", RuleRef("id-One", "One")),)
    assert dict(evaluation.decision.metadata) == {"lane": Decimal("3")}
    assert [(a.applied, a.reason) for a in evaluation.rule("Two").actions] == [
        (False, "order already has this tag"),
        (False, "order already has this tag"),
        (False, "order already has this flag"),
        (False, "metadata.lane already set by rule 'One'"),
    ]


def test_later_rules_see_earlier_changes() -> None:
    rules = [
        r(
            "automation",
            "Big",
            {"type": "add_tag", "tag": "big"},
            {"type": "set_carrier", "carrier": "Freight"},
            conditions=when("order_value", "gte", "600.00"),
        ),
        r(
            "routing",
            "Freight dock",
            {"type": "route", "connection_id": "dock"},
            priority=1,
            conditions={"all": [when("tags", "contains", "BIG"), when("carrier", "eq", "freight")]},
        ),
        ROUTE_DEFAULT,
    ]

    assert evaluate(rules, make_facts()).decision.route == Routed(
        "dock", RuleRef("id-Freight dock", "Freight dock")
    )


def test_stop_on_match_stops_only_its_stage() -> None:
    rules = [
        r("automation", "First", {"type": "add_tag", "tag": "a"}, priority=1, stop_on_match=True),
        r("automation", "Second", {"type": "add_tag", "tag": "b"}, priority=2),
        r("hold", "Hold all", {"type": "hold", "reason": "check"}),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.tags_to_add == ("a",)
    assert evaluation.rule("Second").skipped == "rule 'First' matched first (stop on match)"
    assert evaluation.decision.hold is not None
    assert evaluation.decision.route is not None


def test_stop_on_match_does_nothing_when_the_rule_does_not_match() -> None:
    rules = [
        r(
            "automation",
            "First",
            {"type": "add_tag", "tag": "a"},
            priority=1,
            stop_on_match=True,
            conditions=when("state", "eq", "NY"),
        ),
        r("automation", "Second", {"type": "add_tag", "tag": "b"}, priority=2),
    ]

    assert evaluate(rules, make_facts()).decision.tags_to_add == ("b",)


def test_stop_skips_later_stages_but_routing_still_runs() -> None:
    rules = [
        r("automation", "Stopper", {"type": "add_tag", "tag": "done"}, {"type": "stop"}, priority=1),
        r("automation", "After", {"type": "add_tag", "tag": "after"}, priority=2),
        r("hold", "Hold all", {"type": "hold", "reason": "check"}),
        r("preorder", "Pre", {"type": "preorder", "skus": ["MUG"]}),
        ROUTE_DEFAULT,
    ]

    evaluation = evaluate(rules, make_facts())

    assert evaluation.decision.tags_to_add == ("done",)
    assert evaluation.decision.hold is None
    assert evaluation.rule("After").skipped == "stopped by rule 'Stopper'"
    assert evaluation.stage(Stage.HOLD).skipped == "stopped by rule 'Stopper'"
    assert evaluation.stage(Stage.PREORDER).skipped == "stopped by rule 'Stopper'"
    assert evaluation.stage(Stage.ROUTING).skipped is None
    assert evaluation.decision.route == Routed("conn-main", RuleRef("id-Default", "Default"))
    assert evaluation.messages() == [
        "Rule 'Stopper' matched: add tag 'done'; stop",
        "Rule 'Default' matched: route to conn-main",
    ]


def test_disabled_rules_are_listed_but_not_run() -> None:
    rule = r("automation", "Off", {"type": "add_tag", "tag": "x"}, enabled=False)

    evaluation = evaluate([rule], make_facts())

    assert evaluation.rule("Off").skipped == "disabled"
    assert evaluation.decision.tags_to_add == ()


def test_log_explains_every_rule() -> None:
    rules = [
        r("automation", "Big", {"type": "add_tag", "tag": "big"}, conditions=when("order_value", "gt", 1000)),
        r("automation", "Off", {"type": "add_tag", "tag": "x"}, enabled=False),
        ROUTE_DEFAULT,
    ]

    assert evaluate(rules, make_facts()).log() == [
        "[territory]",
        "[automation]",
        "  rule 'Big' (priority 100): no match",
        "    order_value 600.00 gt 1000: no match",
        "  rule 'Off' (priority 100): skipped: disabled",
        "[hold]",
        "[preorder]",
        "[routing]",
        "  rule 'Default' (priority 1000): matched",
        "    no conditions (matches every order)",
        "    -> route to conn-main",
    ]


RULE_POOL = [
    r("territory", "Gate", {"type": "block", "reason": "no"}, conditions=when("state", "eq", "HI")),
    r(
        "automation",
        "Tag big",
        {"type": "add_tag", "tag": "big"},
        priority=1,
        conditions=when("order_value", "gt", 100),
    ),
    r("automation", "Ground", {"type": "set_service_level", "service_level": "ground"}, priority=2),
    r("automation", "Rush", {"type": "expedite"}, priority=2),
    r(
        "automation",
        "Review",
        {"type": "hold", "reason": "Review"},
        priority=3,
        conditions=when("tags", "contains", "big"),
    ),
    r("automation", "Release VIP", {"type": "release"}, priority=4, conditions=when("state", "eq", "CA")),
    r("hold", "Stock", {"type": "hold_until_in_stock"}, stop_on_match=True),
    r("hold", "Window", {"type": "hold", "reason": "window", "for_minutes": 30}),
    r("preorder", "Pre", {"type": "preorder", "skus": ["MUG"], "mode": "split"}),
    r(
        "routing",
        "Big dock",
        {"type": "route", "connection_id": "dock"},
        priority=10,
        conditions=when("tags", "contains", "big"),
    ),
    ROUTE_DEFAULT,
]


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(RULE_POOL),
    state=st.sampled_from(["CA", "HI", "NY"]),
    mug_stock=st.integers(min_value=0, max_value=2),
)
def test_the_order_rules_are_stored_in_never_changes_the_result(
    order: list[RuleDefinition], state: str, mug_stock: int
) -> None:
    facts = make_facts(shipping_address={"country": "US", "state": state}, stock={"MUG": mug_stock})

    shuffled = evaluate(order, facts)
    reference = evaluate(RULE_POOL, facts)

    assert shuffled.decision == reference.decision
    assert shuffled.messages() == reference.messages()
