"""Simulated orders: made up where the caller gave nothing, then ingested like any other order.

They carry the TEST_ORDER tag, so the pipeline evaluates their rules, holds and routing and never
transmits them (pipeline.evaluation.route stops at `ready`). The dashboard demo's orders carry
WARPWARE_DEMO instead when the account has a sandbox warehouse: they go all the way, to it only.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.kit.clock import utcnow
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.models import Order
from warpware.pipeline.evaluation import DEMO_ORDER_TAG, TEST_ORDER_TAG, demo_destination
from warpware.simulation import samples
from warpware.simulation.schemas import SimulateRequest

# A collision of the random suffix with an existing order is retried this often with new ids.
_ATTEMPTS = 3


@dataclass(frozen=True)
class Simulated:
    created: list[Order]
    failed: int


def simulated_external_id() -> str:
    return f"TEST-{utcnow():%Y%m%d}-{secrets.token_hex(3)}"


def _address(rng: random.Random, request: SimulateRequest, name: str) -> Address:
    given = request.ship_to
    if given is not None:
        return Address(
            name=given.name,
            address1=given.address1,
            address2=given.address2 or None,
            city=given.city,
            state=given.state,
            zip=given.zip,
            country=given.country,
            phone=given.phone or None,
        )
    city, state, zip_code = rng.choice(samples.PLACES)
    street = f"{rng.randint(10, 9899)} {rng.choice(samples.STREETS)}"
    phone = f"{rng.randint(201, 989)}-555-{rng.randint(100, 199):04d}"
    return Address(
        name=name, address1=street, city=city, state=state, zip=zip_code, country="US", phone=phone
    )


def _lines(rng: random.Random, request: SimulateRequest) -> tuple[LineItem, ...]:
    if request.line_items:
        return tuple(
            LineItem(sku=li.sku, quantity=li.quantity, price=li.price, name=li.name or li.description)
            for li in request.line_items
        )
    picked = rng.sample(samples.PRODUCTS, k=rng.randint(1, 3))
    return tuple(
        LineItem(sku=sku, quantity=rng.randint(1, 3), price=price, name=name) for sku, name, price in picked
    )


def make_order(
    rng: random.Random, request: SimulateRequest, *, tag: str = TEST_ORDER_TAG
) -> NormalizedOrder:
    """One realistic order: the caller's lines and address where given, sample ones otherwise."""
    if request.ship_to is not None:
        name = request.ship_to.name
    else:
        name = f"{rng.choice(samples.FIRST_NAMES)} {rng.choice(samples.LAST_NAMES)}"
    email = f"{name.lower().replace(' ', '.')}@example.com" if request.ship_to is None else None
    return NormalizedOrder(
        external_id=simulated_external_id(),
        source=request.source,
        line_items=_lines(rng, request),
        shipping_address=_address(rng, request, name),
        customer_email=email,
        customer_name=name,
        tags=(tag,),
        metadata={"simulated": True},
    )


def simulate(
    session: Session,
    principal: Principal,
    request: SimulateRequest,
    *,
    actor: str,
    rng: random.Random | None = None,
    tag: str = TEST_ORDER_TAG,
) -> Simulated:
    """Ingest `count` test orders (queued for evaluation like any order); never transmitted."""
    rng = rng or random.Random()
    wanted = [make_order(rng, request, tag=tag) for _ in range(request.count)]
    created: list[Order] = []
    for _ in range(_ATTEMPTS):
        results = orders_service.ingest(session, principal, wanted, actor=actor)
        created += [r.order for r in results if r.order is not None]
        retry = [o for o, r in zip(wanted, results, strict=True) if r.order is None]
        if not retry:
            break
        wanted = [dataclasses.replace(o, external_id=simulated_external_id()) for o in retry]
    return Simulated(created, request.count - len(created))


# The dashboard's demo: a run is "the test orders made after the newest order there was before it".
DEMO_STAGES = ("pending", "ready", "processing", "shipped")
DEMO_WATCHED = 500


@dataclass(frozen=True)
class DemoProgress:
    orders: list[Order]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(DEMO_STAGES, 0) | {"other": 0}
        for order in self.orders:
            counts[order.status if order.status in DEMO_STAGES else "other"] += 1
        return counts


def demo_start(session: Session, principal: Principal, count: int, *, actor: str) -> tuple[int, Simulated]:
    """Simulate `count` orders; returns the seq to watch from (see demo_progress) and the result.

    With a sandbox warehouse connection the orders are demo orders that travel every stage to it
    (pending → ready → sent → shipped); without one they are TEST_ORDERs, which stop at ready."""
    after = orders_repository.latest_seq(session, principal)
    tag = DEMO_ORDER_TAG if demo_destination(session, principal.account_id) is not None else TEST_ORDER_TAG
    return after, simulate(session, principal, SimulateRequest(count=count), actor=actor, tag=tag)


def demo_progress(session: Session, principal: Principal, after_seq: int) -> DemoProgress:
    """The simulated orders made since `after_seq`, where they are now."""
    found = [
        *orders_repository.tagged_after(session, principal, DEMO_ORDER_TAG, after_seq, limit=DEMO_WATCHED),
        *orders_repository.tagged_after(session, principal, TEST_ORDER_TAG, after_seq, limit=DEMO_WATCHED),
    ]
    return DemoProgress(sorted(found, key=lambda order: order.seq)[:DEMO_WATCHED])
