"""Pre-order rule operations as plain functions over a session. They never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.errors import BadRequest, Conflict, NotFound, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.kit.pagination import PageRequest
from warpware.pipeline.service import release_order
from warpware.preorders import repository
from warpware.preorders.models import PreorderRule
from warpware.preorders.schemas import PreorderRuleCreate
from warpware.worker import enqueue

STATUSES = (repository.HOLDING, repository.RELEASED)


@dataclass(frozen=True)
class RulePage:
    rules: list[PreorderRule]
    counts: dict[uuid.UUID, tuple[int, int]]
    total: int | None = None
    next_seq: int | None = None


def create(session: Session, principal: Principal, payload: PreorderRuleCreate) -> PreorderRule:
    """Store a holding rule; a release date schedules its release. One holding rule per SKU (409)."""
    now = utcnow()
    if payload.release_date is not None and payload.release_date < now.date():
        raise Unprocessable(f"release_date {payload.release_date.isoformat()} is in the past")
    sku_key = payload.sku.casefold()
    existing = repository.holding_sku(session, principal.account_id, sku_key)
    if existing is not None:
        raise Conflict(
            f"SKU {payload.sku} already has a holding pre-order rule",
            extra={"existing_rule_id": str(existing.id)},
        )
    rule = PreorderRule(
        account_id=principal.account_id,
        sku=payload.sku,
        sku_key=sku_key,
        name=payload.name or payload.sku,
        hold_mode=payload.hold_mode,
        release_date=payload.release_date,
        status=repository.HOLDING,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(rule)
    except IntegrityError:
        # A concurrent request created a holding rule for the same SKU first.
        raise Conflict(f"SKU {payload.sku} already has a holding pre-order rule") from None
    if rule.release_date is not None:
        enqueue(
            session,
            "preorder.release",
            {"rule_id": str(rule.id)},
            run_at=repository.release_moment(rule.release_date),
            dedupe_key=f"preorder.release:{rule.id}",
        )
    return rule


def get(session: Session, principal: Principal, rule_id: str, *, for_update: bool = False) -> PreorderRule:
    """404 for unknown ids and for other accounts' rules alike."""
    parsed = parse_uuid(rule_id)
    rule = repository.get(session, principal.account_id, parsed, for_update=for_update) if parsed else None
    if rule is None:
        raise NotFound(f"Pre-order rule {rule_id} not found")
    return rule


def list_rules(
    session: Session, principal: Principal, paging: PageRequest, *, status: str | None, sku: str | None
) -> RulePage:
    if status is not None and status not in STATUSES:
        raise BadRequest(f"Unknown status {status!r}; valid statuses are {', '.join(STATUSES)}")
    if paging.cursor_mode:
        rules = repository.list_after(
            session,
            principal.account_id,
            status=status,
            sku=sku,
            before_seq=paging.after,
            limit=paging.per_page + 1,
        )
        more = len(rules) > paging.per_page
        rules = rules[: paging.per_page]
        page = RulePage(rules, {}, next_seq=rules[-1].seq if more else None)
    else:
        rules, total = repository.list_page(
            session, principal.account_id, status=status, sku=sku, page=paging.page, per_page=paging.per_page
        )
        page = RulePage(rules, {}, total=total)
    return RulePage(
        page.rules, repository.counts(session, [r.id for r in page.rules]), page.total, page.next_seq
    )


def counts_of(session: Session, rule: PreorderRule) -> tuple[int, int]:
    return repository.counts(session, [rule.id])[rule.id]


def release_rule(session: Session, rule: PreorderRule, *, actor: str) -> int:
    """Mark the rule released and send every order it holds back through the pipeline; how many.

    Idempotent: a released rule holds nothing new, and releasing it again releases what (if anything)
    is still held by it. The caller holds the rule's row lock.
    """
    now = utcnow()
    if rule.status != repository.RELEASED:
        rule.status, rule.released_at, rule.released_by, rule.updated_at = (
            repository.RELEASED,
            now,
            actor,
            now,
        )
    orders = repository.held_orders(session, rule)
    for order in orders:
        # Back to pending and through the rules again; this rule never holds the order again.
        release_order(session, order, actor=actor)
    return len(orders)


def release(session: Session, principal: Principal, rule_id: str, *, actor: str) -> tuple[PreorderRule, int]:
    rule = get(session, principal, rule_id, for_update=True)
    return rule, release_rule(session, rule, actor=actor)


def release_if_due(session: Session, rule_id: uuid.UUID) -> int | None:
    """The scheduled release: None when the rule is gone, already released or not yet due."""
    rule = repository.get_unscoped(session, rule_id, for_update=True)
    if rule is None or rule.status != repository.HOLDING or rule.release_date is None:
        return None
    if repository.release_moment(rule.release_date) > utcnow():
        return None
    return release_rule(session, rule, actor="scheduler")
