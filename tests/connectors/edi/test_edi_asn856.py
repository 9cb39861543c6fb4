"""856 ship notices: the exact document, the HL hierarchy, carrier SCACs, a round trip through our reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from warpware.connectors.base import Address, LineItem, NormalizedOrder, ShipmentNotice
from warpware.connectors.edi import (
    AsnPurchaseOrder,
    OutboundGroup,
    Party,
    X12Error,
    build_856,
    carrier_scac,
    parse_850,
    parse_interchanges,
    write_interchange,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "edi"
CREATED = dt.datetime(2026, 1, 17, 17, 0)


def second_po() -> NormalizedOrder:
    return parse_850((FIXTURES / "850_two_pos.edi").read_bytes().decode("ascii"))[1]


def notice_for(order: NormalizedOrder, lines: tuple[LineItem, ...] = (), carrier: str | None = "UPS",
               service_level: str | None = "Ground") -> ShipmentNotice:
    return ShipmentNotice(order_id="ord_1", external_id=order.external_id,
                          channel_order_id=order.channel_order_id, carrier=carrier,
                          tracking_number="1Z999AA10123456784", service_level=service_level,
                          shipped_at=dt.datetime(2026, 1, 17, 16, 45), line_items=lines)


def asn_text(order: NormalizedOrder, notice: ShipmentNotice, **kwargs: object) -> str:
    asn = build_856(notice, AsnPurchaseOrder.from_order(order), shipment_id="SH-1001", control_number="0001",
                    created_at=CREATED, **kwargs)  # type: ignore[arg-type]
    return write_interchange([OutboundGroup("SH", 2, (asn,))], sender=Party("ZZ", "WARPWARE"),
                             receiver=Party("ZZ", "ACMERETAIL"), control_number=2, created_at=CREATED,
                             line_break="\n")


def test_full_856_for_a_partial_shipment() -> None:
    order = second_po()
    notice = notice_for(order, lines=(order.line_items[0], order.line_items[2]))
    text = asn_text(order, notice, weight_lb=Decimal("12.40"), bill_of_lading="BOL-55",
                    sscc="00106141411234567891",
                    ship_from=Address(name="WARPWARE DC", address1="1 DOCK RD", city="RENO", state="NV",
                                      zip="89502"))
    assert text.split("\n")[1:-1] == [
        "GS*SH*WARPWARE*ACMERETAIL*20260117*1700*2*X*004010~",
        "ST*856*0001~",
        "BSN*00*SH-1001*20260117*1700*0001~",
        "HL*1**S*1~",
        "TD1*CTN25*1****G*12.4*LB~",
        "TD5**2*UPSN**Ground~",
        "REF*BM*BOL-55~",
        "DTM*011*20260117*1645~",
        "N1*ST*MARIA GARCIA*92*DC-7~",
        "N2*GARCIA DESIGN STUDIO~",
        "N3*2500 OAK AVENUE*SUITE 310~",
        "N4*AUSTIN*TX*78701*US~",
        "N1*SF*WARPWARE DC~",
        "N3*1 DOCK RD~",
        "N4*RENO*NV*89502*US~",
        "HL*2*1*O*1~",
        "PRF*PO-778813***20260116~",
        "HL*3*2*P*1~",
        "MAN*GM*00106141411234567891~",
        "MAN*SM*1Z999AA10123456784~",
        "HL*4*3*I*0~",
        "LIN*10*VP*SKU-TOWEL-SET*UP*036000291452*BP*ACME-55102~",
        "SN1**3*CA~",
        "PID*F****BATH TOWEL SET OF 6~",
        "HL*5*3*I*0~",
        # The SKU of line 30 is the buyer's UPC: it is echoed as UP, never relabelled VP.
        "LIN*30*UP*012345678912*IN*ACME-77~",
        "SN1**2*EA~",
        "PID*F****GIFT CARD~",
        "CTT*5~",
        "SE*29*0001~",
        "GE*1*2~",
        "IEA*1*000000002~",
    ]


def test_hierarchy_parents_and_counts_after_round_trip() -> None:
    # Given the whole PO shipped in one parcel (the notice lists no lines)
    order = second_po()
    text = asn_text(order, notice_for(order))
    # When our own reader takes the 856 back
    [interchange] = parse_interchanges(text)
    [group] = interchange.groups
    [asn] = group.transaction_sets
    # Then the envelopes check out and every HL points at the right parent
    assert interchange.problems() == []
    assert (group.functional_id, asn.id, asn.control_number) == ("SH", "856", "0001")
    hls = [(s.get(1), s.get(2), s.get(3)) for s in asn.body if s.id == "HL"]
    assert hls == [("1", "", "S"), ("2", "1", "O"), ("3", "2", "P"), ("4", "3", "I"), ("5", "3", "I"),
                   ("6", "3", "I")]
    [ctt] = [s for s in asn.body if s.id == "CTT"]
    assert ctt.get(1) == "6"
    sn1 = [s.elements[1:] for s in asn.body if s.id == "SN1"]
    assert sn1 == [("", "3", "CA"), ("", "1", "EA"), ("", "2", "EA")]
    assert asn.segments[-1].elements == ("SE", str(len(asn.segments)), "0001")


def test_notice_without_po_metadata_falls_back_to_vp_sku() -> None:
    order = NormalizedOrder(external_id="WEB-1", source="edi",
                            line_items=(LineItem(sku="SKU-9", quantity=1),),
                            shipping_address=Address(name="A B", address1="1 X ST", city="Y", state="IL",
                                                     zip="60601"))
    text = asn_text(order, notice_for(order, carrier=None, service_level=None))
    assert "LIN**VP*SKU-9~" in text
    assert "TD5" not in text
    assert "N1*ST*A B~" in text
    assert "PRF*WEB-1~" in text


def test_free_text_with_separators_is_cleaned() -> None:
    order = second_po()
    address = Address(name="O*Brien ~ Sons", address1="1 X ST", city="Y", state="IL", zip="60601")
    po = AsnPurchaseOrder(po_number="PO-1", ship_to=address, lines=order.line_items)
    asn = build_856(notice_for(order), po, shipment_id="SH-2", control_number="0002", created_at=CREATED)
    assert ("N1", "ST", "O Brien Sons", "", "") in asn.body


def test_nothing_to_ship_is_an_error() -> None:
    order = second_po()
    po = AsnPurchaseOrder(po_number="PO-1", ship_to=order.shipping_address, lines=())
    with pytest.raises(X12Error) as caught:
        build_856(notice_for(order), po, shipment_id="SH-3", control_number="0003", created_at=CREATED)
    assert str(caught.value) == "ship notice for PO PO-1 has no lines to report"


@pytest.mark.parametrize(("carrier", "service", "scac"), [
    ("UPS", None, "UPSN"),
    ("ups", "2nd Day Air", "UPSN"),
    ("FedEx", "Ground", "FDEG"),
    ("FedEx", "Home Delivery", "FDEG"),
    ("fedex_ground", None, "FDEG"),
    ("FedEx", "Priority Overnight", "FDE"),
    ("FedEx", None, "FDE"),
    ("USPS", "Priority Mail", "USPS"),
    ("United States Postal Service", None, "USPS"),
    ("DHL", None, "DHLC"),
    ("DHL eCommerce", None, "DHLC"),
    ("UPSN", None, "UPSN"),
    ("OnTrac", None, "ONTR"),
    ("A-1 Freight", None, "A1FR"),
    (None, "Ground", None),
    ("", None, None),
])
def test_carrier_scac(carrier: str | None, service: str | None, scac: str | None) -> None:
    assert carrier_scac(carrier, service) == scac
