"""The rules engine: run an account's rules over one order's facts and decide what happens to it.

Stages run in order territory → automation → hold → preorder → routing. Within a stage, enabled rules
run by priority (lower first), ties by name then id. How the outcome is put together:

- First rule to claim a field wins. `hold`, `service_level`, `carrier`, `route` and each
  `metadata.<key>` belong to the first rule that sets them in this evaluation; a later action on the
  same field is recorded as not applied, naming the owner. Tags and flags add up and claim nothing.
- `release` clears a hold set earlier in this evaluation and gives the field up, so a later stage may
  hold again (an order released from review can still wait for stock).
- Rules see the order as earlier actions left it: a tag added in automation can route the order.
- `stop_on_match` ends the current stage once its rule matches. In routing every rule behaves so:
  the first match wins.
- `stop` ends the current stage and skips every later stage except routing, which still runs so the
  order gets a destination. `stop` inside routing ends routing.
- `block` (territory) and `cancel` end the evaluation at once: the rule's remaining actions and all
  later rules and stages are skipped, because a blocked or cancelled order goes nowhere.
- `skip_hold_rule_ids` lists rules whose hold a person already released for this order: their hold,
  inventory-watch and pre-order actions are not applied; their other actions, and all other rules, are.
- Pre-order `split` actions add up into one child order. If every line ends up a pre-order, nothing is
  split and the whole order is held instead (unless another rule already holds it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from types import MappingProxyType

from warpware.rules.actions import (
    PREORDER_TAG,
    STAGE_ORDER,
    Action,
    AddTag,
    Block,
    Cancel,
    Expedite,
    Flag,
    Hold,
    HoldUntilInStock,
    MetadataValue,
    Preorder,
    Release,
    Route,
    SetCarrier,
    SetMetadata,
    SetServiceLevel,
    Stage,
    Stop,
)
from warpware.rules.business_hours import add_business_minutes
from warpware.rules.conditions import evaluate_condition, show
from warpware.rules.definitions import RuleDefinition
from warpware.rules.evaluation import (
    ActionResult,
    Blocked,
    Cancelled,
    Decision,
    Evaluation,
    Flagged,
    Held,
    HoldKind,
    Routed,
    RuleRef,
    RuleTrace,
    Split,
    StageTrace,
)
from warpware.rules.facts import OrderFacts

RELEASED_BY_PERSON = "hold released by a person for this order"


def evaluate(
    rules: Sequence[RuleDefinition], facts: OrderFacts, *, skip_hold_rule_ids: Collection[str] = ()
) -> Evaluation:
    """Run every stage over `facts` and return the trace and the decision. Pure: no I/O, no clock."""
    run = _Run(facts, frozenset(skip_hold_rule_ids))
    stages: list[StageTrace] = []
    for stage in STAGE_ORDER:
        stage_rules = sorted((rule for rule in rules if rule.stage is stage), key=RuleDefinition.sort_key)
        reason = run.stage_skip_reason(stage)
        if reason is not None:
            traces = tuple(_skipped(rule, reason) for rule in stage_rules)
            stages.append(StageTrace(stage, traces, skipped=reason))
            continue
        traces = tuple(run.run_stage(stage, stage_rules))
        notes = tuple(run.finish_preorders()) if stage is Stage.PREORDER else ()
        stages.append(StageTrace(stage, traces, notes=notes))
    return Evaluation(tuple(stages), run.decision())


def _skipped(rule: RuleDefinition, reason: str) -> RuleTrace:
    return RuleTrace(_ref(rule), rule.priority, matched=False, skipped=reason)


def _ref(rule: RuleDefinition) -> RuleRef:
    return RuleRef(rule.id, rule.name)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Halt(Exception):
    """Raised inside a stage when `stop`, `stop_on_match`, block or cancel ends it."""


class _Run:
    """The mutable state of one evaluation; `decision()` freezes it."""

    def __init__(self, facts: OrderFacts, skip_hold_rule_ids: frozenset[str]) -> None:
        self.facts = facts
        self.skip_hold_rule_ids = skip_hold_rule_ids
        self.claims: dict[str, RuleRef] = {}
        self.blocked: Blocked | None = None
        self.cancelled: Cancelled | None = None
        self.hold: Held | None = None
        self.route: Routed | None = None
        self.split_lines: dict[int, str] = {}
        self.split_first: tuple[RuleRef, Preorder] | None = None
        self.tags: list[str] = []
        self.metadata: dict[str, MetadataValue] = {}
        self.flags: list[Flagged] = []
        self.stopped_by: RuleRef | None = None
        self.stage_halted_by: str | None = None

    # --- stages ---------------------------------------------------------------------------------------

    def ended(self) -> str | None:
        if self.blocked is not None:
            return f"order blocked by rule '{self.blocked.rule.name}'"
        if self.cancelled is not None:
            return f"order cancelled by rule '{self.cancelled.rule.name}'"
        return None

    def stage_skip_reason(self, stage: Stage) -> str | None:
        ended = self.ended()
        if ended is not None:
            return ended
        if self.stopped_by is not None and stage is not Stage.ROUTING:
            return f"stopped by rule '{self.stopped_by.name}'"
        return None

    def run_stage(self, stage: Stage, rules: list[RuleDefinition]) -> list[RuleTrace]:
        self.stage_halted_by = None
        traces: list[RuleTrace] = []
        for rule in rules:
            if self.stage_halted_by is not None:
                traces.append(_skipped(rule, self.stage_halted_by))
            elif not rule.enabled:
                traces.append(_skipped(rule, "disabled"))
            else:
                traces.append(self.run_rule(stage, rule))
        return traces

    def run_rule(self, stage: Stage, rule: RuleDefinition) -> RuleTrace:
        ref = _ref(rule)
        condition = evaluate_condition(rule.conditions, self.facts)
        if not condition.matched:
            return RuleTrace(ref, rule.priority, matched=False, condition=condition)
        results: list[ActionResult] = []
        for action in rule.actions:
            ended = self.ended()
            if ended is not None:
                results.append(ActionResult(action, False, _describe(action), ended))
                continue
            results.append(self.apply(action, rule, ref))
        if self.ended() is not None:
            self.stage_halted_by = self.ended()
        elif self.stage_halted_by is None and (rule.stop_on_match or stage is Stage.ROUTING):
            self.stage_halted_by = f"rule '{rule.name}' matched first (stop on match)"
        return RuleTrace(ref, rule.priority, matched=True, condition=condition, actions=tuple(results))

    # --- actions --------------------------------------------------------------------------------------

    def apply(self, action: Action, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        match action:
            case Block():
                return self._do_block(action, rule, ref)
            case Cancel():
                return self._do_cancel(action, rule, ref)
            case Hold():
                return self._do_hold(action, rule, ref)
            case HoldUntilInStock():
                return self._do_hold_until_in_stock(action, rule, ref)
            case Release():
                return self._do_release(action, rule, ref)
            case Expedite():
                return self._do_expedite(action, rule, ref)
            case SetServiceLevel():
                return self._do_set_service_level(action, rule, ref)
            case SetCarrier():
                return self._do_set_carrier(action, rule, ref)
            case Route():
                return self._do_route(action, rule, ref)
            case SetMetadata():
                return self._do_set_metadata(action, rule, ref)
            case AddTag():
                return self._do_add_tag(action, rule, ref)
            case Flag():
                return self._do_flag(action, rule, ref)
            case Stop():
                return self._do_stop(action, rule, ref)
            case Preorder():
                return self._do_preorder(action, rule, ref)

    def _claimed(self, field: str) -> str | None:
        owner = self.claims.get(field)
        return None if owner is None else f"{field} already set by rule '{owner.name}'"

    def _hold_blocked(self, rule: RuleDefinition) -> str | None:
        if rule.id is not None and rule.id in self.skip_hold_rule_ids:
            return RELEASED_BY_PERSON
        return self._claimed("hold")

    def _set_hold(self, held: Held) -> None:
        self.hold = held
        self.claims["hold"] = held.rule

    def _do_block(self, action: Block, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        self.blocked = Blocked(action.reason, ref)
        return ActionResult(action, True, _describe(action))

    def _do_cancel(self, action: Cancel, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        self.cancelled = Cancelled(action.reason, ref)
        return ActionResult(action, True, _describe(action))

    def _do_hold(self, action: Hold, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        until: dt.datetime | None = None
        if action.for_minutes is not None:
            if action.business_hours is not None:
                until = add_business_minutes(self.facts.now, action.for_minutes, action.business_hours)
            else:
                until = (self.facts.now + dt.timedelta(minutes=action.for_minutes)).astimezone(dt.UTC)
        detail = _describe(action) + (f" until {_timestamp(until)}" if until is not None else "")
        blocked = self._hold_blocked(rule)
        if blocked is not None:
            return ActionResult(action, False, detail, blocked)
        self._set_hold(Held(action.reason, HoldKind.RULE, ref, until))
        return ActionResult(action, True, detail)

    def _do_hold_until_in_stock(
        self, action: HoldUntilInStock, rule: RuleDefinition, ref: RuleRef
    ) -> ActionResult:
        short = self.facts.short_skus(action.skus or None)
        waiting = ", ".join(f"{sku} (need {needed}, have {available})" for sku, needed, available in short)
        reason = f"{action.reason}: {waiting}" if short else action.reason
        detail = f"hold until in stock ({reason})"
        blocked = self._hold_blocked(rule)
        if blocked is not None:
            return ActionResult(action, False, detail, blocked)
        if not short:
            return ActionResult(action, False, detail, "no SKU is short of stock")
        self._set_hold(Held(reason, HoldKind.INVENTORY, ref, None, tuple(sku for sku, _, _ in short)))
        return ActionResult(action, True, detail)

    def _do_release(self, action: Release, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        if self.hold is None:
            return ActionResult(action, False, _describe(action), "no hold to release")
        detail = f"release hold by rule '{self.hold.rule.name}' ({self.hold.reason})"
        self.hold = None
        del self.claims["hold"]
        return ActionResult(action, True, detail)

    def _do_expedite(self, action: Expedite, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        claimed = self._claimed("service_level")
        if claimed is not None:
            return ActionResult(action, False, _describe(action), claimed)
        self._set_service_level(action.service_level, ref)
        self._add_tag(action.tag)
        return ActionResult(action, True, _describe(action))

    def _do_set_service_level(
        self, action: SetServiceLevel, rule: RuleDefinition, ref: RuleRef
    ) -> ActionResult:
        claimed = self._claimed("service_level")
        if claimed is not None:
            return ActionResult(action, False, _describe(action), claimed)
        self._set_service_level(action.service_level, ref)
        return ActionResult(action, True, _describe(action))

    def _set_service_level(self, value: str, ref: RuleRef) -> None:
        self.claims["service_level"] = ref
        self.facts = dataclasses.replace(self.facts, service_level=value)

    def _do_set_carrier(self, action: SetCarrier, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        claimed = self._claimed("carrier")
        if claimed is not None:
            return ActionResult(action, False, _describe(action), claimed)
        self.claims["carrier"] = ref
        self.facts = dataclasses.replace(self.facts, carrier=action.carrier)
        return ActionResult(action, True, _describe(action))

    def _do_route(self, action: Route, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        claimed = self._claimed("route")
        if claimed is not None:
            return ActionResult(action, False, _describe(action), claimed)
        self.claims["route"] = ref
        self.route = Routed(action.connection_id, ref)
        return ActionResult(action, True, _describe(action))

    def _do_set_metadata(self, action: SetMetadata, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        field = f"metadata.{action.key}"
        claimed = self._claimed(field)
        if claimed is not None:
            return ActionResult(action, False, _describe(action), claimed)
        self.claims[field] = ref
        self.metadata[action.key] = action.value
        merged = {**self.facts.metadata, action.key: action.value}
        self.facts = dataclasses.replace(self.facts, metadata=MappingProxyType(merged))
        return ActionResult(action, True, _describe(action))

    def _do_add_tag(self, action: AddTag, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        if not self._add_tag(action.tag):
            return ActionResult(action, False, _describe(action), "order already has this tag")
        return ActionResult(action, True, _describe(action))

    def _add_tag(self, tag: str) -> bool:
        if any(existing.casefold() == tag.casefold() for existing in self.facts.tags):
            return False
        self.tags.append(tag)
        self.facts = dataclasses.replace(self.facts, tags=(*self.facts.tags, tag))
        return True

    def _do_flag(self, action: Flag, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        if any(flag.flag.casefold() == action.flag.casefold() for flag in self.flags):
            return ActionResult(action, False, _describe(action), "order already has this flag")
        self.flags.append(Flagged(action.flag, action.reason, ref))
        return ActionResult(action, True, _describe(action))

    def _do_stop(self, action: Stop, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        self.stopped_by = ref
        self.stage_halted_by = f"stopped by rule '{rule.name}'"
        return ActionResult(action, True, _describe(action))

    def _do_preorder(self, action: Preorder, rule: RuleDefinition, ref: RuleRef) -> ActionResult:
        wanted = {sku.casefold() for sku in action.skus}
        lines = [line for line in self.facts.lines if line.sku.casefold() in wanted]
        skus = tuple(dict.fromkeys(line.sku for line in lines))
        detail = _describe(action, skus or action.skus)
        if action.release_at is not None:
            detail += f" until {_timestamp(action.release_at)}"
        if not lines:
            return ActionResult(action, False, detail, "no pre-order SKU in the order")
        if rule.id is not None and rule.id in self.skip_hold_rule_ids:
            return ActionResult(action, False, detail, RELEASED_BY_PERSON)
        if action.mode == "hold_entire":
            claimed = self._claimed("hold")
            if claimed is not None:
                return ActionResult(action, False, detail, claimed)
            self._set_hold(Held(action.reason, HoldKind.PREORDER, ref, action.release_at, skus))
        else:
            for line in lines:
                self.split_lines[line.index] = line.sku
            if self.split_first is None:
                self.split_first = (ref, action)
        self._add_tag(PREORDER_TAG)
        return ActionResult(action, True, detail)

    def finish_preorders(self) -> list[str]:
        """Turn a split that would take every line into a hold of the whole order."""
        if self.split_first is None or len(self.split_lines) < len(self.facts.lines):
            return []
        ref, action = self.split_first
        self.split_lines.clear()
        self.split_first = None
        owner = self.claims.get("hold")
        if owner is not None:
            return [
                f"Every line is a pre-order: nothing to split, the order stays held by rule '{owner.name}'"
            ]
        skus = tuple(dict.fromkeys(line.sku for line in self.facts.lines))
        self._set_hold(Held(action.reason, HoldKind.PREORDER, ref, action.release_at, skus))
        return [f"Every line is a pre-order: the whole order is held by rule '{ref.name}' instead of split"]

    # --- result ---------------------------------------------------------------------------------------

    def decision(self) -> Decision:
        split = None
        if self.split_first is not None and self.split_lines:
            ref, action = self.split_first
            indices = tuple(sorted(self.split_lines))
            skus = tuple(dict.fromkeys(self.split_lines[index] for index in indices))
            split = Split(indices, skus, action.reason, ref, action.release_at)
        changed = {"service_level", "carrier"}.intersection(self.claims)
        return Decision(
            blocked=self.blocked,
            cancelled=self.cancelled,
            hold=self.hold,
            split=split,
            route=self.route,
            tags_to_add=tuple(self.tags),
            service_level=self.facts.service_level if "service_level" in changed else None,
            carrier=self.facts.carrier if "carrier" in changed else None,
            metadata=MappingProxyType(dict(self.metadata)),
            flags=tuple(self.flags),
            claims=MappingProxyType(dict(self.claims)),
        )


def _describe(action: Action, skus: tuple[str, ...] = ()) -> str:
    """How an action reads on the timeline."""
    match action:
        case Block(reason=reason):
            return f"block ({reason})"
        case Hold(reason=reason):
            return f"hold ({reason})"
        case HoldUntilInStock(reason=reason):
            return f"hold until in stock ({reason})"
        case Release():
            return "release hold"
        case Cancel(reason=reason):
            return f"cancel ({reason})"
        case Expedite(service_level=level, tag=tag):
            return f"expedite (service level {show(level)}, tag {show(tag)})"
        case SetServiceLevel(service_level=level):
            return f"set service level {show(level)}"
        case SetCarrier(carrier=carrier):
            return f"set carrier {show(carrier)}"
        case Preorder(mode=mode):
            verb = "split to a held child order" if mode == "split" else "hold entire order"
            return f"pre-order {verb} ({', '.join(skus or action.skus)})"
        case Route(connection_id=connection_id):
            return f"route to {connection_id}"
        case AddTag(tag=tag):
            return f"add tag {show(tag)}"
        case Flag(flag=flag, reason=reason):
            return f"flag {show(flag)}" + (f" ({reason})" if reason else "")
        case SetMetadata(key=key, value=value):
            return f"set metadata {show(key)} = {show(value)}"
        case Stop():
            return "stop"
