"""The routing brain: which location(s) fill an order, by policy. Pure: no database, no web framework.

`plan_order` answers for one order against a snapshot of locations; `Ledger` answers for a run of
orders, each plan consuming the stock and daily capacity it takes so that later orders in the same run
see what is left. Persistence, queues and commitment rows live elsewhere (they call this).

Rules, in the order they apply:
- BOPIS (`pickup_location_id`): only the pickup location is considered, never split, no distance limit.
- A location is skipped when inactive, excluded (it rejected this order), at its daily order capacity, or
  known to be farther than `max_distance_miles` (an unknown distance is not "too far": it is ranked last).
- Available = available - (location safety stock + policy safety stock), floored at 0.
- Without `allow_split` one location must fill every line, else the order is unfillable.
- With `allow_split`, locations are taken greedily by the ranking until every line is filled, at most
  `max_shipments`. A line's quantity is divided between locations only when no remaining location has
  all of it; otherwise the line ships whole from one place.
- Ties at every step are broken by `location_id`, so the same input always gives the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from warpware.brokering import geo

RANKINGS = frozenset({"fewest_splits", "distance", "priority", "inventory"})


@dataclass(frozen=True)
class LineDemand:
    """One order line to fill."""

    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderDemand:
    order_id: str
    lines: tuple[LineDemand, ...]
    ship_to_zip: str | None  # US ZIP (5 or 9 digits, or ZIP+4 with dash); None/foreign → no distance
    ship_to_country: str | None = "US"
    pickup_location_id: str | None = None  # BOPIS: route straight to it (fill there or unfillable there)
    excluded_location_ids: frozenset[str] = frozenset()  # locations that rejected it


@dataclass(frozen=True)
class Candidate:
    """One location that can fulfil."""

    location_id: str
    zip: str | None
    priority: int = 100  # lower = preferred
    daily_capacity: int | None = None  # orders per day; None = unlimited
    used_capacity: int = 0  # orders already allocated today
    available: Mapping[str, int] = field(default_factory=dict)  # sku -> on_hand - committed
    safety_stock: int = 0  # per-SKU units kept back at this location
    active: bool = True
    name: str | None = None  # for reasons; location_id when absent


@dataclass(frozen=True)
class Policy:
    # Tie-break order. "inventory" = most units of the order's SKUs available first.
    ranking: tuple[str, ...] = ("fewest_splits", "distance", "priority")
    allow_split: bool = False
    max_shipments: int = 3  # when splitting
    safety_stock: int = 0  # account-wide default added to each candidate's own
    max_distance_miles: float | None = None

    def __post_init__(self) -> None:
        unknown = [name for name in self.ranking if name not in RANKINGS]
        if unknown:
            raise ValueError(f"unknown ranking {', '.join(unknown)}; allowed: {', '.join(sorted(RANKINGS))}")
        if self.max_shipments < 1:
            raise ValueError("max_shipments must be at least 1")


@dataclass(frozen=True)
class Shipment:
    location_id: str
    lines: tuple[tuple[str, int], ...]  # (line_id, quantity)
    distance_miles: float | None


@dataclass(frozen=True)
class Plan:
    order_id: str
    shipments: tuple[Shipment, ...]  # empty when unfillable
    unfillable: tuple[tuple[str, int], ...]  # (line_id, quantity short) — non-empty means not routed
    reason: str  # a human sentence for the timeline

    @property
    def routed(self) -> bool:
        return bool(self.shipments) and not self.unfillable


class _Site:
    """A candidate as the planner sees it; the Ledger's copies are mutated as plans consume stock."""

    __slots__ = ("candidate", "location_id", "label", "zip", "priority", "stock", "reserve", "cap_left")

    def __init__(self, candidate: Candidate, *, own_stock: bool) -> None:
        self.candidate = candidate
        self.location_id = candidate.location_id
        self.label = candidate.name or candidate.location_id
        self.zip = candidate.zip
        self.priority = candidate.priority
        self.stock: Mapping[str, int] = dict(candidate.available) if own_stock else candidate.available
        self.reserve = candidate.safety_stock
        self.cap_left: int | None = (
            None if candidate.daily_capacity is None else candidate.daily_capacity - candidate.used_capacity
        )


