"""856 advance ship notices: one shipment, one order, one pack (the ShipmentNotice's tracking number).

Hierarchy: HL*1**S shipment (TD1, TD5, REF, DTM*011, N1 loops) > HL*2*1*O order (PRF) > HL*3*2*P pack
(MAN) > HL*n*3*I items (LIN, SN1), then CTT with the HL count. A multi-carton shipment needs one pack
per carton; ShipmentNotice carries one tracking number, so it is one pack here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from warpware.connectors.base import Address, LineItem, NormalizedOrder, ShipmentNotice
from warpware.connectors.edi.writer import OutboundSet, RawSegment, x12_decimal, x12_text
from warpware.connectors.edi.x12 import DEFAULT_SEPARATORS, Separators, X12Error

# Parcel carriers by normalised name. FedEx has two SCACs: Ground/Home Delivery vs Express.
_SCAC_BY_PREFIX = (
    ("UPS", "UPSN"),
    ("UNITEDPARCEL", "UPSN"),
    ("USPS", "USPS"),
    ("UNITEDSTATESPOSTAL", "USPS"),
    ("DHL", "DHLC"),
)
_KNOWN_SCACS = frozenset({"UPSN", "FDEG", "FDE", "USPS", "DHLC"})
_FEDEX_GROUND_WORDS = ("GROUND", "HOME")
_SCAC_MAX = 4
_LIN_QUALIFIERS = ("VP", "UP", "SK", "BP", "IN")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def carrier_scac(carrier: str | None, service_level: str | None = None) -> str | None:
    """The SCAC for a carrier name: UPS→UPSN, FedEx→FDEG (ground) or FDE, USPS→USPS, DHL→DHLC.

    An unknown name is passed on upper-cased and cut to four characters, the SCAC width: a partner's
    reject names it, which beats guessing a code.
    """
    if not carrier:
        return None
    name = _NOT_ALNUM.sub("", carrier.upper())
    if not name:
        return None
    if name in _KNOWN_SCACS:
        return name
    if name.startswith("FEDEX") or name.startswith("FDX"):
        words = name + _NOT_ALNUM.sub("", (service_level or "").upper())
        return "FDEG" if any(w in words for w in _FEDEX_GROUND_WORDS) else "FDE"
    for prefix, scac in _SCAC_BY_PREFIX:
        if name.startswith(prefix):
            return scac
    return name[:_SCAC_MAX]


@dataclass(frozen=True, slots=True)
class AsnPurchaseOrder:
    """What the 856 echoes from the original 850: PO number and date, ship-to, lines and their ids."""

    po_number: str
    ship_to: Address
    lines: tuple[LineItem, ...]
    # Per line, in line order: every product id the 850 sent ({"VP": ..., "UP": ...}).
    product_ids: tuple[Mapping[str, str], ...] = ()
    ship_to_location: str | None = None
    ship_to_location_qualifier: str = "92"
    po_date: dt.date | None = None

    @classmethod
    def from_order(cls, order: NormalizedOrder) -> AsnPurchaseOrder:
        """From an order parsed by parse_850 (its metadata keeps what the 850 had beyond the DTOs)."""
        meta = order.metadata
        return cls(
            po_number=order.channel_order_id or order.external_id,
            ship_to=order.shipping_address,
            lines=order.line_items,
            product_ids=tuple(meta.get("line_product_ids", ())),
            ship_to_location=meta.get("ship_to_location"),
            ship_to_location_qualifier=meta.get("ship_to_location_qualifier") or "92",
            po_date=order.order_date,
        )


def build_856(
    notice: ShipmentNotice,
    po: AsnPurchaseOrder,
    *,
    shipment_id: str,
    control_number: str,
    created_at: dt.datetime,
    ship_from: Address | None = None,
    weight_lb: Decimal | None = None,
    bill_of_lading: str | None = None,
    sscc: str | None = None,
    separators: Separators = DEFAULT_SEPARATORS,
) -> OutboundSet:
    """The 856 for a shipment of `po`. Shipped lines are the notice's, or all PO lines when it has none."""

    def text(value: str | None) -> str:
        return x12_text(value, separators)

    shipped = notice.line_items or po.lines
    if not shipped:
        raise X12Error(f"ship notice for PO {po.po_number} has no lines to report")
    shipped_at = notice.shipped_at or created_at
    body: list[RawSegment] = [
        ("BSN", "00", text(shipment_id), created_at.strftime("%Y%m%d"), created_at.strftime("%H%M"), "0001"),
        ("HL", "1", "", "S", "1"),
    ]
    packaging = ["TD1", "CTN25", "1"]
    if weight_lb is not None:
        packaging += ["", "", "", "G", x12_decimal(weight_lb), "LB"]
    body.append(tuple(packaging))
    scac = carrier_scac(notice.carrier, notice.service_level)
    if scac or notice.service_level:
        body.append(("TD5", "", "2" if scac else "", scac or "", "", text(notice.service_level)))
    if bill_of_lading:
        body.append(("REF", "BM", text(bill_of_lading)))
    body.append(("DTM", "011", shipped_at.strftime("%Y%m%d"), shipped_at.strftime("%H%M")))
    body.extend(
        _party(
            "ST",
            po.ship_to,
            po.ship_to_location_qualifier if po.ship_to_location else "",
            po.ship_to_location or "",
            separators,
        )
    )
    if ship_from is not None:
        body.extend(_party("SF", ship_from, "", "", separators))
    body.append(("HL", "2", "1", "O", "1"))
    body.append(("PRF", text(po.po_number), "", "", po.po_date.strftime("%Y%m%d") if po.po_date else ""))
    body.append(("HL", "3", "2", "P", "1"))
    if sscc:
        body.append(("MAN", "GM", text(sscc)))
    body.append(("MAN", "SM", text(notice.tracking_number)))
    hl = 3
    for line in shipped:
        hl += 1
        body.append(("HL", str(hl), "3", "I", "0"))
        lin: list[str] = ["LIN", text(line.channel_line_id)]
        for qualifier, value in _echoed_ids(line, po):
            lin += [qualifier, text(value)]
        body.append(tuple(lin))
        body.append(("SN1", "", str(line.quantity), line.uom or "EA"))
        if line.name:
            body.append(("PID", "F", "", "", "", x12_text(line.name, separators, max_length=80)))
    body.append(("CTT", str(hl)))
    return OutboundSet("856", control_number, tuple(body))


