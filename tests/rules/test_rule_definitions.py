"""Rule definitions: validation names the bad field, nothing is half-accepted, YAML loads the same way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from warpware.rules import (
    ALLOWED_ACTIONS,
    ActionType,
    AddTag,
    BusinessHours,
    Group,
    Hold,
    Leaf,
    Operator,
    Preorder,
    Route,
    RuleDefinition,
    RuleValidationError,
    Stage,
    load_rules_yaml,
    parse_rule,
)


def rule(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "r1",
        "name": "High value",
        "stage": "automation",
        "priority": 10,
        "conditions": {"all": [{"field": "order_value", "op": "gt", "value": 500}]},
        "actions": [{"type": "hold", "reason": "Order over $500"}],
    }
    data.update(overrides)
    return data


def error_of(data: Any) -> str:
    with pytest.raises(RuleValidationError) as excinfo:
        parse_rule(data)
    return str(excinfo.value)


def test_a_valid_rule_parses_into_frozen_values() -> None:
    parsed = parse_rule(rule())

    assert parsed == RuleDefinition(
        id="r1",
        name="High value",
        stage=Stage.AUTOMATION,
        priority=10,
        conditions=Group("all", (Leaf("order_value", Operator.GT, Decimal("500")),)),
        actions=(Hold(reason="Order over $500"),),
    )
    assert parsed.enabled is True
    assert parsed.stop_on_match is False


def test_defaults_and_aliases() -> None:
    parsed = parse_rule(
        {
            "name": "Catch-all",
            "stage": "pre-order",
            "conditions": {"field": "tags", "op": "not_equals", "value": "x"},
            "actions": [{"type": "preorder", "skus": ["SUMMER-24"]}],
        }
    )

    assert parsed.id is None
    assert parsed.priority == 100
    assert parsed.stage is Stage.PREORDER
    assert parsed.conditions == Leaf("tags", Operator.NE, "x")
    assert parsed.actions == (Preorder(skus=("SUMMER-24",), mode="hold_entire", reason="Pre-order"),)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        (
            {
                "all": [
                    {"field": "country", "op": "eq", "value": "US"},
                    {"field": "order_value", "op": "greater"},
                ]
            },
            "conditions.all[1].op: unknown operator 'greater'",
        ),
        ({"field": "colour", "op": "eq", "value": "red"}, "conditions.field: unknown field 'colour'"),
        (
            {"field": "country", "op": "gt", "value": 1},
            "conditions.op: operator 'gt' does not apply to field 'country'",
        ),
        (
            {"field": "country", "op": "in", "value": "US"},
            "conditions.value: expected a list for operator 'in', got a string",
        ),
        (
            {"field": "order_value", "op": "gt", "value": "lots"},
            "conditions.value: expected a number for operator 'gt', got a string",
        ),
        (
            {"field": "order_value", "op": "in", "value": [1, "x"]},
            "conditions.value[1]: expected a number, got a string",
        ),
        (
            {"field": "po_box", "op": "eq", "value": "yes"},
            "conditions.value: expected true or false, got a string",
        ),
        (
            {"field": "zip", "op": "matches", "value": "(9"},
            "conditions.value: invalid regular expression: missing ), unterminated subpattern at position 0",
        ),
        ({"field": "zip", "op": "eq"}, "conditions.value: required"),
        ({"field": "zip", "value": "1"}, "conditions.op: required"),
        (
            {"field": "zip", "op": "eq", "value": "1", "extra": 1},
            "conditions.extra: unknown key (a condition has field, op and value)",
        ),
        ({"all": [], "any": []}, "conditions: a group has exactly one key, 'all' or 'any'"),
        ({"any": [{"all": []}]}, "conditions.any[0].all: must list at least one condition"),
        ({"all": "country"}, "conditions.all: expected a list of conditions, got a string"),
        ([{"field": "zip"}], "conditions: expected a mapping, got a list"),
        (
            {"all": [{"field": "metadata.", "op": "eq", "value": 1}]},
            "conditions.all[0].field: unknown field 'metadata.'",
        ),
    ],
)
def test_condition_errors_name_the_field_path(conditions: Any, message: str) -> None:
    assert error_of(rule(conditions=conditions)) == message


def test_conditions_may_not_nest_without_bound() -> None:
    node: dict[str, Any] = {"field": "zip", "op": "eq", "value": "1"}
    for _ in range(11):
        node = {"all": [node]}

    assert error_of(rule(conditions=node)) == (
        "conditions.all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0]: "
        "conditions nest deeper than 10 levels"
    )


@pytest.mark.parametrize(
    ("stage", "actions", "message"),
    [
        ("routing", [{"type": "route"}], "actions[0].connection_id: required for route"),
        (
            "automation",
            [{"type": "route", "connection_id": "c1"}],
            "actions[0].type: 'route' is not allowed in the automation stage",
        ),
        (
            "automation",
            [{"type": "block", "reason": "x"}],
            "actions[0].type: 'block' is not allowed in the automation stage",
        ),
        (
            "hold",
            [{"type": "preorder", "skus": ["A"]}],
            "actions[0].type: 'preorder' is not allowed in the hold stage",
        ),
        ("automation", [{"type": "teleport"}], "actions[0].type: unknown action 'teleport'"),
        ("automation", [{"reason": "x"}], "actions[0].type: required"),
        ("automation", [], "actions: at least one action is required"),
        ("automation", "hold", "actions: expected a list of actions, got a string"),
        ("automation", ["hold"], "actions[0]: expected a mapping with a type, got a string"),
        ("automation", [{"type": "hold", "reason": ""}], "actions[0].reason: required for hold"),
        (
            "automation",
            [{"type": "hold", "reason": "x", "minutes": 5}],
            "actions[0].minutes: unknown key for hold",
        ),
        (
            "automation",
            [{"type": "hold", "reason": "x", "for_minutes": 0}],
            "actions[0].for_minutes: expected a positive whole number of minutes",
        ),
        (
            "automation",
            [
                {
                    "type": "hold",
                    "reason": "x",
                    "business_hours": {"timezone": "UTC", "start": "09:00", "end": "17:00"},
                }
            ],
            "actions[0].business_hours: needs for_minutes (an untimed hold has no end to compute)",
        ),
        (
            "automation",
            [
                {
                    "type": "hold",
                    "reason": "x",
                    "for_minutes": 5,
                    "business_hours": {
                        "timezone": "Mars/Base",
                        "days": ["mon", "funday"],
                        "start": "9am",
                        "end": "08:00",
                    },
                }
            ],
            "actions[0].business_hours.timezone: unknown time zone 'Mars/Base'; "
            "actions[0].business_hours.days[1]: unknown weekday 'funday' (use mon..sun); "
            "actions[0].business_hours.start: expected HH:MM, got '9am'",
        ),
        (
            "automation",
            [
                {
                    "type": "hold",
                    "reason": "x",
                    "for_minutes": 5,
                    "business_hours": {"timezone": "UTC", "start": "17:00", "end": "09:00"},
                }
            ],
            "actions[0].business_hours.end: must be after start (windows past midnight are not supported)",
        ),
        (
            "preorder",
            [{"type": "preorder", "skus": [], "mode": "later"}],
            "actions[0].skus: expected a non-empty list of strings; "
            "actions[0].mode: expected 'hold_entire' or 'split', got 'later'",
        ),
        (
            "preorder",
            [{"type": "preorder", "skus": ["A"], "release_at": "2026-04-01"}],
            "actions[0].release_at: "
            "expected an ISO 8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z",
        ),
        ("automation", [{"type": "set_metadata", "key": "k"}], "actions[0].value: required for set_metadata"),
        (
            "automation",
            [{"type": "set_carrier", "carrier": ["UPS"]}],
            "actions[0].carrier: expected a string, got a list",
        ),
        (
            "routing",
            [{"type": "add_tag", "tag": "x"}],
            "actions: a routing rule needs exactly one route action, found 0",
        ),
        (
            "routing",
            [{"type": "route", "connection_id": "a"}, {"type": "route", "connection_id": "b"}],
            "actions: a routing rule needs exactly one route action, found 2",
        ),
    ],
)
def test_action_errors_name_the_field_path(stage: str, actions: Any, message: str) -> None:
    assert error_of(rule(stage=stage, conditions=None, actions=actions)) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": " "}, "name: required"),
        (
            {"stage": "shipping"},
            "stage: unknown stage 'shipping' "
            "(expected one of territory, automation, hold, preorder, routing)",
        ),
        ({"priority": "high"}, "priority: expected an integer, got a string"),
        ({"priority": True}, "priority: expected an integer, got a boolean"),
        ({"enabled": "yes"}, "enabled: expected true or false, got a string"),
        ({"colour": "red"}, "colour: unknown key"),
        ({"id": ""}, "id: expected a non-empty string, got a string"),
    ],
)
def test_rule_field_errors(overrides: dict[str, Any], message: str) -> None:
    assert error_of(rule(**overrides)) == message


def test_every_problem_is_reported_at_once_and_nothing_is_kept() -> None:
    with pytest.raises(RuleValidationError) as excinfo:
        parse_rule(rule(name="", stage="routing", actions=[{"type": "route"}]))

    assert [(e.path, e.message) for e in excinfo.value.errors] == [
        ("name", "required"),
        ("actions[0].connection_id", "required for route"),
    ]


def test_a_rule_must_be_a_mapping() -> None:
    assert error_of(["not", "a", "rule"]) == "expected a rule mapping, got a list"


def test_action_matrix_keeps_destination_choice_in_routing() -> None:
    assert [stage for stage in Stage if ActionType.ROUTE in ALLOWED_ACTIONS[stage]] == [Stage.ROUTING]
    assert [stage for stage in Stage if ActionType.BLOCK in ALLOWED_ACTIONS[stage]] == [Stage.TERRITORY]
    assert [stage for stage in Stage if ActionType.PREORDER in ALLOWED_ACTIONS[stage]] == [Stage.PREORDER]
    assert all(ActionType.STOP in ALLOWED_ACTIONS[stage] for stage in Stage)


YAML_RULES = """
rules:
  - id: territory-1
    name: Embargo
    stage: territory
    conditions:
      field: country
      op: in
      value: [CU, NO, IR]
    actions:
      - type: block
        reason: Embargoed destination
  - id: hold-1
    name: Review window
    stage: hold
    priority: 5
    actions:
      - type: hold
        reason: Edit window
        for_minutes: 90
        business_hours:
          {timezone: America/New_York, days: [mon, tue, wed, thu, fri], start: 09:00, end: 17:30}
  - id: pre-1
    name: Summer drop
    stage: preorder
    actions:
      - {type: preorder, skus: [SUMMER-24, 0042], mode: split, release_at: 2026-06-01T09:00:00Z}
  - id: route-1
    name: West coast
    stage: routing
    stop_on_match: true
    conditions: {field: zip, op: starts_with, value: [90, 91]}
    actions: [{type: route, connection_id: conn-west}, {type: add_tag, tag: West}]