def plan_order(order: OrderDemand, candidates: Sequence[Candidate], policy: Policy) -> Plan:
    """Where `order` should ship from, given these locations' stock and capacity (nothing is consumed)."""
    return _plan(order, [_Site(c, own_stock=False) for c in candidates], policy)


class Ledger:
    """Availability across a run: each routed plan consumes the stock and capacity it takes."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self._sites = [_Site(c, own_stock=True) for c in candidates]
        self._by_id = {s.location_id: s for s in self._sites}

    def plan(self, order: OrderDemand, policy: Policy) -> Plan:
        plan = _plan(order, self._sites, policy)
        if plan.routed:
            skus = {line.line_id: line.sku for line in order.lines}
            for shipment in plan.shipments:
                site = self._by_id[shipment.location_id]
                stock = site.stock
                assert isinstance(stock, dict)
                for line_id, quantity in shipment.lines:
                    sku = skus[line_id]
                    stock[sku] = stock.get(sku, 0) - quantity
                if site.cap_left is not None:
                    site.cap_left -= 1
        return plan

    def candidates(self) -> tuple[Candidate, ...]:
        """The remaining view: available and used capacity after every plan so far."""
        out = []
        for site in self._sites:
            c = site.candidate
            used = (
                c.used_capacity
                if site.cap_left is None or c.daily_capacity is None
                else (c.daily_capacity - site.cap_left)
            )
            out.append(replace(c, available=dict(site.stock), used_capacity=used))
        return tuple(out)


# --- planning ---------------------------------------------------------------------------------------


def _miles(d: float | None) -> str:
    return "distance unknown" if d is None else f"{d:,.0f} mi"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _all_lines(n: int) -> str:
    return "the 1 line in stock" if n == 1 else f"all {n} lines in stock"


def _unfillable(order: OrderDemand, lines: Sequence[LineDemand], reason: str) -> Plan:
    return Plan(order.order_id, (), tuple((ln.line_id, ln.quantity) for ln in lines), reason)


def _avail(site: _Site, sku: str, reserve: int) -> int:
    return max(0, site.stock.get(sku, 0) - site.reserve - reserve)


def _plan(order: OrderDemand, sites: Sequence[_Site], policy: Policy) -> Plan:
    lines = [ln for ln in order.lines if ln.quantity > 0]
    if not lines:
        return Plan(order.order_id, (), (), "Nothing to route: the order has no lines with a quantity")
    reserve = policy.safety_stock
    need: dict[str, int] = {}
    for ln in lines:
        need[ln.sku] = need.get(ln.sku, 0) + ln.quantity

    ship_zip = geo.normalize_zip(order.ship_to_zip) if geo.is_us(order.ship_to_country) else None

    if order.pickup_location_id is not None:
        return _plan_pickup(order, lines, sites, policy, ship_zip)

    eligible: list[tuple[_Site, float | None]] = []
    skipped = {"inactive": 0, "excluded": 0, "capacity": 0, "far": 0}
    limit = policy.max_distance_miles
    excluded = order.excluded_location_ids
    for site in sites:
        if not site.candidate.active:
            skipped["inactive"] += 1
        elif site.location_id in excluded:
            skipped["excluded"] += 1
        elif site.cap_left is not None and site.cap_left <= 0:
            skipped["capacity"] += 1
        else:
            d = None if ship_zip is None else geo.distance_miles(ship_zip, site.zip)
            if limit is not None and d is not None and d > limit:
                skipped["far"] += 1
            else:
                eligible.append((site, d))
    if not eligible:
        return _unfillable(order, lines, _no_eligible(skipped, limit))

    # A whole-order fill from one place beats any split, whatever the ranking, so try it first.
    best: tuple[tuple[object, ...], _Site, float | None] | None = None
    wants_inventory = "inventory" in policy.ranking
    for site, d in eligible:
        if all(_avail(site, sku, reserve) >= qty for sku, qty in need.items()):
            inventory = -sum(_avail(site, sku, reserve) for sku in need) if wants_inventory else 0
            key = _rank_key(policy.ranking, site, d, inventory)
            if best is None or key < best[0]:
                best = (key, site, d)
    if best is not None:
        _, site, d = best
        shipment = Shipment(site.location_id, tuple((ln.line_id, ln.quantity) for ln in lines), d)
        reason = f"Routed to {site.label} ({_miles(d)}): {_all_lines(len(lines))}"
        return Plan(order.order_id, (shipment,), (), reason)

    if policy.allow_split and policy.max_shipments > 1:
        plan = _plan_split(order, lines, need, eligible, policy)
    else:
        plan = _no_single(order, lines, need, eligible, policy)
    not_considered = _skipped(skipped, limit)
    if plan.unfillable and not_considered:
        # Say which locations were left out: "none in stock" reads differently when two were full.
        plan = replace(plan, reason=f"{plan.reason}; not considered: {not_considered}")
    return plan


def _rank_key(
    ranking: tuple[str, ...],
    site: _Site,
    d: float | None,
    inventory: int,
    coverage: tuple[int, int] = (0, 0),
) -> tuple[object, ...]:
    """Sort key, smallest best. `inventory` is negated units; `coverage` is (lines, units) this site fills."""
    key: list[object] = []
    for name in ranking:
        if name == "distance":
            key.append((0, d) if d is not None else (1, 0.0))
        elif name == "priority":
            key.append(site.priority)
        elif name == "inventory":
            key.append(inventory)
        else:  # fewest_splits: take as many lines, then units, as possible in this shipment
            key.append((-coverage[0], -coverage[1]))
    key.append(site.location_id)
    return tuple(key)


def _skipped(skipped: dict[str, int], limit: float | None) -> str:
    parts = []
    if skipped["inactive"]:
        parts.append(f"{skipped['inactive']} inactive")
    if skipped["excluded"]:
        parts.append(f"{skipped['excluded']} rejected this order")
    if skipped["capacity"]:
        parts.append(f"{skipped['capacity']} at daily capacity")
    if skipped["far"] and limit is not None:
        parts.append(f"{skipped['far']} farther than {limit:,.0f} mi")
    return ", ".join(parts)


def _no_eligible(skipped: dict[str, int], limit: float | None) -> str:
    parts = _skipped(skipped, limit)
    if not parts:
        return "No location to route to: the account has no locations"
    return f"No eligible location ({parts})"


def _shortfalls(site: _Site, lines: Sequence[LineDemand], reserve: int) -> list[tuple[LineDemand, int]]:
    """(line, units short) for the lines this one site cannot fill, taking lines in order."""
    left: dict[str, int] = {}
    short: list[tuple[LineDemand, int]] = []
    for ln in lines:
        have = left.get(ln.sku)
        if have is None:
            have = _avail(site, ln.sku, reserve)
        if have >= ln.quantity:
            left[ln.sku] = have - ln.quantity
        else:
            short.append((ln, ln.quantity - have))
            left[ln.sku] = 0
    return short


def _items(pairs: Sequence[tuple[str, int]], limit: int = 3) -> str:
    shown = [f"{sku} ×{qty}" for sku, qty in pairs[:limit]]
    if len(pairs) > limit:
        shown.append(f"{len(pairs) - limit} more")
    return ", ".join(shown)


def _plan_pickup(
    order: OrderDemand,
    lines: Sequence[LineDemand],
    sites: Sequence[_Site],
    policy: Policy,
    ship_zip: str | None,
) -> Plan:
    pickup = order.pickup_location_id
    site = next((s for s in sites if s.location_id == pickup), None)
    if site is None:
        return _unfillable(order, lines, f"Pickup location {pickup} is not one of the account's locations")
    label = site.label
    if not site.candidate.active:
        return _unfillable(order, lines, f"Pickup location {label} is inactive")
    if site.location_id in order.excluded_location_ids:
        return _unfillable(order, lines, f"Pickup location {label} rejected this order")
    if site.cap_left is not None and site.cap_left <= 0:
        cap = site.candidate.daily_capacity
        return _unfillable(order, lines, f"Pickup location {label} is at its daily capacity ({cap} orders)")
    short = _shortfalls(site, lines, policy.safety_stock)
    if short:
        missing = [(ln.sku, qty) for ln, qty in short]
        reason = f"Pickup location {label} is short {_items(missing)}"
        return Plan(order.order_id, (), tuple((ln.line_id, qty) for ln, qty in short), reason)
    d = None if ship_zip is None else geo.distance_miles(ship_zip, site.zip)
    shipment = Shipment(site.location_id, tuple((ln.line_id, ln.quantity) for ln in lines), d)
    reason = f"Routed to pickup location {label}: {_all_lines(len(lines))}"
    return Plan(order.order_id, (shipment,), (), reason)


def _no_single(
    order: OrderDemand,
    lines: Sequence[LineDemand],
    need: dict[str, int],
    eligible: Sequence[tuple[_Site, float | None]],
    policy: Policy,
) -> Plan:
    reserve = policy.safety_stock
    # SKUs no single location has enough of: the order cannot ship whole from anywhere because of these.
    scarce: list[tuple[str, int, _Site | None, int]] = []
    for sku, qty in need.items():
        top: tuple[tuple[object, ...], _Site, int] | None = None
        for site, d in eligible:
            have = _avail(site, sku, reserve)
            key = (-have, *_rank_key(policy.ranking, site, d, -have))
            if top is None or key < top[0]:
                top = (key, site, have)
        assert top is not None
        if top[2] < qty:
            scarce.append((sku, qty, top[1] if top[2] > 0 else None, top[2]))
    if scarce:
        scarce_skus = {sku for sku, *_ in scarce}
        best_have = {sku: have for sku, _, _, have in scarce}
        short: list[tuple[str, int]] = []
        for ln in lines:
            if ln.sku in scarce_skus:
                take = min(ln.quantity, best_have[ln.sku])
                best_have[ln.sku] -= take
                if ln.quantity > take:
                    short.append((ln.line_id, ln.quantity - take))
        parts = []
        for sku, qty, holder, have in scarce[:3]:
            where = f"best: {holder.label} has {have}" if holder is not None else "none in stock"
            parts.append(f"{sku} ×{qty} ({where})")
        more = f"; and {len(scarce) - 3} more SKUs" if len(scarce) > 3 else ""
        return Plan(order.order_id, (), tuple(short), f"No location can fill {'; '.join(parts)}{more}")

    # Every SKU is somewhere in full, just not all in one place: report the closest miss.
    best: tuple[tuple[object, ...], _Site, float | None, list[tuple[LineDemand, int]]] | None = None
    for site, d in eligible:
        misses = _shortfalls(site, lines, reserve)
        missing_units = sum(qty for _, qty in misses)
        key = (len(misses), missing_units, *_rank_key(policy.ranking, site, d, missing_units))
        if best is None or key < best[0]:
            best = (key, site, d, misses)
    assert best is not None
    _, site, d, misses = best
    missing = _items([(ln.sku, qty) for ln, qty in misses])
    splitting = "splitting is off" if not policy.allow_split else "max_shipments is 1"
    reason = (
        f"No single location has all {len(lines)} lines and {splitting} "
        f"(closest: {site.label} ({_miles(d)}) is short {missing})"
    )
    return Plan(order.order_id, (), tuple((ln.line_id, qty) for ln, qty in misses), reason)


def _plan_split(
    order: OrderDemand,
    lines: Sequence[LineDemand],
    need: dict[str, int],
    eligible: Sequence[tuple[_Site, float | None]],
    policy: Policy,
) -> Plan:
    reserve = policy.safety_stock
    remaining = {ln.line_id: ln.quantity for ln in lines}
    unused = list(eligible)
    taken: list[tuple[_Site, float | None, list[tuple[LineDemand, int]]]] = []
    wants_inventory = "inventory" in policy.ranking
    while unused and len(taken) < policy.max_shipments:
        open_lines = [ln for ln in lines if remaining[ln.line_id] > 0]
        if not open_lines:
            break
        # A line is divided between locations only when no location left has all of it.
        divisible = {
            ln.line_id
            for ln in open_lines
            if all(_avail(site, ln.sku, reserve) < remaining[ln.line_id] for site, _ in unused)
        }
        best: tuple[tuple[object, ...], int, list[tuple[LineDemand, int]]] | None = None
        for index, (site, d) in enumerate(unused):
            take, whole = _take(site, open_lines, remaining, divisible, reserve)
            if not take:
                continue
            units = sum(qty for _, qty in take)
            inventory = -sum(_avail(site, ln.sku, reserve) for ln in open_lines) if wants_inventory else 0
            key = _rank_key(policy.ranking, site, d, inventory, (whole, units))
            if best is None or key < best[0]:
                best = (key, index, take)
        if best is None:
            break
        _, index, take = best
        site, d = unused.pop(index)
        for ln, qty in take:
            remaining[ln.line_id] -= qty
        taken.append((site, d, take))

    open_after = [(ln, remaining[ln.line_id]) for ln in lines if remaining[ln.line_id] > 0]
    if open_after:
        short = tuple((ln.line_id, qty) for ln, qty in open_after)
        return Plan(order.order_id, (), short, _split_failure(lines, need, eligible, policy))

    shipments = tuple(
        Shipment(site.location_id, tuple((ln.line_id, qty) for ln, qty in take), d) for site, d, take in taken
    )
    legs = "; ".join(
        f"{site.label} ({_miles(d)}): {_items([(ln.sku, qty) for ln, qty in take], limit=5)}"
        for site, d, take in taken
    )
    if len(shipments) == 1:  # cannot happen (a whole fill is found first) but reads right if it does
        site, d, _ = taken[0]
        return Plan(
            order.order_id, shipments, (), f"Routed to {site.label} ({_miles(d)}): {_all_lines(len(lines))}"
        )
    reason = (
        f"Split into {len(shipments)} shipments, no single location having all {len(lines)} lines: {legs}"
    )
    return Plan(order.order_id, shipments, (), reason)


def _take(
    site: _Site,
    open_lines: Sequence[LineDemand],
    remaining: Mapping[str, int],
    divisible: set[str],
    reserve: int,
) -> tuple[list[tuple[LineDemand, int]], int]:
    """What this site would ship of the open lines, and how many of them it would finish."""
    left: dict[str, int] = {}
    take: list[tuple[LineDemand, int]] = []
    whole = 0
    for ln in open_lines:
        have = left.get(ln.sku)
        if have is None:
            have = _avail(site, ln.sku, reserve)
        want = remaining[ln.line_id]
        if have >= want:
            take.append((ln, want))
            left[ln.sku] = have - want
            whole += 1
        elif have > 0 and ln.line_id in divisible:
            take.append((ln, have))
            left[ln.sku] = 0
    return take, whole


def _split_failure(
    lines: Sequence[LineDemand],
    need: dict[str, int],
    eligible: Sequence[tuple[_Site, float | None]],
    policy: Policy,
) -> str:
    reserve = policy.safety_stock
    parts = []
    for sku, qty in need.items():
        holders = sorted(
            ((_avail(site, sku, reserve), site.location_id, site.label) for site, _ in eligible),
            key=lambda h: (-h[0], h[1]),
        )
        total = sum(h[0] for h in holders)
        if total < qty:
            stocked = [f"{label} {have}" for have, _, label in holders if have > 0]
            if not stocked:
                parts.append(f"{sku} ×{qty} (none in stock)")
            else:
                extra = f", {len(stocked) - 3} more" if len(stocked) > 3 else ""
                parts.append(f"{sku} ×{qty} (in stock: {', '.join(stocked[:3])}{extra})")
    if parts:
        more = f"; and {len(parts) - 3} more SKUs" if len(parts) > 3 else ""
        return f"No combination of locations can fill {'; '.join(parts[:3])}{more}"
    return (
        f"Could not fill all {len(lines)} lines within {policy.max_shipments} shipments "
        f"from the {_plural(len(eligible), 'eligible location')}"
    )
