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

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter

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
        if self.safety_stock < 0:
            raise ValueError("safety_stock cannot be negative")


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

    __slots__ = (
        "candidate",
        "location_id",
        "label",
        "active",
        "point",
        "vec",
        "priority",
        "stock",
        "reserve",
        "cap_left",
        "taken",
    )

    def __init__(self, candidate: Candidate, *, own_stock: bool) -> None:
        self.candidate = candidate
        self.location_id = candidate.location_id
        self.label = candidate.name or candidate.location_id
        self.active = candidate.active
        self.point = geo.point(candidate.zip)
        self.vec = geo.unit_vector(candidate.zip)
        self.priority = candidate.priority
        self.stock: Mapping[str, int] = dict(candidate.available) if own_stock else candidate.available
        self.reserve = max(0, candidate.safety_stock)
        self.taken = 0  # shipments a Ledger has allocated here
        self.cap_left: int | None = (
            None if candidate.daily_capacity is None else candidate.daily_capacity - candidate.used_capacity
        )


def plan_order(order: OrderDemand, candidates: Sequence[Candidate], policy: Policy) -> Plan:
    """Where `order` should ship from, given these locations' stock and capacity (nothing is consumed)."""
    return _plan(order, _sites(candidates, own_stock=False), policy)


def _sites(candidates: Sequence[Candidate], *, own_stock: bool) -> list[_Site]:
    sites = [_Site(c, own_stock=own_stock) for c in candidates]
    if len({s.location_id for s in sites}) != len(sites):
        # Plans name locations by id: two candidates with one id would make them ambiguous.
        counts = Counter(s.location_id for s in sites)
        dupes = sorted(location_id for location_id, n in counts.items() if n > 1)
        raise ValueError(f"duplicate candidate location_id: {', '.join(dupes)}")
    return sites


