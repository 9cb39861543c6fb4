"""The routing engine: which location(s) fill an order under each policy rule. Pure, no database."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warpware.brokering.engine import (
    Candidate,
    Ledger,
    LineDemand,
    OrderDemand,
    Plan,
    Policy,
    Shipment,
    plan_order,
)
from warpware.brokering.geo import distance_miles

SF = "94105"
RENO = "89501"
SACRAMENTO = "95814"
BOISE = "83702"
NYC = "10001"
CHICAGO = "60601"


def order(*lines: tuple[str, int], zip: str | None = SF, **kw: object) -> OrderDemand:
    return OrderDemand(
        "o1",
        tuple(LineDemand(f"L{i}", sku, qty) for i, (sku, qty) in enumerate(lines, start=1)),
        zip,
        **kw,  # type: ignore[arg-type]
    )


def loc(location_id: str, zip: str | None, stock: dict[str, int] | None = None, **kw: object) -> Candidate:
    return Candidate(location_id, zip, available=stock or {}, name=location_id.title(), **kw)  # type: ignore[arg-type]


def ships(plan: Plan) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    return [(s.location_id, s.lines) for s in plan.shipments]


# --- one location --------------------------------------------------------------------------------


def test_the_nearest_location_with_everything_gets_the_whole_order() -> None:
    candidates = [
        loc("nyc", NYC, {"A": 10, "B": 10}),
        loc("reno", RENO, {"A": 10, "B": 10}),
        loc("boise", BOISE, {"A": 10, "B": 10}),
    ]

    plan = plan_order(order(("A", 2), ("B", 1)), candidates, Policy())

    assert plan.routed
    assert plan.unfillable == ()
    assert plan.shipments == (Shipment("reno", (("L1", 2), ("L2", 1)), distance_miles(SF, RENO)),)
    assert plan.reason == "Routed to Reno (184 mi): all 2 lines in stock"


def test_a_single_line_reads_naturally() -> None:
    plan = plan_order(order(("A", 1)), [loc("reno", RENO, {"A": 1})], Policy())

    assert plan.reason == "Routed to Reno (184 mi): the 1 line in stock"


def test_a_nearer_location_missing_a_line_loses_to_a_farther_one_that_has_everything() -> None:
    candidates = [loc("reno", RENO, {"A": 5}), loc("nyc", NYC, {"A": 5, "B": 5})]

    plan = plan_order(order(("A", 1), ("B", 1)), candidates, Policy())

    assert ships(plan) == [("nyc", (("L1", 1), ("L2", 1)))]


def test_priority_first_policy_prefers_the_lower_priority_number_over_distance() -> None:
    candidates = [loc("reno", RENO, {"A": 5}, priority=20), loc("nyc", NYC, {"A": 5}, priority=10)]

    by_priority = plan_order(order(("A", 1)), candidates, Policy(ranking=("priority", "distance")))
    by_distance = plan_order(order(("A", 1)), candidates, Policy(ranking=("distance", "priority")))

    assert ships(by_priority) == [("nyc", (("L1", 1),))]
    assert ships(by_distance) == [("reno", (("L1", 1),))]


def test_inventory_policy_prefers_the_location_with_most_units_of_the_order_skus() -> None:
    candidates = [
        loc("reno", RENO, {"A": 3, "B": 3, "Z": 500}),
        loc("nyc", NYC, {"A": 40, "B": 9}),
        loc("boise", BOISE, {"A": 20, "B": 20}),
    ]

    plan = plan_order(order(("A", 2), ("B", 2)), candidates, Policy(ranking=("inventory", "distance")))

    assert ships(plan) == [("nyc", (("L1", 2), ("L2", 2)))]  # 49 units of A+B beats 40 and 6


def test_unknown_location_zip_ranks_after_every_known_distance() -> None:
    candidates = [loc("nozip", None, {"A": 5}), loc("mystery", "00000", {"A": 5}), loc("nyc", NYC, {"A": 5})]

    plan = plan_order(order(("A", 1)), candidates, Policy())

    assert ships(plan) == [("nyc", (("L1", 1),))]


def test_without_a_ship_to_zip_distance_is_unknown_and_priority_then_id_decide() -> None:
    candidates = [loc("b", RENO, {"A": 5}, priority=5), loc("a", NYC, {"A": 5}, priority=5)]

    no_zip = plan_order(order(("A", 1), zip=None), candidates, Policy())
    foreign = plan_order(order(("A", 1), zip="10001", ship_to_country="CA"), candidates, Policy())

    assert no_zip.shipments == (Shipment("a", (("L1", 1),), None),)
    assert no_zip.reason == "Routed to A (distance unknown): the 1 line in stock"
    assert foreign.shipments == no_zip.shipments


def test_zip_plus_four_is_understood() -> None:
    plan = plan_order(order(("A", 1), zip="94105-1804"), [loc("reno", RENO, {"A": 1})], Policy())

    assert plan.shipments[0].distance_miles == distance_miles(SF, RENO)


def test_ties_are_broken_by_location_id_whatever_the_input_order() -> None:
    candidates = [loc(name, None, {"A": 5}) for name in ("delta", "alpha", "charlie", "bravo")]
    plans = set()
    for seed in range(10):
        shuffled = list(candidates)
        random.Random(seed).shuffle(shuffled)
        plans.add(plan_order(order(("A", 1)), shuffled, Policy()))

    assert len(plans) == 1
    assert ships(plans.pop()) == [("alpha", (("L1", 1),))]


# --- who is skipped ------------------------------------------------------------------------------


def test_inactive_excluded_and_full_locations_are_skipped() -> None:
    candidates = [
        loc("reno", RENO, {"A": 5}, active=False),
        loc("sacramento", SACRAMENTO, {"A": 5}),
        loc("boise", BOISE, {"A": 5}, daily_capacity=10, used_capacity=10),
        loc("nyc", NYC, {"A": 5}, daily_capacity=10, used_capacity=9),
    ]

    plan = plan_order(order(("A", 1), excluded_location_ids=frozenset({"sacramento"})), candidates, Policy())

    assert ships(plan) == [("nyc", (("L1", 1),))]


def test_when_every_location_is_skipped_the_reason_counts_why() -> None:
    candidates = [
        loc("reno", RENO, {"A": 5}, active=False),
        loc("sacramento", SACRAMENTO, {"A": 5}),
        loc("boise", BOISE, {"A": 5}, daily_capacity=0),
        loc("nyc", NYC, {"A": 5}),
        loc("chicago", CHICAGO, {"A": 5}),
    ]
    demand = order(("A", 2), excluded_location_ids=frozenset({"sacramento"}))

    plan = plan_order(demand, candidates, Policy(max_distance_miles=1000))

    assert plan.shipments == ()
    assert plan.unfillable == (("L1", 2),)
    assert plan.reason == (
        "No eligible location "
        "(1 inactive, 1 rejected this order, 1 at daily capacity, 2 farther than 1,000 mi)"
    )


def test_no_locations_at_all() -> None:
    plan = plan_order(order(("A", 1)), [], Policy())

    assert plan.unfillable == (("L1", 1),)
    assert plan.reason == "No location to route to: the account has no locations"


def test_max_distance_skips_far_locations_but_not_unknown_distances() -> None:
    far_only = [loc("nyc", NYC, {"A": 5})]
    with_unknown = [loc("nyc", NYC, {"A": 5}), loc("nozip", None, {"A": 5})]
    policy = Policy(max_distance_miles=500)

    assert plan_order(order(("A", 1)), far_only, policy).shipments == ()
    assert ships(plan_order(order(("A", 1)), with_unknown, policy)) == [("nozip", (("L1", 1),))]
    assert ships(plan_order(order(("A", 1)), far_only, Policy(max_distance_miles=3000))) == [
        ("nyc", (("L1", 1),))
    ]


# --- safety stock --------------------------------------------------------------------------------


def test_safety_stock_of_the_location_and_the_policy_add_up() -> None:
    candidates = [loc("reno", RENO, {"A": 5}, safety_stock=2), loc("nyc", NYC, {"A": 5})]

    own_only = plan_order(order(("A", 3)), candidates, Policy())
    both = plan_order(order(("A", 3)), candidates, Policy(safety_stock=1))

    assert ships(own_only) == [("reno", (("L1", 3),))]  # 5 - 2 = 3 still fills
    assert ships(both) == [("nyc", (("L1", 3),))]  # 5 - 3 = 2 at Reno; 5 - 1 = 4 in New York


def test_safety_stock_above_available_floors_at_zero() -> None:
    candidates = [loc("reno", RENO, {"A": 1, "B": -4}, safety_stock=3)]

    plan = plan_order(order(("A", 1)), candidates, Policy())

    assert plan.unfillable == (("L1", 1),)
    assert plan.reason == "No location can fill A ×1 (none in stock)"


# --- no split ------------------------------------------------------------------------------------


def test_without_split_an_order_that_needs_two_locations_is_unfillable() -> None:
    candidates = [loc("reno", RENO, {"A": 5, "B": 1}), loc("nyc", NYC, {"B": 5})]

    plan = plan_order(order(("A", 2), ("B", 3)), candidates, Policy(allow_split=False))

    assert plan.shipments == ()
    assert plan.unfillable == (("L2", 2),)  # Reno, the closest miss, is short 2 of B
    assert plan.reason == (
        "No single location has all 2 lines and splitting is off (closest: Reno (184 mi) is short B ×2)"
    )


def test_a_sku_nobody_has_enough_of_names_the_best_holder() -> None:
    candidates = [loc("reno", RENO, {"SKU-1": 2}), loc("nyc", NYC, {"SKU-1": 1}), loc("boise", BOISE)]

    plan = plan_order(order(("SKU-1", 4), ("SKU-2", 1)), candidates, Policy())

    assert plan.unfillable == (("L1", 2), ("L2", 1))
    assert plan.reason == "No location can fill SKU-1 ×4 (best: Reno has 2); SKU-2 ×1 (none in stock)"


def test_a_pickup_and_split_free_order_with_duplicate_sku_lines_needs_their_sum() -> None:
    candidates = [loc("reno", RENO, {"A": 3}), loc("nyc", NYC, {"A": 4})]

    plan = plan_order(order(("A", 2), ("A", 2)), candidates, Policy())

    assert ships(plan) == [("nyc", (("L1", 2), ("L2", 2)))]


# --- split ---------------------------------------------------------------------------------------


def test_split_takes_the_location_with_most_lines_first_then_the_rest() -> None:
    candidates = [
        loc("reno", RENO, {"A": 5}),  # nearest, one line
        loc("boise", BOISE, {"A": 5, "B": 5}),  # two lines
        loc("nyc", NYC, {"C": 5}),
        loc("chicago", CHICAGO, {"B": 5, "C": 5}),
    ]

    plan = plan_order(order(("A", 1), ("B", 1), ("C", 1)), candidates, Policy(allow_split=True))

    assert ships(plan) == [("boise", (("L1", 1), ("L2", 1))), ("chicago", (("L3", 1),))]
    assert plan.reason == (
        "Split into 2 shipments, no single location having all 3 lines: "
        "Boise (517 mi): A ×1, B ×1; Chicago (1,853 mi): C ×1"
    )


def test_split_never_happens_when_one_location_can_fill_everything() -> None:
    candidates = [
        loc("reno", RENO, {"A": 5}),
        loc("sacramento", SACRAMENTO, {"B": 5}),
        loc("nyc", NYC, {"A": 1, "B": 1}),
    ]

    plan = plan_order(order(("A", 1), ("B", 1)), candidates, Policy(allow_split=True, ranking=("distance",)))

    assert ships(plan) == [("nyc", (("L1", 1), ("L2", 1)))]


def test_split_respects_max_shipments() -> None:
    candidates = [loc("reno", RENO, {"A": 5}), loc("boise", BOISE, {"B": 5}), loc("nyc", NYC, {"C": 5})]
    demand = order(("A", 1), ("B", 1), ("C", 1))

    three = plan_order(demand, candidates, Policy(allow_split=True, max_shipments=3))
    two = plan_order(demand, candidates, Policy(allow_split=True, max_shipments=2))

    assert [s.location_id for s in three.shipments] == ["reno", "boise", "nyc"]
    assert two.shipments == ()
    assert two.unfillable == (("L3", 1),)
    assert two.reason == "Could not fill all 3 lines within 2 shipments from the 3 eligible locations"


def test_a_line_is_divided_only_when_no_single_location_has_all_of_it() -> None:
    demand = order(("X", 5), ("Y", 1))
    near = loc("sacramento", SACRAMENTO, {"X": 3, "Y": 1})
    policy = Policy(allow_split=True)

    whole_elsewhere = plan_order(demand, [near, loc("nyc", NYC, {"X": 5})], policy)
    nobody_has_five = plan_order(demand, [near, loc("nyc", NYC, {"X": 2})], policy)

    assert ships(whole_elsewhere) == [("nyc", (("L1", 5),)), ("sacramento", (("L2", 1),))]
    assert ships(nobody_has_five) == [("sacramento", (("L1", 3), ("L2", 1))), ("nyc", (("L1", 2),))]


def test_two_lines_of_one_sku_divide_where_the_stock_went_to_the_first_line() -> None:
    # Sacramento has 5 A: either line whole, not both. After the first line it has 2 left, and no
    # other location has all 3 of the second line, so the second line is divided.
    candidates = [loc("sacramento", SACRAMENTO, {"A": 5}), loc("nyc", NYC, {"A": 2})]

    plan = plan_order(order(("A", 3), ("A", 3)), candidates, Policy(allow_split=True))
    single = plan_order(order(("A", 3), ("A", 3)), candidates, Policy())

    assert ships(plan) == [("sacramento", (("L1", 3), ("L2", 2))), ("nyc", (("L2", 1),))]
    assert single.unfillable == (("L2", 1),)
    assert single.reason == "No location can fill A ×6 (best: Sacramento has 5)"


def test_a_line_one_other_location_has_whole_is_not_divided() -> None:
    candidates = [
        loc("sacramento", SACRAMENTO, {"A": 5, "B": 1}),
        loc("reno", RENO, {"A": 2}),
        loc("nyc", NYC, {"A": 3}),
    ]

    plan = plan_order(order(("A", 3), ("A", 3), ("B", 1)), candidates, Policy(allow_split=True))

    # Sacramento ships L1 and B whole; L2 goes whole to New York rather than 2 + 1.
    assert ships(plan) == [("sacramento", (("L1", 3), ("L3", 1))), ("nyc", (("L2", 3),))]


def test_spare_units_at_chosen_locations_finish_a_line_no_one_can_ship_whole_any_more() -> None:
    # 4 + 3 + 3 of one SKU from two locations of 5: whole lines alone cannot do it; Sacramento's spare
    # unit finishes the line Reno could only ship 2 of.
    candidates = [loc("sacramento", SACRAMENTO, {"A": 5}), loc("reno", RENO, {"A": 5})]

    plan = plan_order(order(("A", 4), ("A", 3), ("A", 3)), candidates, Policy(allow_split=True))

    assert ships(plan) == [("sacramento", (("L1", 4), ("L3", 1))), ("reno", (("L2", 3), ("L3", 2)))]


def test_split_that_cannot_cover_a_sku_lists_who_holds_it() -> None:
    candidates = [loc("reno", RENO, {"A": 2}), loc("nyc", NYC, {"A": 1, "B": 3})]

    plan = plan_order(order(("A", 4), ("B", 1)), candidates, Policy(allow_split=True))

    assert plan.shipments == ()
    assert plan.unfillable == (("L1", 1),)
    assert plan.reason == "No combination of locations can fill A ×4 (in stock: Reno 2, Nyc 1)"


def test_split_with_max_shipments_one_behaves_like_no_split() -> None:
    candidates = [loc("reno", RENO, {"A": 5}), loc("nyc", NYC, {"B": 5})]

    plan = plan_order(order(("A", 1), ("B", 1)), candidates, Policy(allow_split=True, max_shipments=1))

    assert plan.shipments == ()
    assert plan.reason.startswith("No single location has all 2 lines and max_shipments is 1")


# --- BOPIS ---------------------------------------------------------------------------------------


def test_pickup_orders_go_to_the_chosen_store_even_when_others_are_nearer() -> None:
    candidates = [loc("reno", RENO, {"A": 5}), loc("nyc", NYC, {"A": 5})]

    plan = plan_order(order(("A", 2), pickup_location_id="nyc"), candidates, Policy(max_distance_miles=50))

    assert ships(plan) == [("nyc", (("L1", 2),))]
    assert plan.reason == "Routed to pickup location Nyc: the 1 line in stock"


def test_pickup_short_of_stock_is_unfillable_there_and_never_split_or_rerouted() -> None:
    candidates = [loc("reno", RENO, {"A": 5, "B": 5}), loc("nyc", NYC, {"A": 1, "B": 5})]
    demand = order(("A", 2), ("B", 1), pickup_location_id="nyc")

    plan = plan_order(demand, candidates, Policy(allow_split=True))

    assert plan.shipments == ()
    assert plan.unfillable == (("L1", 1),)
    assert plan.reason == "Pickup location Nyc is short A ×1"


@pytest.mark.parametrize(
    ("candidate", "excluded", "reason"),
    [
        (loc("nyc", NYC, {"A": 5}, active=False), frozenset(), "Pickup location Nyc is inactive"),
        (loc("nyc", NYC, {"A": 5}), frozenset({"nyc"}), "Pickup location Nyc rejected this order"),
        (
            loc("nyc", NYC, {"A": 5}, daily_capacity=3, used_capacity=3),
            frozenset(),
            "Pickup location Nyc is at its daily capacity (3 orders)",
        ),
        (
            loc("other", NYC, {"A": 5}),
            frozenset(),
            "Pickup location nyc is not one of the account's locations",
        ),
    ],
)
def test_pickup_location_that_cannot_take_it(
    candidate: Candidate, excluded: frozenset[str], reason: str
) -> None:
    demand = order(("A", 1), pickup_location_id="nyc", excluded_location_ids=excluded)

    plan = plan_order(demand, [candidate, loc("reno", RENO, {"A": 5})], Policy())

    assert plan.shipments == ()
    assert plan.unfillable == (("L1", 1),)
    assert plan.reason == reason


# --- odds and ends -------------------------------------------------------------------------------


def test_lines_without_quantity_are_ignored() -> None:
    plan = plan_order(order(("A", 0), ("B", 1)), [loc("reno", RENO, {"B": 1})], Policy())
    empty = plan_order(order(("A", 0)), [loc("reno", RENO, {"B": 1})], Policy())

    assert ships(plan) == [("reno", (("L2", 1),))]
    assert empty.shipments == () and empty.unfillable == ()
    assert empty.reason == "Nothing to route: the order has no lines with a quantity"


def test_policy_rejects_unknown_rankings_zero_shipments_and_negative_safety_stock() -> None:
    with pytest.raises(ValueError, match="unknown ranking cheapest"):
        Policy(ranking=("distance", "cheapest"))
    with pytest.raises(ValueError, match="max_shipments"):
        Policy(max_shipments=0)
    with pytest.raises(ValueError, match="safety_stock"):
        Policy(safety_stock=-1)


def test_two_candidates_with_one_location_id_are_refused() -> None:
    twins = [loc("reno", RENO, {"A": 1}), loc("boise", BOISE), loc("reno", NYC, {"A": 1})]

    with pytest.raises(ValueError, match="duplicate candidate location_id: reno"):
        plan_order(order(("A", 1)), twins, Policy())
    with pytest.raises(ValueError, match="duplicate candidate location_id: reno"):
        Ledger(twins)


def test_two_lines_with_one_line_id_are_refused() -> None:
    demand = OrderDemand("o9", (LineDemand("L1", "A", 1), LineDemand("L1", "B", 1)), SF)

    with pytest.raises(ValueError, match="order o9 has two lines with one line_id"):
        plan_order(demand, [loc("reno", RENO, {"A": 1, "B": 1})], Policy())


def test_plan_order_consumes_nothing() -> None:
    candidates = [loc("reno", RENO, {"A": 1}, daily_capacity=1)]

    first = plan_order(order(("A", 1)), candidates, Policy())
    second = plan_order(order(("A", 1)), candidates, Policy())

    assert first == second
    assert candidates[0].available == {"A": 1}


# --- Ledger --------------------------------------------------------------------------------------


def test_ledger_consumes_stock_so_the_next_order_goes_elsewhere() -> None:
    ledger = Ledger([loc("reno", RENO, {"A": 3}, safety_stock=1), loc("nyc", NYC, {"A": 5})])

    first = ledger.plan(order(("A", 2)), Policy())
    second = ledger.plan(order(("A", 2)), Policy())

    assert ships(first) == [("reno", (("L1", 2),))]
    assert ships(second) == [("nyc", (("L1", 2),))]
    assert {c.location_id: dict(c.available) for c in ledger.candidates()} == {
        "reno": {"A": 1},
        "nyc": {"A": 3},
    }


def test_ledger_consumes_daily_capacity_per_shipment() -> None:
    ledger = Ledger(
        [loc("reno", RENO, {"A": 9, "B": 9}, daily_capacity=2, used_capacity=1), loc("nyc", NYC, {"A": 9})]
    )

    first = ledger.plan(order(("A", 1)), Policy())
    second = ledger.plan(order(("A", 1)), Policy())
    third = ledger.plan(order(("B", 1)), Policy())

    assert [s.location_id for s in first.shipments + second.shipments] == ["reno", "nyc"]
    assert third.reason == "No location can fill B ×1 (none in stock); not considered: 1 at daily capacity"
    assert [c.used_capacity for c in ledger.candidates()] == [2, 1]  # counted even where unlimited


def test_ledger_does_not_consume_for_unfillable_plans() -> None:
    ledger = Ledger([loc("reno", RENO, {"A": 1})])

    plan = ledger.plan(order(("A", 2)), Policy())

    assert not plan.routed
    assert dict(ledger.candidates()[0].available) == {"A": 1}


def test_ledger_does_not_touch_the_candidates_it_was_given() -> None:
    stock = {"A": 5}
    ledger = Ledger([loc("reno", RENO, stock)])

    ledger.plan(order(("A", 5)), Policy())

    assert stock == {"A": 5}


SKUS = ("A", "B", "C", "D")
ZIPS = (SF, RENO, NYC, BOISE, None)

candidate_st = st.builds(
    lambda i, zip, stock, safety, cap, used, prio, active: Candidate(
        f"loc{i}", zip, prio, cap, used, dict(zip_(SKUS, stock)), safety, active
    ),
    st.integers(0, 5),
    st.sampled_from(ZIPS),
    st.lists(st.integers(-2, 8), min_size=4, max_size=4),
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(0, 4)),
    st.integers(0, 2),
    st.integers(1, 3),
    st.booleans(),
)


def zip_(a: tuple[str, ...], b: list[int]) -> list[tuple[str, int]]:
    return list(zip(a, b, strict=True))


order_st = st.builds(
    lambda n, lines, pickup, excluded, to: OrderDemand(
        f"o{n}",
        tuple(LineDemand(f"l{i}", sku, qty) for i, (sku, qty) in enumerate(lines)),
        to,
        pickup_location_id=pickup,
        excluded_location_ids=frozenset(excluded),
    ),
    st.integers(0, 10_000),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(0, 6)), min_size=1, max_size=4),
    st.one_of(st.none(), st.sampled_from([f"loc{i}" for i in range(6)])),
    st.sets(st.sampled_from([f"loc{i}" for i in range(6)]), max_size=2),
    st.sampled_from(ZIPS),
)

policy_st = st.builds(
    Policy,
    ranking=st.permutations(["fewest_splits", "distance", "priority", "inventory"]).map(tuple),
    allow_split=st.booleans(),
    max_shipments=st.integers(1, 4),
    safety_stock=st.integers(0, 2),
    max_distance_miles=st.one_of(st.none(), st.sampled_from([100.0, 1000.0])),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(candidate_st, max_size=6, unique_by=lambda c: c.location_id),
    st.lists(order_st, max_size=25),
    policy_st,
)
def test_ledger_never_over_allocates(
    candidates: list[Candidate], orders: list[OrderDemand], policy: Policy
) -> None:
    ledger = Ledger(candidates)
    allocated: Counter[tuple[str, str]] = Counter()
    shipments_per_location: Counter[str] = Counter()

    for demand in orders:
        plan = ledger.plan(demand, policy)
        if not plan.routed:
            assert plan.shipments == ()
            continue
        # a routed plan ships exactly what was asked, each line once per location
        skus = {ln.line_id: ln.sku for ln in demand.lines}
        shipped: Counter[str] = Counter()
        for shipment in plan.shipments:
            assert len({line_id for line_id, _ in shipment.lines}) == len(shipment.lines)
            shipments_per_location[shipment.location_id] += 1
            for line_id, qty in shipment.lines:
                assert qty > 0
                shipped[line_id] += qty
                allocated[(shipment.location_id, skus[line_id])] += qty
        assert shipped == Counter({ln.line_id: ln.quantity for ln in demand.lines if ln.quantity > 0})
        assert len(plan.shipments) <= (policy.max_shipments if policy.allow_split else 1)
        assert len({s.location_id for s in plan.shipments}) == len(plan.shipments)

    for c in candidates:
        for sku in SKUS:
            limit = max(0, c.available.get(sku, 0) - c.safety_stock - policy.safety_stock)
            assert allocated[(c.location_id, sku)] <= limit
        if c.daily_capacity is not None:
            assert shipments_per_location[c.location_id] <= max(0, c.daily_capacity - c.used_capacity)
        if not c.active:
            assert shipments_per_location[c.location_id] == 0
    # and the ledger's own view agrees with what it handed out
    for before, after in zip(candidates, ledger.candidates(), strict=True):
        assert after.used_capacity == before.used_capacity + shipments_per_location[before.location_id]
        for sku in SKUS:
            assert (
                after.available.get(sku, 0)
                == before.available.get(sku, 0) - allocated[(before.location_id, sku)]
            )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(candidate_st, max_size=6, unique_by=lambda c: c.location_id), order_st, policy_st, st.randoms()
)
def test_plans_are_deterministic_whatever_the_candidate_order(
    candidates: list[Candidate], demand: OrderDemand, policy: Policy, rnd: random.Random
) -> None:
    shuffled = list(candidates)
    rnd.shuffle(shuffled)

    assert plan_order(demand, candidates, policy) == plan_order(demand, shuffled, policy)


@settings(max_examples=200, deadline=None)
@given(st.lists(candidate_st, max_size=6, unique_by=lambda c: c.location_id), order_st, policy_st)
def test_a_plan_is_either_fully_routed_or_explains_what_is_short(
    candidates: list[Candidate], demand: OrderDemand, policy: Policy
) -> None:
    plan = plan_order(demand, candidates, policy)

    assert plan.reason
    if plan.shipments:
        assert plan.unfillable == ()
    elif any(ln.quantity > 0 for ln in demand.lines):
        assert plan.unfillable
        wanted = {ln.line_id: ln.quantity for ln in demand.lines}
        assert all(0 < short <= wanted[line_id] for line_id, short in plan.unfillable)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 8), max_size=4), min_size=1, max_size=6),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 8)), min_size=1, max_size=5),
)
def test_with_enough_shipments_a_split_fills_whatever_the_locations_hold_together(
    stocks: list[dict[str, int]], wanted: list[tuple[str, int]]
) -> None:
    candidates = [loc(f"loc{i}", ZIPS[i % len(ZIPS)], stock) for i, stock in enumerate(stocks)]
    demand = order(*wanted)
    need: Counter[str] = Counter()
    for sku, qty in wanted:
        need[sku] += qty

    plan = plan_order(demand, candidates, Policy(allow_split=True, max_shipments=len(candidates)))

    enough = all(sum(s.get(sku, 0) for s in stocks) >= qty for sku, qty in need.items())
    assert plan.routed == enough, plan.reason