"""


def test_yaml_rules_load_with_yaml_1_2_scalars() -> None:
    rules = load_rules_yaml(YAML_RULES)

    assert [r.id for r in rules] == ["territory-1", "hold-1", "pre-1", "route-1"]
    assert rules[0].conditions == Leaf("country", Operator.IN, ("CU", "NO", "IR"))
    assert rules[1].actions == (
        Hold(
            reason="Edit window",
            for_minutes=90,
            business_hours=BusinessHours(
                timezone="America/New_York",
                days=frozenset({0, 1, 2, 3, 4}),
                start=dt.time(9, 0),
                end=dt.time(17, 30),
            ),
        ),
    )
    assert rules[2].actions == (
        Preorder(
            skus=("SUMMER-24", "0042"),
            mode="split",
            reason="Pre-order",
            release_at=dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC),
        ),
    )
    assert rules[3].conditions == Leaf("zip", Operator.STARTS_WITH, ("90", "91"))
    assert rules[3].actions == (Route(connection_id="conn-west"), AddTag(tag="West"))
    assert rules[3].stop_on_match is True


def test_yaml_accepts_a_bare_list() -> None:
    rules = load_rules_yaml("- {name: Tag all, stage: automation, actions: [{type: add_tag, tag: seen}]}")

    assert rules == [RuleDefinition(name="Tag all", stage=Stage.AUTOMATION, actions=(AddTag(tag="seen"),))]


def test_empty_yaml_is_no_rules() -> None:
    assert load_rules_yaml("") == []
    assert load_rules_yaml("rules: []") == []


def yaml_error(text: str) -> str:
    with pytest.raises(RuleValidationError) as excinfo:
        load_rules_yaml(text)
    return str(excinfo.value)


def test_yaml_errors_name_the_rule_and_the_field() -> None:
    text = """