class Ledger:
    """Availability across a run: each routed plan consumes the stock and capacity it takes."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self._sites = _sites(candidates, own_stock=True)
        self._by_id = {s.location_id: s for s in self._sites}

    def plan(self, order: OrderDemand, policy: Policy) -> Plan:
        """Plan against what is left and, if the order is routed, take its stock and capacity."""
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
                site.taken += 1
        return plan

    def candidates(self) -> tuple[Candidate, ...]:
        """The remaining view: available and used capacity after every plan so far."""
        out = []
        for site in self._sites:
            c = site.candidate
            out.append(replace(c, available=dict(site.stock), used_capacity=c.used_capacity + site.taken))
        return tuple(out)


# --- planning ---------------------------------------------------------------------------------------

_UNKNOWN_DISTANCE = 3.0  # ranks after every known closeness (which lies in [0, 2])
_NO_COVERAGE = (0, 0)


@lru_cache(maxsize=64)
def _key_getter(ranking: tuple[str, ...]) -> Callable[[tuple[object, ...]], tuple[object, ...]]:
    # Components are (closeness, priority, -inventory, -coverage, location_id); the policy picks and
    # orders them. itemgetter builds the key in C: this runs for every location of every order.
    index = {"distance": 0, "priority": 1, "inventory": 2, "fewest_splits": 3}
    return itemgetter(*(index[name] for name in ranking), 4)


class _Context:
    """What one plan measures locations by: the policy's ranking and the ship-to point."""

    __slots__ = (
        "policy",
        "reserve",
        "origin",
        "origin_vec",
        "getter",
        "wants_inventory",
        "wants_distance",
        "memo",
    )

    def __init__(self, policy: Policy, ship_zip: str | None) -> None:
        self.policy = policy
        self.reserve = policy.safety_stock
        self.origin = geo.point(ship_zip)
        self.origin_vec = geo.unit_vector(ship_zip)
        self.getter = _key_getter(policy.ranking)
        self.wants_inventory = "inventory" in policy.ranking
        self.wants_distance = "distance" in policy.ranking
        self.memo: dict[str, float | None] = {}

    def closeness(self, site: _Site) -> float:
        """0 at the ship-to point, growing with distance; unknown distances after every known one."""
        o, v = self.origin_vec, site.vec
        if o is None or v is None:
            return _UNKNOWN_DISTANCE
        return 1.0 - (o[0] * v[0] + o[1] * v[1] + o[2] * v[2])

    def miles(self, site: _Site) -> float | None:
        if self.origin is None or site.point is None:
            return None
        d = self.memo.get(site.location_id)
        if d is None:
            d = self.memo[site.location_id] = geo.miles_between(self.origin, site.point)
        return d

    def key(
        self, site: _Site, inventory: int = 0, coverage: tuple[int, int] = _NO_COVERAGE
    ) -> tuple[object, ...]:
        """Sort key, smallest best. `inventory` is negated units; `coverage` is (lines, units) it fills."""
        return self.getter(
            (self.closeness(site), site.priority, inventory, (-coverage[0], -coverage[1]), site.location_id)
        )

    def best(self, sites: Sequence[_Site], lines: Sequence[LineDemand]) -> _Site:
        """The best-ranked of `sites` for a whole-order fill (no coverage to weigh)."""
        # `key` inlined into comprehensions: a popular SKU can have every location as a filler.
        o = self.origin_vec
        if o is None or not self.wants_distance:
            closes = [_UNKNOWN_DISTANCE] * len(sites)
        else:
            ox, oy, oz = o
            closes = [
                _UNKNOWN_DISTANCE if (v := site.vec) is None else 1.0 - (ox * v[0] + oy * v[1] + oz * v[2])
                for site in sites
            ]
        if self.wants_inventory:
            skus, reserve = {ln.sku for ln in lines}, self.reserve
            units = [
                -sum(max(0, site.stock.get(k, 0) - site.reserve - reserve) for k in skus) for site in sites
            ]
        else:
            units = [0] * len(sites)
        getter = self.getter
        keys = [
            getter((close, site.priority, inventory, _NO_COVERAGE, site.location_id))
            for close, site, inventory in zip(closes, sites, units, strict=True)
        ]
        return sites[min(range(len(keys)), key=keys.__getitem__)]

    def ranker(self, lines: Sequence[LineDemand]) -> Callable[[_Site], tuple[object, ...]]:
        if not self.wants_inventory:
            return self.key
        skus = {ln.sku for ln in lines}
        return lambda site: self.key(site, -sum(_avail(site, sku, self.reserve) for sku in skus))


def _miles(d: float | None) -> str:
    return "distance unknown" if d is None else f"{d:,.0f} mi"


def _all_lines(n: int) -> str:
    return "the 1 line in stock" if n == 1 else f"all {n} lines in stock"


def _unfillable(order: OrderDemand, lines: Sequence[LineDemand], reason: str) -> Plan:
    return Plan(order.order_id, (), tuple((ln.line_id, ln.quantity) for ln in lines), reason)


def _avail(site: _Site, sku: str, reserve: int) -> int:
    return max(0, site.stock.get(sku, 0) - site.reserve - reserve)


