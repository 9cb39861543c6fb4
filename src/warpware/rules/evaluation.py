"""What an evaluation produced: a trace of every rule considered, and the decision for the order."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from warpware.rules.actions import Action, MetadataValue, Stage
from warpware.rules.conditions import ConditionResult


class HoldKind(enum.StrEnum):
    MANUAL = "manual"  # a person's hold; the engine never produces it, the service records it
    RULE = "rule"
    INVENTORY = "inventory"
    PREORDER = "preorder"


class Outcome(enum.StrEnum):
    """The headline of a decision, most severe first: a blocked order is not also reported as held."""

    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    HELD = "held"
    ROUTED = "routed"
    UNROUTED = "unrouted"


@dataclass(frozen=True)
class RuleRef:
    id: str | None
    name: str


@dataclass(frozen=True)
class Blocked:
    reason: str
    rule: RuleRef


@dataclass(frozen=True)
class Cancelled:
    reason: str
    rule: RuleRef


@dataclass(frozen=True)
class Held:
    reason: str
    kind: HoldKind
    rule: RuleRef
    hold_until: dt.datetime | None = None
    # Inventory holds: the SKUs short of stock. Pre-order holds: the pre-order SKUs in the order.
    skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class Split:
    """Pre-order lines to move into one held child order; the rest of the order goes on."""

    line_indices: tuple[int, ...]
    skus: tuple[str, ...]
    reason: str
    rule: RuleRef
    hold_until: dt.datetime | None = None


@dataclass(frozen=True)
class Routed:
    connection_id: str
    rule: RuleRef


@dataclass(frozen=True)
class Flagged:
    flag: str
    reason: str
    rule: RuleRef


@dataclass(frozen=True)
class Decision:
    blocked: Blocked | None = None
    cancelled: Cancelled | None = None
    hold: Held | None = None
    split: Split | None = None
    route: Routed | None = None
    tags_to_add: tuple[str, ...] = ()
    service_level: str | None = None
    carrier: str | None = None
    metadata: Mapping[str, MetadataValue] = field(default_factory=lambda: MappingProxyType({}))
    flags: tuple[Flagged, ...] = ()
    # Which rule owns each claimed field (service_level, carrier, route, hold, metadata.<key>).
    claims: Mapping[str, RuleRef] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def outcome(self) -> Outcome:
        if self.blocked is not None:
            return Outcome.BLOCKED
        if self.cancelled is not None:
            return Outcome.CANCELLED
        if self.hold is not None:
            return Outcome.HELD
        return Outcome.ROUTED if self.route is not None else Outcome.UNROUTED


@dataclass(frozen=True)
class ActionResult:
    action: Action
    applied: bool
    detail: str  # what the action does, as the timeline says it: "hold (Order over $500)"
    reason: str | None = None  # why it was not applied

    def describe(self) -> str:
        return self.detail if self.applied else f"{self.detail} (not applied: {self.reason})"


@dataclass(frozen=True)
class RuleTrace:
    rule: RuleRef
    priority: int
    matched: bool
    condition: ConditionResult | None = None  # None when the rule was skipped
    actions: tuple[ActionResult, ...] = ()
    skipped: str | None = None  # why the rule was not evaluated (disabled, stopped, order blocked)


@dataclass(frozen=True)
class StageTrace:
    stage: Stage
    rules: tuple[RuleTrace, ...] = ()
    skipped: str | None = None  # why the whole stage did not run
    notes: tuple[str, ...] = ()


NO_ROUTE_MESSAGE = "No routing rule matched"


@dataclass(frozen=True)
class Evaluation:
    stages: tuple[StageTrace, ...]
    decision: Decision

    def stage(self, stage: Stage) -> StageTrace:
        return next(trace for trace in self.stages if trace.stage is stage)

    def rule(self, name: str) -> RuleTrace:
        """The trace of the rule with this name (tests and the dry-run view look rules up by name)."""
        for stage in self.stages:
            for rule in stage.rules:
                if rule.rule.name == name:
                    return rule
        raise KeyError(name)

    def messages(self) -> list[str]:
        """Timeline lines, one per matched rule and note: "Rule 'High value' matched: hold (Over $500)"."""
        lines: list[str] = []
        for stage in self.stages:
            for rule in stage.rules:
                if rule.matched:
                    actions = "; ".join(result.describe() for result in rule.actions)
                    lines.append(f"Rule '{rule.rule.name}' matched: {actions}")
            lines.extend(stage.notes)
            if stage.stage is Stage.ROUTING and stage.skipped is None and self.decision.route is None:
                lines.append(NO_ROUTE_MESSAGE)
        return lines

    def log(self) -> list[str]:
        """The full evaluation log: every rule considered and why it matched or not."""
        lines: list[str] = []
        for stage in self.stages:
            lines.append(f"[{stage.stage}]" + (f" skipped: {stage.skipped}" if stage.skipped else ""))
            for rule in stage.rules:
                head = f"  rule '{rule.rule.name}' (priority {rule.priority}): "
                if rule.skipped is not None:
                    lines.append(head + f"skipped: {rule.skipped}")
                    continue
                lines.append(head + ("matched" if rule.matched else "no match"))
                if rule.condition is not None:
                    lines.extend(rule.condition.lines(indent=2))
                lines.extend(f"    -> {result.describe()}" for result in rule.actions)
            lines.extend(f"  note: {note}" for note in stage.notes)
        return lines