rules:
  - name: Fine
    stage: automation
    actions: [{type: add_tag, tag: ok}]
  - name: High value
    stage: automation
    conditions:
      all:
        - {field: country, op: eq, value: US}
        - {field: order_value, op: greater, value: 500}
    actions: [{type: hold, reason: Big}]
  - stage: routing
    actions: [{type: route}]
"""

    assert yaml_error(text) == (
        "rules[1].conditions.all[1].op (rule 'High value'): unknown operator 'greater'; "
        "rules[2].name: required; "
        "rules[2].actions[0].connection_id: required for route"
    )


def test_yaml_rejects_duplicate_ids() -> None:
    text = """
- {id: a, name: One, stage: automation, actions: [{type: add_tag, tag: x}]}
- {id: a, name: Two, stage: automation, actions: [{type: add_tag, tag: y}]}
"""

    assert yaml_error(text) == "rules[1].id (rule 'Two'): duplicate id 'a' (also rules[0])"


def test_yaml_syntax_errors_say_where() -> None:
    assert yaml_error("rules:\n  - {name: x\n") == (
        "invalid YAML at line 3, column 1: expected ',' or '}', but got '<stream end>'"
    )


def test_yaml_top_level_shape_is_checked() -> None:
    assert yaml_error("rulez: []") == "rulez: unknown key (expected 'rules')"
    assert yaml_error("rules: 5") == "rules: expected a list of rules, got a number"
    assert yaml_error("rules: [5]") == "rules[0]: expected a rule mapping, got a number"