def _plan(order: OrderDemand, sites: Sequence[_Site], policy: Policy) -> Plan:
    lines = [ln for ln in order.lines if ln.quantity > 0]
    if len({ln.line_id for ln in order.lines}) != len(order.lines):
        raise ValueError(f"order {order.order_id} has two lines with one line_id")  # shipments name lines
    if not lines:
        return Plan(order.order_id, (), (), "Nothing to route: the order has no lines with a quantity")
    need: dict[str, int] = {}
    for ln in lines:
        need[ln.sku] = need.get(ln.sku, 0) + ln.quantity
    ship_zip = geo.normalize_zip(order.ship_to_zip) if geo.is_us(order.ship_to_country) else None
    ctx = _Context(policy, ship_zip)

    if order.pickup_location_id is not None:
        return _plan_pickup(order, lines, sites, policy, ctx)

    # This filter and the fill check below run for every order over every location: keep them to
    # comprehensions and plain lookups. Why a location was left out is only counted for unfillable plans.
    limit = policy.max_distance_miles
    nearest = geo.closeness_limit(limit) if limit is not None and ctx.origin_vec is not None else None
    excluded = order.excluded_location_ids
    ox, oy, oz = ctx.origin_vec or (0.0, 0.0, 0.0)
    eligible = [
        site
        for site in sites
        if site.active
        and (site.cap_left is None or site.cap_left > 0)
        and site.location_id not in excluded
        and (nearest is None or (v := site.vec) is None or ox * v[0] + oy * v[1] + oz * v[2] >= nearest)
    ]
    if not eligible:
        return _unfillable(order, lines, _no_eligible(_left_out(sites, excluded, ctx, nearest), limit))

    # A whole-order fill from one place beats any split, whatever the ranking, so look for it first.
    reserve = policy.safety_stock
    needs = tuple(need.items())
    if len(needs) == 1:
        sku, qty = needs[0]
        fillers = [site for site in eligible if site.stock.get(sku, 0) - site.reserve - reserve >= qty]
    else:
        fillers = []
        for site in eligible:
            stock = site.stock
            kept = site.reserve + reserve
            for sku, qty in needs:
                if stock.get(sku, 0) - kept < qty:
                    break
            else:
                fillers.append(site)
    if fillers:
        site = fillers[0] if len(fillers) == 1 else ctx.best(fillers, lines)
        d = ctx.miles(site)
        shipment = Shipment(site.location_id, tuple((ln.line_id, ln.quantity) for ln in lines), d)
        reason = f"Routed to {site.label} ({_miles(d)}): {_all_lines(len(lines))}"
        return Plan(order.order_id, (shipment,), (), reason)

    if policy.allow_split and policy.max_shipments > 1:
        plan = _plan_split(order, lines, need, eligible, policy, ctx)
    else:
        plan = _no_single(order, lines, need, eligible, policy, ctx)
    if plan.unfillable and len(eligible) < len(sites):
        # Say which locations were left out: "none in stock" reads differently when two were full.
        not_considered = _skipped(_left_out(sites, excluded, ctx, nearest), limit)
        plan = replace(plan, reason=f"{plan.reason}; not considered: {not_considered}")
    return plan


def _left_out(
    sites: Sequence[_Site], excluded: frozenset[str], ctx: _Context, nearest: float | None
) -> dict[str, int]:
    """Why locations were not considered, counted by the first reason that applies to each."""
    counts = {"inactive": 0, "excluded": 0, "capacity": 0, "far": 0}
    for site in sites:
        if not site.active:
            counts["inactive"] += 1
        elif site.cap_left is not None and site.cap_left <= 0:
            counts["capacity"] += 1
        elif site.location_id in excluded:
            counts["excluded"] += 1
        elif nearest is not None and site.vec is not None and 1.0 - ctx.closeness(site) < nearest:
            counts["far"] += 1
    return counts


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


