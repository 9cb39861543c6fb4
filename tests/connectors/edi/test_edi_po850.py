"""850 purchase orders to NormalizedOrder: field by field, the rejections, and a generated round trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.connectors.edi import (
    OutboundGroup,
    OutboundSet,
    Party,
    X12Error,
    build_850,
    check_850,
    parse_850,
    read_interchanges,
    write_interchange,
)
from warpware.connectors.edi.writer import RawSegment

FIXTURES = Path(__file__).parents[2] / "fixtures" / "edi"
CREATED = dt.datetime(2026, 1, 15, 10, 30)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("ascii")


def interchange_of(*bodies: tuple[RawSegment, ...]) -> str:
    """An otherwise valid interchange around the given 850 bodies, so each test varies one thing."""
    sets = tuple(OutboundSet("850", f"{n:04d}", body) for n, body in enumerate(bodies, start=1))
    return write_interchange([OutboundGroup("PO", 5, sets)], sender=Party("ZZ", "ACMERETAIL"),
                             receiver=Party("ZZ", "WARPWARE"), control_number=5, created_at=CREATED,
                             line_break="\n")


GOOD_BODY: tuple[RawSegment, ...] = (
    ("BEG", "00", "SA", "PO-1", "", "20260115"),
    ("N1", "ST", "JOHN SMITH"),
    ("N3", "100 MAIN ST"),
    ("N4", "SPRINGFIELD", "IL", "62701"),
    ("PO1", "1", "2", "EA", "9.99", "", "VP", "SKU-1"),
    ("CTT", "1"),
)


def replace(body: tuple[RawSegment, ...], seg_id: str, new: RawSegment | None) -> tuple[RawSegment, ...]:
    out = [new if seg[0] == seg_id else seg for seg in body]
    return tuple(seg for seg in out if seg is not None)


def test_first_purchase_order_field_by_field() -> None:
    first, _ = parse_850(fixture("850_two_pos.edi"))
    assert first.external_id == "PO-778812"
    assert first.channel_order_id == "PO-778812"
    assert first.source == "edi"
    assert first.tags == ()
    assert first.order_date == dt.date(2026, 1, 15)
    assert first.customer_name == "JANE BUYER"
    assert first.customer_email == "jane@example.com"
    assert first.service_level == "GROUND"
    assert first.carrier is None
    assert first.note is None
    assert first.shipping_address == Address(name="JOHN SMITH", address1="100 MAIN ST", address2="APT 4B",
                                             city="SPRINGFIELD", state="IL", zip="62701", country="US")
    assert first.line_items == (
        LineItem(sku="SKU-RED-M", quantity=8, price=Decimal("12.50"), name="RED TEE MEDIUM", uom="EA",
                 channel_line_id="1"),
        LineItem(sku="SKU-MUG-01", quantity=4, price=Decimal("30"), name="CERAMIC MUG", uom="EA",
                 channel_line_id="2"),
    )
    assert str(first.line_items[0].price) == "12.50"  # exactly as sent, not a float's idea of it
    assert first.metadata == {
        "po_purpose": "00", "po_type": "DS", "ref_CO": "WEB-10045", "ref_DP": "042",
        "contact_phone": "5555550100", "requested_ship_date": "2026-01-17", "total_amount": "220",
        "ship_to_location": "STORE-042", "ship_to_location_qualifier": "92",
        "line_product_ids": [{"VP": "SKU-RED-M", "UP": "012345678905"}, {"VP": "SKU-MUG-01"}],
        "edi": {"sender": {"qualifier": "ZZ", "id": "ACMERETAIL"},
                "receiver": {"qualifier": "ZZ", "id": "WARPWARE"}, "interchange_control": "000000123",
                "functional_id": "PO", "group_control": "123",
                "version": "004010", "set_control": "0001"},
    }


def test_second_purchase_order_company_carrier_and_qualifier_preference() -> None:
    _, second = parse_850(fixture("850_two_pos.edi"))
    assert second.external_id == "PO-778813"
    assert second.order_date == dt.date(2026, 1, 16)
    assert (second.customer_name, second.customer_email) == ("MARIA GARCIA", "maria.garcia@example.net")
    assert (second.carrier, second.service_level) == ("UPSN", "UPS NEXT DAY AIR")
    assert second.shipping_address == Address(name="MARIA GARCIA", company="GARCIA DESIGN STUDIO",
                                              address1="2500 OAK AVENUE", address2="SUITE 310", city="AUSTIN",
                                              state="TX", zip="78701", country="US")
    # VP beats UP on line 10; SK is the only id on line 20; UP beats IN on line 30.
    assert second.line_items == (
        LineItem(sku="SKU-TOWEL-SET", quantity=3, price=Decimal("104.99"), name="BATH TOWEL SET OF 6",
                 uom="CA", channel_line_id="10"),
        LineItem(sku="SKU-STICKER", quantity=1, price=Decimal("0.99"), name=None, uom="EA",
                 channel_line_id="20"),
        LineItem(sku="012345678912", quantity=2, price=Decimal("7.5"), name="GIFT CARD", uom="EA",
                 channel_line_id="30"),
    )
    assert second.metadata["parties"] == {
        "BT": {"name": "ACME RETAIL HQ", "id_qualifier": "92", "id": "HQ-001"}}
    assert second.metadata["service_level_code"] == "ND"
    assert second.metadata["line_product_ids"][0] == {"UP": "036000291452", "VP": "SKU-TOWEL-SET",
                                                      "BP": "ACME-55102"}
    assert "total_amount" not in second.metadata


def test_partner_specific_qualifier_preference() -> None:
    first, second = parse_850(fixture("850_two_pos.edi"), item_qualifiers=("BP", "IN", "SK", "VP"))
    assert [line.sku for line in first.line_items] == ["SKU-RED-M", "SKU-MUG-01"]
    assert [line.sku for line in second.line_items] == ["ACME-55102", "SKU-STICKER", "ACME-77"]


def test_00501_with_ow_functional_id_parses() -> None:
    [order] = parse_850(fixture("850_00501_crlf.edi"))
    assert order.external_id == "GX-2026-0042"
    assert order.line_items == (LineItem(sku="WIDGET-BLUE", quantity=24, price=Decimal("3.125"),
                                         name="BLUE WIDGET", uom="EA", channel_line_id="1"),)
    assert order.shipping_address == Address(name="GLOBEX WAREHOUSE 3", address1="77 INDUSTRIAL PKWY",
                                             city="RENO", state="NV", zip="89502", country="US")
    assert order.metadata["edi"]["functional_id"] == "OW"
    assert order.metadata["edi"]["version"] == "005010"
    assert order.metadata["edi"]["receiver"] == {"qualifier": "12", "id": "8005550199"}


@pytest.mark.parametrize(("name", "reason"), [
    ("850_missing_ship_to.edi", "transaction set 0002 (ST at segment 20) has no N1*ST ship-to party"),
    ("850_ctt_mismatch.edi",
     "transaction set 0001: CTT01 says 3 line items but there are 2 PO1 segments (segment 17)"),
])
def test_mapping_errors_reject_the_whole_interchange(name: str, reason: str) -> None:
    with pytest.raises(X12Error) as caught:
        parse_850(fixture(name))
    assert str(caught.value) == reason


def test_check_850_reports_mapping_errors_per_set() -> None:
    [interchange] = read_interchanges(fixture("850_ctt_mismatch.edi"))
    errors = check_850(interchange)
    assert list(errors) == [("123", "0001")]
    error = errors[("123", "0001")]
    assert (error.segment_id, error.position, error.set_position, error.code) == ("CTT", 17, 15, "5")


@pytest.mark.parametrize(("body", "reason"), [
    (replace(GOOD_BODY, "PO1", ("PO1", "1", "2.5", "EA", "9.99", "", "VP", "SKU-1")),
     "transaction set 0001: PO102 quantity '2.5' is not a positive whole number (segment 8)"),
    (replace(GOOD_BODY, "PO1", ("PO1", "1", "0", "EA", "9.99", "", "VP", "SKU-1")),
     "transaction set 0001: PO102 quantity '0' is not a positive whole number (segment 8)"),
    (replace(GOOD_BODY, "PO1", ("PO1", "1", "", "EA", "9.99", "", "VP", "SKU-1")),
     "transaction set 0001: PO102 quantity '' is not a positive whole number (segment 8)"),
    (replace(GOOD_BODY, "PO1", ("PO1", "1", "2", "EA", "1E3", "", "VP", "SKU-1")),
     "transaction set 0001: PO104 unit price '1E3' is not a decimal number (segment 8)"),
    (replace(GOOD_BODY, "PO1", ("PO1", "1", "2", "EA", "9.99", "", "UK", "00012345600012")),
     "transaction set 0001: PO1 has no product id qualified VP/SK/UP/BP/IN (found: UK) (segment 8)"),
    (replace(GOOD_BODY, "PO1", None), "transaction set 0001 (ST at segment 3) has no PO1 line items"),
    (replace(GOOD_BODY, "BEG", None), "transaction set 0001 (ST at segment 3) has no BEG segment"),
    (replace(GOOD_BODY, "BEG", ("BEG", "00", "SA", "", "", "20260115")),
     "transaction set 0001: BEG03 purchase order number is empty (segment 4)"),
    (replace(GOOD_BODY, "BEG", ("BEG", "00", "SA", "PO-1", "", "20260231")),
     "transaction set 0001: BEG05 order date '20260231' is not a CCYYMMDD date (segment 4)"),
    (replace(GOOD_BODY, "N3", None),
     "transaction set 0001: N1*ST ship-to has no N3 street address (segment 5)"),
    (replace(GOOD_BODY, "N4", ("N4", "SPRINGFIELD", "IL")),
     "transaction set 0001: N4 needs a city, and a state and zip for a US address (segment 7)"),
    (replace(GOOD_BODY, "CTT", ("CTT", "1", "3")),
     "transaction set 0001: CTT02 hash total 3 does not match the 2 units ordered on PO1 lines (segment 9)"),
    ((*GOOD_BODY[:5], ("SDQ", "EA", "92", "STORE-1", "2"), GOOD_BODY[5]),
     "transaction set 0001: destination quantities (SDQ) are not supported (segment 9)"),
    ((*GOOD_BODY[:5], ("N1", "ST", "OTHER"), GOOD_BODY[5]),
     "transaction set 0001: line-level ship-to (N1*ST after PO1) is not supported (segment 9)"),
])
def test_missing_or_bad_data_names_the_set_and_segment(body: tuple[RawSegment, ...], reason: str) -> None:
    with pytest.raises(X12Error) as caught:
        parse_850(interchange_of(body))
    assert str(caught.value) == reason


def test_not_an_850() -> None:
    text = interchange_of(GOOD_BODY).replace("ST*850*0001", "ST*855*0001")
    with pytest.raises(X12Error) as caught:
        parse_850(text)
    assert str(caught.value) == "transaction set 0001: is a 855 transaction set, not an 850 (segment 3)"


def test_ship_to_contact_goes_on_the_address_and_notes_are_kept() -> None:
    body = (GOOD_BODY[0], ("NTE", "GEN", "LEAVE AT BACK DOOR"), *GOOD_BODY[1:4],
            ("PER", "IC", "", "TE", "5555550111", "EM", "john@example.com"), *GOOD_BODY[4:])
    [order] = parse_850(interchange_of(body))
    assert (order.shipping_address.phone, order.shipping_address.email) == ("5555550111", "john@example.com")
    assert (order.customer_name, order.customer_email) == (None, None)
    assert order.note == "LEAVE AT BACK DOOR"


# --- generated round trip: build_850 -> write_interchange -> parse_850 -----------------------------------

_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.#/&,'", min_size=1, max_size=40).map(
    lambda s: " ".join(s.split())).filter(bool)
_CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)
_PRICE = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=2, allow_nan=False,
                     allow_infinity=False)


@st.composite
def orders(draw: st.DrawFn) -> NormalizedOrder:
    count = draw(st.integers(min_value=1, max_value=6))
    skus = draw(st.lists(_CODE, min_size=count, max_size=count, unique=True))
    lines = tuple(LineItem(sku=sku, quantity=draw(st.integers(min_value=1, max_value=9999)),
                           price=draw(st.none() | _PRICE), name=draw(st.none() | _TEXT),
                           uom=draw(st.sampled_from(["EA", "CA", "BX"])), channel_line_id=str(n))
                  for n, sku in enumerate(skus, start=1))
    upcs = [draw(st.none() | st.from_regex(r"\A[0-9]{12}\Z")) for _ in lines]
    address = Address(name=draw(_TEXT), address1=draw(_TEXT), address2=draw(st.none() | _TEXT),
                      city=draw(_TEXT), state=draw(st.sampled_from(["IL", "TX", "NV", "NY"])),
                      zip=draw(st.from_regex(r"\A[0-9]{5}\Z")), company=draw(st.none() | _TEXT))
    metadata = {"po_purpose": "00", "po_type": draw(st.sampled_from(["SA", "DS"])),
                "ref_CO": draw(_CODE),
                "line_product_ids": [{"VP": line.sku, **({"UP": upc} if upc else {})}
                                     for line, upc in zip(lines, upcs, strict=True)]}
    return NormalizedOrder(
        external_id=draw(_CODE), source="edi", line_items=lines, shipping_address=address,
        customer_name=draw(st.none() | _TEXT), metadata=metadata,
        customer_email=draw(st.none() | st.from_regex(r"\A[a-z]{1,10}@example\.com\Z")),
        service_level=draw(st.none() | _TEXT), carrier=draw(st.none() | st.sampled_from(["UPSN", "FDEG"])),
        order_date=draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(orders(), min_size=1, max_size=3))
def test_generated_orders_round_trip(generated: list[NormalizedOrder]) -> None:
    text = interchange_of(*[build_850(order, control_number="0001").body for order in generated])
    parsed = parse_850(text)
    assert len(parsed) == len(generated)
    for original, back in zip(generated, parsed, strict=True):
        assert back.external_id == original.external_id
        assert back.channel_order_id == original.external_id
        assert back.order_date == original.order_date
        assert back.line_items == original.line_items
        assert back.shipping_address == original.shipping_address
        assert (back.customer_name, back.customer_email) == (original.customer_name, original.customer_email)
        assert (back.carrier, back.service_level) == (original.carrier, original.service_level)
        edi_only = {"edi", "ship_to_location", "ship_to_location_qualifier"}
        assert {k: v for k, v in back.metadata.items() if k not in edi_only} == original.metadata
