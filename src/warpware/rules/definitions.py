"""Rule definitions: the validated, immutable form of a rule, parsed from JSON-like data or YAML.

Parsing is all-or-nothing: a definition with any problem raises `RuleValidationError` listing every
problem with its field path (`conditions.all[1].op: unknown operator 'greater'`), and nothing is kept.
Definitions are checked by hand rather than by a pydantic model so that the paths and messages read the
way the rule builder shows them, whatever the nesting.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import yaml

from warpware.rules.actions import STAGE_ALIASES, Action, ActionType, Stage, parse_action
from warpware.rules.conditions import Condition, parse_condition
from warpware.rules.validation import (
    ErrorCollector,
    FieldError,
    RuleValidationError,
    describe_type,
    join_path,
)

DEFAULT_PRIORITY = 100
_MAX_NAME = 200
_PRIORITY_LIMIT = 1_000_000
_RULE_KEYS = frozenset(
    {"id", "name", "description", "stage", "priority", "enabled", "stop_on_match", "conditions", "actions"}
)


@dataclass(frozen=True)
class RuleDefinition:
    name: str
    stage: Stage
    actions: tuple[Action, ...]
    conditions: Condition | None = None
    id: str | None = None
    priority: int = DEFAULT_PRIORITY
    enabled: bool = True
    stop_on_match: bool = False
    description: str = ""

    def sort_key(self) -> tuple[int, str, str]:
        """Lower priority runs first; ties go by name, then id, so the order never depends on storage."""
        return (self.priority, self.name.casefold(), self.id or "")


def parse_rule(data: Any) -> RuleDefinition:
    """Validate one rule definition (a mapping as it arrives in JSON) or raise `RuleValidationError`."""
    errors = ErrorCollector()
    rule = _parse_rule(data, errors)
    errors.raise_if_any()
    assert rule is not None
    return rule


def parse_rules(items: Any) -> list[RuleDefinition]:
    """Validate a list of rules; errors name the rule by index and name. Ids must be unique."""
    if not isinstance(items, list):
        raise RuleValidationError(
            [FieldError("rules", f"expected a list of rules, got {describe_type(items)}")]
        )
    problems: list[FieldError] = []
    rules: list[RuleDefinition] = []
    first_index_of_id: dict[str, int] = {}
    for index, item in enumerate(items):
        errors = ErrorCollector()
        rule = _parse_rule(item, errors)
        name = item.get("name") if isinstance(item, dict) else None
        label = name.strip() if isinstance(name, str) and name.strip() else None
        base = f"rules[{index}]"
        for error in errors.errors:
            path = f"{base}.{error.path}" if error.path else base
            problems.append(FieldError(path, error.message, rule_name=label))
        if rule is None:
            continue
        if rule.id is not None:
            if rule.id in first_index_of_id:
                problems.append(
                    FieldError(
                        f"{base}.id",
                        f"duplicate id '{rule.id}' (also rules[{first_index_of_id[rule.id]}])",
                        rule_name=label,
                    )
                )
            first_index_of_id.setdefault(rule.id, index)
        rules.append(rule)
    if problems:
        raise RuleValidationError(problems)
    return rules


def yaml_rule_items(text: str) -> list[Any]:
    """The raw rule mappings of a YAML rules file (a list, or a mapping with a `rules` list).

    YAML 1.1 turns `NO` (Norway) into false and `17:30` into 1050; this loader keeps both as text and
    only reads `true`/`false` as booleans and plain decimal numbers as numbers.
    """
    try:
        document = yaml.load(text, Loader=_RulesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleValidationError([FieldError("", f"invalid YAML{where}: {problem}")]) from None
    if document is None:
        return []
    if isinstance(document, dict):
        unknown = [key for key in document if key != "rules"]
        if unknown:
            raise RuleValidationError(
                [FieldError(str(key), "unknown key (expected 'rules')") for key in unknown]
            )
        document = document.get("rules") or []
    if not isinstance(document, list):
        return document  # type: ignore[no-any-return]  # parse_rules names the problem
    return document


def load_rules_yaml(text: str) -> list[RuleDefinition]:
    """Parse and validate rules from YAML (see yaml_rule_items for the accepted shapes)."""
    return parse_rules(yaml_rule_items(text))


def _parse_rule(data: Any, errors: ErrorCollector) -> RuleDefinition | None:
    if not isinstance(data, dict):
        errors.add("", f"expected a rule mapping, got {describe_type(data)}")
        return None
    before = len(errors.errors)
    for key in data:
        if key not in _RULE_KEYS:
            errors.add(str(key), "unknown key")
    rule_id = _parse_id(data.get("id"), errors)
    name = _parse_text(data.get("name"), "name", errors, required=True, limit=_MAX_NAME)
    description = _parse_text(data.get("description"), "description", errors, required=False, limit=2000)
    stage = _parse_stage(data.get("stage"), errors)
    priority = _parse_priority(data.get("priority", DEFAULT_PRIORITY), errors)
    enabled = _parse_bool(data.get("enabled", True), "enabled", errors)
    stop_on_match = _parse_bool(data.get("stop_on_match", False), "stop_on_match", errors)
    conditions = parse_condition(data.get("conditions"), "conditions", errors)
    actions = _parse_actions(data.get("actions"), stage, errors)
    if len(errors.errors) > before or stage is None:
        return None
    return RuleDefinition(
        name=name,
        stage=stage,
        actions=actions,
        conditions=conditions,
        id=rule_id,
        priority=priority,
        enabled=enabled,
        stop_on_match=stop_on_match,
        description=description,
    )


def _parse_id(raw: Any, errors: ErrorCollector) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, uuid.UUID) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return str(raw)
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    errors.add("id", f"expected a non-empty string, got {describe_type(raw)}")
    return None


def _parse_text(raw: Any, key: str, errors: ErrorCollector, *, required: bool, limit: int) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.add(key, "required")
        return ""
    if not isinstance(raw, str):
        errors.add(key, f"expected a string, got {describe_type(raw)}")
        return ""
    if len(raw.strip()) > limit:
        errors.add(key, f"longer than {limit} characters")
    return raw.strip()


def _parse_stage(raw: Any, errors: ErrorCollector) -> Stage | None:
    if raw is None:
        errors.add("stage", "required")
        return None
    if isinstance(raw, str):
        token = raw.strip().lower()
        if token in STAGE_ALIASES:
            return STAGE_ALIASES[token]
        if token in set(Stage):
            return Stage(token)
    expected = ", ".join(Stage)
    errors.add("stage", f"unknown stage '{raw}' (expected one of {expected})")
    return None


def _parse_priority(raw: Any, errors: ErrorCollector) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        errors.add("priority", f"expected an integer, got {describe_type(raw)}")
        return DEFAULT_PRIORITY
    if abs(raw) > _PRIORITY_LIMIT:
        errors.add("priority", f"must be between -{_PRIORITY_LIMIT} and {_PRIORITY_LIMIT}")
    return raw


def _parse_bool(raw: Any, key: str, errors: ErrorCollector) -> bool:
    if not isinstance(raw, bool):
        errors.add(key, f"expected true or false, got {describe_type(raw)}")
        return False
    return raw


def _parse_actions(raw: Any, stage: Stage | None, errors: ErrorCollector) -> tuple[Action, ...]:
    if raw is None or raw == []:
        errors.add("actions", "at least one action is required")
        return ()
    if not isinstance(raw, list):
        errors.add("actions", f"expected a list of actions, got {describe_type(raw)}")
        return ()
    parsed = [
        parse_action(item, join_path("actions", index), stage, errors) for index, item in enumerate(raw)
    ]
    actions = tuple(action for action in parsed if action is not None)
    if stage is Stage.ROUTING and len(actions) == len(parsed):
        routes = sum(1 for action in actions if action.type is ActionType.ROUTE)
        if routes != 1:
            errors.add("actions", f"a routing rule needs exactly one route action, found {routes}")
    return actions


class _RulesLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars: no yes/no/on/off booleans, no base-60 or octal numbers."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RulesLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_RulesLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_RulesLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+)$"),
    list("-+0123456789"),
)


def _construct_timestamp_as_text(loader: _RulesLoader, node: yaml.ScalarNode) -> Any:
    # Kept as the text written, so a date without a time zone is reported as such by the field's parser
    # rather than silently read as UTC.
    return loader.construct_scalar(node)


_RulesLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