def _spread(lines: Sequence[LineDemand], have: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """(line, units short) when `have` units of each SKU are all there is, given to lines in order."""
    left = dict(have)
    short = []
    for ln in lines:
        if ln.sku not in left:
            continue
        take = min(ln.quantity, left[ln.sku])
        left[ln.sku] -= take
        if ln.quantity > take:
            short.append((ln.line_id, ln.quantity - take))
    return tuple(short)


def _items(pairs: Sequence[tuple[str, int]], limit: int = 3) -> str:
    shown = [f"{sku} ×{qty}" for sku, qty in pairs[:limit]]
    if len(pairs) > limit:
        shown.append(f"{len(pairs) - limit} more")
    return ", ".join(shown)


def _more(count: int, shown: int) -> str:
    return f"; and {count - shown} more SKUs" if count > shown else ""


def _plan_pickup(
    order: OrderDemand, lines: Sequence[LineDemand], sites: Sequence[_Site], policy: Policy, ctx: _Context
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
        reason = f"Pickup location {label} is short {_items([(ln.sku, qty) for ln, qty in short])}"
        return Plan(order.order_id, (), tuple((ln.line_id, qty) for ln, qty in short), reason)
    shipment = Shipment(site.location_id, tuple((ln.line_id, ln.quantity) for ln in lines), ctx.miles(site))
    reason = f"Routed to pickup location {label}: {_all_lines(len(lines))}"
    return Plan(order.order_id, (shipment,), (), reason)


def _no_single(
    order: OrderDemand,
    lines: Sequence[LineDemand],
    need: dict[str, int],
    eligible: Sequence[_Site],
    policy: Policy,
    ctx: _Context,
) -> Plan:
    reserve = policy.safety_stock
    # SKUs no single location has enough of: the order cannot ship whole from anywhere because of these.
    scarce: list[tuple[str, int, _Site | None, int]] = []
    for sku, qty in need.items():
        top = max(0, max(site.stock.get(sku, 0) - site.reserve for site in eligible) - reserve)
        if top < qty:
            holders = [site for site in eligible if _avail(site, sku, reserve) == top]
            best = min(holders, key=lambda s: ctx.key(s, -top)) if top > 0 else None
            scarce.append((sku, qty, best, top))
    if scarce:
        parts = []
        for sku, qty, holder, have in scarce[:3]:
            where = f"best: {holder.label} has {have}" if holder is not None else "none in stock"
            parts.append(f"{sku} ×{qty} ({where})")
        short = _spread(lines, {sku: have for sku, _, _, have in scarce})
        reason = f"No location can fill {'; '.join(parts)}{_more(len(scarce), 3)}"
        return Plan(order.order_id, (), short, reason)

    # Every SKU is somewhere in full, just not all in one place: report the closest miss.
    misses = {site.location_id: _shortfalls(site, lines, reserve) for site in eligible}
    fewest = min((len(m), sum(q for _, q in m)) for m in misses.values())
    closest = [
        s
        for s in eligible
        if (len(misses[s.location_id]), sum(q for _, q in misses[s.location_id])) == fewest
    ]
    site = min(closest, key=ctx.ranker(lines))
    miss = misses[site.location_id]
    splitting = "splitting is off" if not policy.allow_split else "max_shipments is 1"
    missing = _items([(ln.sku, q) for ln, q in miss])
    reason = (
        f"No single location has all {len(lines)} lines and {splitting} "
        f"(closest: {site.label} ({_miles(ctx.miles(site))}) is short {missing})"
    )
    return Plan(order.order_id, (), tuple((ln.line_id, qty) for ln, qty in miss), reason)


def _plan_split(
    order: OrderDemand,
    lines: Sequence[LineDemand],
    need: dict[str, int],
    eligible: Sequence[_Site],
    policy: Policy,
    ctx: _Context,
) -> Plan:
    reserve = policy.safety_stock
    # When the locations together lack a SKU no choice of shipments helps: say so without searching.
    totals = {sku: sum(_avail(site, sku, reserve) for site in eligible) for sku in need}
    lacking = [sku for sku, qty in need.items() if totals[sku] < qty]
    if lacking:
        parts = [f"{sku} ×{need[sku]} ({_holders(sku, eligible, reserve)})" for sku in lacking[:3]]
        reason = f"No combination of locations can fill {'; '.join(parts)}{_more(len(lacking), 3)}"
        return Plan(order.order_id, (), _spread(lines, {sku: totals[sku] for sku in lacking}), reason)

    remaining = {ln.line_id: ln.quantity for ln in lines}
    unused = list(eligible)
    taken: list[tuple[_Site, list[tuple[LineDemand, int]]]] = []
    while unused and len(taken) < policy.max_shipments:
        open_lines = [ln for ln in lines if remaining[ln.line_id] > 0]
        if not open_lines:
            break
        # A line is divided between locations only when no location left has all of it. Up to two
        # locations that do are kept per line: a location that would have to divide a line may do so
        # when it is the only one that could have shipped it whole (its stock went to an earlier line).
        whole_at: dict[str, list[str]] = {}
        for ln in open_lines:
            want, holders = remaining[ln.line_id], []
            for site in unused:
                if _avail(site, ln.sku, reserve) >= want:
                    holders.append(site.location_id)
                    if len(holders) == 2:
                        break
            whole_at[ln.line_id] = holders
        best: tuple[tuple[object, ...], int, list[tuple[LineDemand, int]]] | None = None
        for index, site in enumerate(unused):
            take, whole = _take(site, open_lines, remaining, whole_at, reserve)
            if not take:
                continue
            units = sum(qty for _, qty in take)
            inventory = -sum(_avail(site, ln.sku, reserve) for ln in open_lines) if ctx.wants_inventory else 0
            key = ctx.key(site, inventory, (whole, units))
            if best is None or key < best[0]:
                best = (key, index, take)
        if best is None:
            break
        _, index, take = best
        for ln, qty in take:
            remaining[ln.line_id] -= qty
        taken.append((unused.pop(index), take))

    if any(remaining.values()):
        _top_up(taken, lines, remaining, reserve)
    short = tuple((ln.line_id, remaining[ln.line_id]) for ln in lines if remaining[ln.line_id] > 0)
    if short:
        reason = (
            f"Could not fill all {len(lines)} lines within {policy.max_shipments} shipments "
            f"from the {len(eligible)} eligible location{'s' if len(eligible) != 1 else ''}"
        )
        return Plan(order.order_id, (), short, reason)

    shipments = tuple(
        Shipment(site.location_id, tuple((ln.line_id, qty) for ln, qty in take), ctx.miles(site))
        for site, take in taken
    )
    legs = "; ".join(
        f"{site.label} ({_miles(ctx.miles(site))}): {_items([(ln.sku, qty) for ln, qty in take], limit=5)}"
        for site, take in taken
    )
    reason = (
        f"Split into {len(shipments)} shipments, no single location having all {len(lines)} lines: {legs}"
    )
    return Plan(order.order_id, shipments, (), reason)


def _top_up(
    taken: list[tuple[_Site, list[tuple[LineDemand, int]]]],
    lines: Sequence[LineDemand],
    remaining: dict[str, int],
    reserve: int,
) -> None:
    """Fill what is still open from the chosen locations' spare stock, dividing lines as needed.

    The greedy pass gives each location the lines it can ship whole, so a location may keep a few units
    that only a divided line could use (5 units, lines of 4 and 3 and 3). Dividing a line between
    shipments already going out beats calling the order unfillable or adding a shipment."""
    position = {ln.line_id: i for i, ln in enumerate(lines)}
    for site, take in taken:
        used: dict[str, int] = {}
        for ln, qty in take:
            used[ln.sku] = used.get(ln.sku, 0) + qty
        extra: dict[str, int] = {}
        for ln in lines:
            want = remaining[ln.line_id]
            spare = _avail(site, ln.sku, reserve) - used.get(ln.sku, 0) if want > 0 else 0
            if spare > 0:
                qty = min(want, spare)
                used[ln.sku] = used.get(ln.sku, 0) + qty
                remaining[ln.line_id] -= qty
                extra[ln.line_id] = qty
        if extra:
            merged = {ln.line_id: (ln, qty) for ln, qty in take}
            for ln in lines:
                if ln.line_id in extra:
                    had = merged.get(ln.line_id, (ln, 0))[1]
                    merged[ln.line_id] = (ln, had + extra[ln.line_id])
            take[:] = sorted(merged.values(), key=lambda item: position[item[0].line_id])


def _holders(sku: str, eligible: Sequence[_Site], reserve: int) -> str:
    held = sorted(
        ((_avail(site, sku, reserve), site.location_id, site.label) for site in eligible),
        key=lambda h: (-h[0], h[1]),
    )
    stocked = [f"{label} {have}" for have, _, label in held if have > 0]
    if not stocked:
        return "none in stock"
    extra = f", {len(stocked) - 3} more" if len(stocked) > 3 else ""
    return f"in stock: {', '.join(stocked[:3])}{extra}"


def _take(
    site: _Site,
    open_lines: Sequence[LineDemand],
    remaining: Mapping[str, int],
    whole_at: Mapping[str, list[str]],
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
        elif have > 0 and all(holder == site.location_id for holder in whole_at[ln.line_id]):
            take.append((ln, have))
            left[ln.sku] = 0
    return take, whole