def _party(
    code: str, address: Address, id_qualifier: str, id_code: str, separators: Separators
) -> list[RawSegment]:
    segments: list[RawSegment] = [
        ("N1", code, x12_text(address.name, separators), id_qualifier, x12_text(id_code, separators))
    ]
    if address.company:
        segments.append(("N2", x12_text(address.company, separators)))
    segments += [
        (
            "N3",
            x12_text(address.address1, separators, max_length=55),
            x12_text(address.address2, separators, max_length=55),
        ),
        (
            "N4",
            x12_text(address.city, separators, max_length=30),
            x12_text(address.state, separators),
            x12_text(address.zip, separators),
            x12_text(address.country, separators),
        ),
    ]
    return segments


def _echoed_ids(line: LineItem, po: AsnPurchaseOrder) -> list[tuple[str, str]]:
    """The product ids the buyer sent for this line, VP and UP first; VP*sku when the PO line is unknown.

    Echoing the buyer's own qualifiers matters when the SKU came from a UPC or buyer part: calling that
    value VP would misstate it.
    """
    for index, po_line in enumerate(po.lines):
        # Match the shipped line to its PO line by PO101 when both have one, else by SKU.
        both_have_ids = bool(line.channel_line_id and po_line.channel_line_id)
        same = line.channel_line_id == po_line.channel_line_id if both_have_ids else line.sku == po_line.sku
        if same and index < len(po.product_ids) and po.product_ids[index]:
            ids = po.product_ids[index]
            echoed = [(q, ids[q]) for q in _LIN_QUALIFIERS if ids.get(q)]
            if echoed:
                return echoed
    return [("VP", line.sku)]
