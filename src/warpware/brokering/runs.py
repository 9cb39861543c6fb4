"""A brokering run: approve, release parked orders, then plan and place the queued orders in batches.

Each batch is one transaction: lock the next pending orders of the run's queues (SKIP LOCKED, so a
concurrent run takes others), read the client's stock at the brokering locations, plan with a Ledger,
and for each routed plan commit the units with guarded UPDATEs (`repository.commit_units`). A guard
that changes nothing means another run took the stock since it was read: the units this order did
commit are given back and it is planned again from fresh levels (up to three times, then it waits
for the next run). A deadlock between two runs' batches (PostgreSQL) rolls the batch back and it is
run again. Routed orders go through `pipeline.evaluation.route`, which queues their dispatch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from warpware.brokering import repository, splits
from warpware.brokering.domain import PARKED_QUEUES, PLANNED_QUEUES, Queue, day_start
from warpware.brokering.engine import Candidate, Ledger, LineDemand, OrderDemand, Plan, Policy, plan_order
from warpware.brokering.intake import Approval, after_approval, check_approval, event, move
from warpware.brokering.models import BrokeringRun, BrokeringSettings, OrderBrokering
from warpware.brokering.service import policy_of
from warpware.connections.models import Connection
from warpware.db import Database
from warpware.inventory.commitments import ALREADY_COMMITTED
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders.models import Order, OrderLine
from warpware.products.models import scope_key

COMPONENT = "BrokeringRun"
REPLAN_ATTEMPTS = 3
BATCH_ATTEMPTS = 5


@dataclass
class Counts:
    considered: set[uuid.UUID] = field(default_factory=set)
    approved: int = 0
    approval_failed: int = 0
    released: int = 0
    routed: int = 0
    split: int = 0
    to_unfillable: int = 0
    to_preorder: int = 0
    to_backorder: int = 0
    replanned: int = 0

    def add(self, other: Counts) -> None:
        self.considered |= other.considered
        for name in (
            "approved",
            "approval_failed",
            "released",
            "routed",
            "split",
            "to_unfillable",
            "to_preorder",
            "to_backorder",
            "replanned",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Context:
    """What a batch needs about the account: its policy and where it can route."""

    account_id: uuid.UUID
    settings: BrokeringSettings
    policy: Policy
    sites: dict[str, repository.Site]
    connections: dict[uuid.UUID, Connection]
    used: dict[str, int]
    run_id: uuid.UUID
    now: dt.datetime
    # Commitment rows of the batch's routed orders, written in one statement at the end of the batch.
    commitments: list[dict[str, Any]] = field(default_factory=list)


def start(
    session: Session,
    account_id: uuid.UUID,
    *,
    trigger: str,
    queues: Sequence[str] | None,
    requested_by: str | None,
) -> BrokeringRun:
    run = BrokeringRun(
        account_id=account_id,
        trigger=trigger,
        requested_by=requested_by,
        queues=list(queues or [q.value for q in (*PLANNED_QUEUES, *PARKED_QUEUES)]),
        status="queued",
        created_at=utcnow(),
    )
    repository.add(session, run)
    session.flush()
    return run


def execute(database: Database, run_id: uuid.UUID) -> Counts | None:
    """Run it (all but the final bookkeeping, which the caller's job transaction records with `finish`)."""
    with database.writing() as session:
        run = repository.get_run_unscoped(session, run_id)
        if run is None or run.status in ("finished", "failed"):
            return None
        settings = repository.settings_for(session, run.account_id)
        run.status, run.started_at = "running", run.started_at or utcnow()
        account_id, queues = run.account_id, list(run.queues)
    counts = Counts()
    if settings is None:
        return counts
    _phase(database, account_id, run_id, _approval_batch, counts, queues=queues)
    if any(q in queues for q in PARKED_QUEUES):
        _phase(
            database,
            account_id,
            run_id,
            _release_batch,
            counts,
            queues=[q for q in queues if q in PARKED_QUEUES],
        )
    planned = [q for q in queues if q in PLANNED_QUEUES or q == Queue.BROKERING.value]
    if any(q in queues for q in PARKED_QUEUES) and Queue.BROKERING.value not in planned:
        planned.append(Queue.BROKERING.value)  # released orders are brokered in the same run
    _phase(database, account_id, run_id, _plan_batch, counts, queues=planned)
    return counts


def finish(session: Session, run_id: uuid.UUID, counts: Counts | None, *, error: str | None = None) -> None:
    run = repository.get_run_unscoped(session, run_id)
    if run is None or run.status in ("finished", "failed"):
        return
    now = utcnow()
    run.finished_at = now
    run.status = "failed" if error else "finished"
    run.error = error
    started = run.started_at or now
    run.duration_ms = int((now - started).total_seconds() * 1000)
    if counts is not None:
        run.considered = len(counts.considered)
        for name in (
            "approved",
            "approval_failed",
            "released",
            "routed",
            "split",
            "to_unfillable",
            "to_preorder",
            "to_backorder",
            "replanned",
        ):
            setattr(run, name, getattr(counts, name))


def _context(session: Session, account_id: uuid.UUID, run_id: uuid.UUID) -> Context | None:
    settings = repository.settings_for(session, account_id)
    if settings is None:
        return None
    now = utcnow()
    sites = {str(s.location_id): s for s in repository.brokering_sites(session, account_id)}
    connections = (
        {
            c.id: c
            for c in session.scalars(
                select(Connection).where(Connection.id.in_([s.connection_id for s in sites.values()]))
            )
        }
        if sites
        else {}
    )
    used = repository.used_capacity(
        session, [s.location_id for s in sites.values()], day_start(now, settings.timezone)
    )
    return Context(
        account_id,
        settings,
        policy_of(settings),
        sites,
        connections,
        {loc: used.get(site.location_id, 0) for loc, site in sites.items()},
        run_id,
        now,
    )


def _phase(
    database: Database,
    account_id: uuid.UUID,
    run_id: uuid.UUID,
    batch_fn: object,
    counts: Counts,
    *,
    queues: list[str],
) -> None:
    """Call `batch_fn` batch after batch (each its own transaction) until it reports no more work."""
    after = 0
    while True:
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            batch = Counts()
            try:
                # No autoflush: thousands of small queries would each flush the batch's pending rows
                # first. Queries that need those rows flush explicitly (hooks, splits); the guarded
                # stock UPDATEs and commitment rows are Core statements, visible at once.
                with database.writing() as session, session.no_autoflush:
                    context = _context(session, account_id, run_id)
                    if context is None:
                        return
                    next_after = batch_fn(session, context, queues, after, batch)  # type: ignore[operator]
                break
            except OperationalError as exc:
                # Two runs' batches deadlocked on the same stock rows: this one was rolled back; again.
                if attempt == BATCH_ATTEMPTS or "deadlock" not in str(exc).lower():
                    raise
        counts.add(batch)
        if next_after is None:
            return
        after = next_after


def _approval_batch(
    session: Session, ctx: Context, queues: list[str], after: int, counts: Counts
) -> int | None:
    rows = session.execute(
        select(Order, OrderBrokering)
        .join(OrderBrokering, OrderBrokering.order_id == Order.id)
        .where(
            Order.account_id == ctx.account_id,
            Order.brokering_queue.in_(queues),
            Order.status == "pending",
            OrderBrokering.approved_at.is_(None),
            Order.seq > after,
        )
        .order_by(Order.seq)
        .limit(ctx.settings.batch_size)
        .with_for_update(skip_locked=True, of=Order)
    ).all()
    for order, state in rows:
        counts.considered.add(order.id)
        if check_approval(session, order, state, ctx.settings, now=ctx.now) is Approval.APPROVED:
            counts.approved += 1
            after_approval(session, order, state, now=ctx.now)
            if order.brokering_queue == Queue.PREORDER.value:
                counts.to_preorder += 1
            elif order.brokering_queue == Queue.BACKORDER.value:
                counts.to_backorder += 1
        else:
            counts.approval_failed += 1
    return rows[-1][0].seq if len(rows) == ctx.settings.batch_size else None


def _release_batch(
    session: Session, ctx: Context, queues: list[str], after: int, counts: Counts
) -> int | None:
    """Parked pre-orders and backorders go to the brokering queue once their promise date has come or
    the stock to fill them is available at the brokering locations."""
    orders = repository.queued_batch(
        session, ctx.account_id, queues, after_seq=after, limit=ctx.settings.batch_size
    )
    states = repository.states_for(session, [o.id for o in orders])
    lines = orders_repository.lines_for(session, [o.id for o in orders])
    for order in orders:
        state = states.get(order.id)
        counts.considered.add(order.id)
        if state is None or state.approved_at is None:
            continue
        reason = None
        if state.promise_date is not None and state.promise_date <= ctx.now:
            reason = f"promise date {state.promise_date.date().isoformat()} has come"
        else:
            candidates = _candidates(session, ctx, order, lines[order.id])
            plan = plan_order(_demand(order, state, lines[order.id]), candidates, ctx.policy)
            if plan.routed:
                reason = "inventory to fill it has arrived"
        if reason is not None:
            move(
                session,
                order,
                Queue.BROKERING,
                f"released from {order.brokering_queue} parking: {reason}",
                ctx.now,
            )
            counts.released += 1
    return orders[-1].seq if len(orders) == ctx.settings.batch_size else None


def _demand(order: Order, state: OrderBrokering, lines: list[OrderLine]) -> OrderDemand:
    address = order.shipping_address or {}
    return OrderDemand(
        order_id=str(order.id),
        lines=tuple(LineDemand(str(line.id), line.sku, line.quantity) for line in lines),
        ship_to_zip=address.get("zip"),
        ship_to_country=address.get("country") or "US",
        excluded_location_ids=frozenset(state.excluded_location_ids or ()),
    )


def _candidates(
    session: Session, ctx: Context, order: Order, lines: list[OrderLine], skus: set[str] | None = None
) -> list[Candidate]:
    wanted = skus if skus is not None else {line.sku for line in lines}
    levels = repository.levels(
        session,
        ctx.account_id,
        scope_key(order.sub_client_id),
        [s.location_id for s in ctx.sites.values()],
        wanted,
    )
    return _build_candidates(ctx, levels)


def _build_candidates(ctx: Context, levels: dict[tuple[uuid.UUID, str], tuple[int, int]]) -> list[Candidate]:
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for (location_id, sku), (_seq, available) in levels.items():
        stock[location_id][sku] = available
    return [
        Candidate(
            location_id=key,
            zip=site.zip,
            priority=site.priority,
            daily_capacity=site.daily_capacity,
            used_capacity=ctx.used.get(key, 0),
            available=stock.get(site.location_id, {}),
            safety_stock=site.safety_stock or 0,
            name=site.name,
        )
        for key, site in ctx.sites.items()
    ]


def _plan_batch(session: Session, ctx: Context, queues: list[str], after: int, counts: Counts) -> int | None:
    orders = repository.queued_batch(
        session, ctx.account_id, queues, after_seq=after, limit=ctx.settings.batch_size
    )
    if not orders:
        return None
    states = repository.states_for(session, [o.id for o in orders])
    lines = orders_repository.lines_for(session, [o.id for o in orders])
    by_scope: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        state = states.get(order.id)
        if state is not None and state.approved_at is not None:
            by_scope[scope_key(order.sub_client_id)].append(order)
    for scope, group in by_scope.items():
        skus = {line.sku for order in group for line in lines[order.id]}
        levels = repository.levels(
            session, ctx.account_id, scope, [s.location_id for s in ctx.sites.values()], skus, lock=True
        )
        ledger = Ledger(_build_candidates(ctx, levels))
        for order in group:
            counts.considered.add(order.id)
            state = states[order.id]
            demand = _demand(order, state, lines[order.id])
            plan = ledger.plan(demand, ctx.policy)
            for _attempt in range(REPLAN_ATTEMPTS):
                if _place(session, ctx, order, state, lines[order.id], plan, levels, counts):
                    break
                counts.replanned += 1
                levels = {
                    **levels,
                    **repository.levels(
                        session,
                        ctx.account_id,
                        scope,
                        [s.location_id for s in ctx.sites.values()],
                        {line.sku for line in lines[order.id]},
                    ),
                }
                plan = plan_order(demand, _build_candidates(ctx, levels), ctx.policy)
    repository.add_commitments(session, ctx.commitments)
    ctx.commitments.clear()
    return orders[-1].seq if len(orders) == ctx.settings.batch_size else None


def _place(
    session: Session,
    ctx: Context,
    order: Order,
    state: OrderBrokering,
    lines: list[OrderLine],
    plan: Plan,
    levels: dict[tuple[uuid.UUID, str], tuple[int, int]],
    counts: Counts,
) -> bool:
    """Carry a plan out. False: a guarded commit found the stock gone (nothing of this order stays)."""
    if not plan.routed:
        _unfillable(session, ctx, order, state, plan, counts)
        return True
    by_line = {str(line.id): line for line in lines}
    commits: list[list[tuple[int, str, int]]] = []  # per shipment: (level seq, sku, quantity)
    for shipment in plan.shipments:
        wanted: dict[str, int] = defaultdict(int)
        for line_id, quantity in shipment.lines:
            wanted[by_line[line_id].sku] += quantity
        site = ctx.sites[shipment.location_id]
        commits.append(
            [
                (levels[(site.location_id, sku)][0], sku, qty)
                for sku, qty in sorted(wanted.items())
                if (site.location_id, sku) in levels
            ]
        )
    done: list[tuple[int, int]] = []
    for shipment, shipment_commits in zip(plan.shipments, commits, strict=True):
        reserve = (ctx.sites[shipment.location_id].safety_stock or 0) + ctx.policy.safety_stock
        for level_seq, _sku, quantity in shipment_commits:
            if not repository.commit_units(session, level_seq, quantity, reserve, ctx.now):
                for seq, qty in done:
                    repository.uncommit_units(session, seq, qty, ctx.now)
                return False
            done.append((level_seq, quantity))
    if len(plan.shipments) == 1:
        shipment = plan.shipments[0]
        _route(session, ctx, order, state, shipment.location_id, commits[0], plan.reason)
    else:
        _split(session, ctx, order, state, plan, commits, by_line)
        counts.split += 1
    counts.routed += 1
    return True


def _record_commitments(
    session: Session,
    ctx: Context,
    order_id: uuid.UUID,
    location_id: uuid.UUID,
    commits: list[tuple[int, str, int]],
) -> None:
    # The units are committed already (guarded UPDATEs); tell the routing status hook not to commit again.
    session.info.setdefault(ALREADY_COMMITTED, set()).add(order_id)
    ctx.commitments.extend(
        [
            {
                "account_id": ctx.account_id,
                "order_id": order_id,
                "level_seq": seq,
                "location_id": location_id,
                "sku": sku,
                "quantity": qty,
                "status": "committed",
                "created_at": ctx.now,
                "updated_at": ctx.now,
            }
            for seq, sku, qty in commits
        ]
    )


def _route(
    session: Session,
    ctx: Context,
    order: Order,
    state: OrderBrokering,
    location_key: str,
    commits: list[tuple[int, str, int]],
    reason: str,
) -> None:
    from warpware.pipeline.evaluation import route  # the pipeline imports brokering

    site = ctx.sites[location_key]
    # Our rows first: the status hook then finds the order's units committed here and leaves them.
    _record_commitments(session, ctx, order.id, site.location_id, commits)
    state.location_id, state.routed_at, state.run_id, state.last_reason = (
        site.location_id,
        ctx.now,
        ctx.run_id,
        reason,
    )
    state.auto_cancel_at, state.updated_at = None, ctx.now
    ctx.used[location_key] = ctx.used.get(location_key, 0) + 1
    event(session, order, "brokered", reason, ctx.now, location_id=location_key, run_id=str(ctx.run_id))
    route(
        session,
        order,
        ctx.connections[site.connection_id],
        assigned_by="brokering",
        actor="brokering",
        component=COMPONENT,
    )


def _split(
    session: Session,
    ctx: Context,
    order: Order,
    state: OrderBrokering,
    plan: Plan,
    commits: list[list[tuple[int, str, int]]],
    by_line: dict[str, OrderLine],
) -> None:
    from warpware.pipeline.evaluation import route  # the pipeline imports brokering

    state.split_parent, state.run_id, state.last_reason = True, ctx.run_id, plan.reason
    state.auto_cancel_at, state.updated_at = None, ctx.now
    event(
        session,
        order,
        "brokered",
        plan.reason,
        ctx.now,
        shipments=len(plan.shipments),
        run_id=str(ctx.run_id),
    )
    move(session, order, None, f"split into {len(plan.shipments)} shipments: {plan.reason}", ctx.now)
    for shipment, shipment_commits in zip(plan.shipments, commits, strict=True):
        site = ctx.sites[shipment.location_id]
        connection = ctx.connections[site.connection_id]
        child = splits.shipment_child(
            session,
            order,
            state,
            [(by_line[line_id], qty) for line_id, qty in shipment.lines],
            connection=connection,
            location_id=site.location_id,
            reason=plan.reason,
            run_id=ctx.run_id,
            now=ctx.now,
        )
        _record_commitments(session, ctx, child.id, site.location_id, shipment_commits)
        ctx.used[shipment.location_id] = ctx.used.get(shipment.location_id, 0) + 1
        route(session, child, connection, assigned_by="brokering", actor="brokering", component=COMPONENT)


def _unfillable(
    session: Session, ctx: Context, order: Order, state: OrderBrokering, plan: Plan, counts: Counts
) -> None:
    state.last_reason, state.updated_at = plan.reason, ctx.now
    if order.brokering_queue in (Queue.UNFILLABLE.value, Queue.UNFILLABLE_HOLD.value):
        return  # still unfillable: it keeps its parking (and auto-cancel date)
    state.auto_cancel_at = ctx.now + dt.timedelta(days=ctx.settings.unfillable_cancel_days)
    move(
        session,
        order,
        Queue.UNFILLABLE,
        f"{plan.reason}; cancelled automatically on {state.auto_cancel_at.date().isoformat()} unless it "
        "is filled or moved to unfillable hold first",
        ctx.now,
    )
    counts.to_unfillable += 1
