"""850 purchase orders to NormalizedOrder, and the reverse builder (for tests, the bench and the sandbox).

Metadata an order from an 850 carries (JSON-safe: dates as ISO text, amounts as decimal text):
  po_purpose (BEG01), po_type (BEG02: SA stand-alone, DS drop-ship), release_number (BEG04),
  ref_<qualifier> (REF02, or REF03 when REF02 is empty), ship_to_location[_qualifier] (N1*ST 04/03),
  parties (other N1 loops: {"BT": {"name", "id_qualifier", "id"}}), contact_phone (PER TE),
  service_level_code (TD512), requested_ship_date / requested_delivery_date / ship_not_before /
  ship_no_later / dtm_<qualifier> (DTM), total_amount (AMT*TT), line_product_ids (one {qualifier: id}
  per line, in line order: LineItem has no room for UPCs, and the 856 echoes them), and edi (envelope
  ids a 997 or 856 reply needs).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from warpware.connectors.base import Address, LineItem, NormalizedOrder
from warpware.connectors.edi.writer import OutboundSet, RawSegment, x12_decimal, x12_text
from warpware.connectors.edi.x12 import (
    DEFAULT_SEPARATORS,
    FunctionalGroup,
    Interchange,
    Segment,
    Separators,
    TransactionSet,
    X12Error,
    parse_interchanges,
)

SOURCE = "edi"
# Which PO1 product id becomes the SKU, most preferred first. Partners differ; connections override it.
DEFAULT_ITEM_QUALIFIERS: tuple[str, ...] = ("VP", "SK", "UP", "BP", "IN")
# (GS06, ST02): a transaction set's identity inside one interchange.
SetKey = tuple[str, str]

_DTM_NAMES = {
    "002": "requested_delivery_date",
    "010": "requested_ship_date",
    "037": "ship_not_before",
    "038": "ship_no_later",
}
_WHOLE_NUMBER = re.compile(r"\d+(\.0*)?")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_DATE = re.compile(r"\d{8}")


def parse_850(
    text: str, *, item_qualifiers: Sequence[str] = DEFAULT_ITEM_QUALIFIERS
) -> list[NormalizedOrder]:
    """Every purchase order in the input, or X12Error: a malformed interchange is rejected whole.

    GS01 is not checked (partners send PO or OW); every transaction set must be an 850.
    """
    orders: list[NormalizedOrder] = []
    for interchange in parse_interchanges(text):
        for group in interchange.groups:
            for ts in group.transaction_sets:
                orders.append(
                    order_from_850(ts, group=group, interchange=interchange, item_qualifiers=item_qualifiers)
                )
    return orders


def check_850(
    interchange: Interchange, *, item_qualifiers: Sequence[str] = DEFAULT_ITEM_QUALIFIERS
) -> dict[SetKey, X12Error]:
    """The mapping error of each transaction set that cannot become an order, for a 997 to report.

    Sets that already failed envelope checks are skipped: their envelope errors say enough.
    """
    errors: dict[SetKey, X12Error] = {}
    for group in interchange.groups:
        for ts in group.transaction_sets:
            if ts.errors:
                continue
            try:
                order_from_850(ts, group=group, interchange=interchange, item_qualifiers=item_qualifiers)
            except X12Error as exc:
                errors[(group.control_number, ts.control_number)] = exc
    return errors


@dataclass
class _PartyLoop:
    code: str
    name: str
    id_qualifier: str
    id: str
    start: Segment
    company: str | None = None
    streets: list[str] = field(default_factory=list)
    place: Segment | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class _LineDraft:
    item: LineItem
    product_ids: dict[str, str]
    descriptions: list[str] = field(default_factory=list)

    def finish(self) -> LineItem:
        if not self.descriptions:
            return self.item
        return LineItem(
            sku=self.item.sku,
            quantity=self.item.quantity,
            price=self.item.price,
            name=" ".join(self.descriptions),
            uom=self.item.uom,
            channel_line_id=self.item.channel_line_id,
        )


def order_from_850(
    ts: TransactionSet,
    *,
    group: FunctionalGroup,
    interchange: Interchange,
    item_qualifiers: Sequence[str] = DEFAULT_ITEM_QUALIFIERS,
) -> NormalizedOrder:
    """One 850 transaction set as a NormalizedOrder; X12Error names the set and segment when it cannot."""
    return _OrderReader(ts, item_qualifiers).read(group, interchange)


class _OrderReader:
    def __init__(self, ts: TransactionSet, item_qualifiers: Sequence[str]) -> None:
        self.ts = ts
        self.item_qualifiers = tuple(item_qualifiers)
        self.metadata: dict[str, Any] = {}
        self.parties: dict[str, dict[str, str]] = {}
        self.notes: list[str] = []
        self.customer_name: str | None = None
        self.customer_email: str | None = None
        self.carrier: str | None = None
        self.service_level: str | None = None
        self.beg: Segment | None = None
        self.ship_to: _PartyLoop | None = None
        self.lines: list[_LineDraft] = []
        self.ctt: Segment | None = None

    def fail(self, seg: Segment | None, problem: str) -> X12Error:
        st = self.ts.segments[0]
        if seg is None:
            return X12Error(
                f"transaction set {self.ts.control_number} (ST at segment {st.position}) {problem}",
                segment_id="ST",
                position=st.position,
                code="5",
            )
        return X12Error(
            f"transaction set {self.ts.control_number}: {problem} (segment {seg.position})",
            segment_id=seg.id,
            position=seg.position,
            set_position=seg.position - st.position + 1,
            code="5",
        )

    def read(self, group: FunctionalGroup, interchange: Interchange) -> NormalizedOrder:
        st = self.ts.segments[0]
        if self.ts.id != "850":
            raise self.fail(st, f"is a {self.ts.id} transaction set, not an 850")
        party: _PartyLoop | None = None
        for seg in self.ts.body:
            sid = seg.id
            if sid == "PO1":
                self.lines.append(self._line(seg))
                party = None
            elif sid == "PID":
                if self.lines and self.ctt is None and seg.get(1) == "F" and seg.get(5).strip():
                    self.lines[-1].descriptions.append(seg.get(5).strip())
            elif sid == "CTT":
                self.ctt = seg
            elif sid == "AMT":
                if seg.get(1) == "TT":
                    self.metadata["total_amount"] = self._decimal(seg, 2, "AMT02 total amount")
            elif self.lines:
                # Detail-level loops we cannot honour must stop the order, not be dropped silently.
                if sid == "N1" and seg.get(1) == "ST":
                    raise self.fail(seg, "line-level ship-to (N1*ST after PO1) is not supported")
                if sid == "SDQ":
                    raise self.fail(seg, "destination quantities (SDQ) are not supported")
            else:
                party = self._header(seg, party)
        return self._order(group, interchange)

    def _header(self, seg: Segment, party: _PartyLoop | None) -> _PartyLoop | None:
        sid = seg.id
        if sid == "BEG":
            if self.beg is not None:
                raise self.fail(seg, "second BEG segment")
            self.beg = seg
        elif sid == "N1":
            party = _PartyLoop(
                code=seg.get(1),
                name=seg.get(2).strip(),
                id_qualifier=seg.get(3),
                id=seg.get(4).strip(),
                start=seg,
            )
            if party.code == "ST":
                if self.ship_to is not None:
                    raise self.fail(seg, "second N1*ST ship-to party (one ship-to per order is supported)")
                self.ship_to = party
            else:
                self.parties[party.code] = {
                    "name": party.name,
                    "id_qualifier": party.id_qualifier,
                    "id": party.id,
                }
        elif sid == "N2" and party is not None:
            party.company = seg.get(1).strip() or None
        elif sid == "N3" and party is not None:
            party.streets.extend(s.strip() for s in (seg.get(1), seg.get(2)) if s.strip())
        elif sid == "N4" and party is not None:
            party.place = seg
        elif sid == "PER":
            self._contact(seg, party)
        elif sid == "REF":
            value = (seg.get(2) or seg.get(3)).strip()
            key = f"ref_{seg.get(1)}"
            if value and key not in self.metadata:
                self.metadata[key] = value
        elif sid == "DTM":
            name = _DTM_NAMES.get(seg.get(1), f"dtm_{seg.get(1)}")
            self.metadata[name] = self._date(seg, 2, "DTM02 date").isoformat()
        elif sid == "TD5":
            if seg.get(2) == "2" and seg.get(3):
                self.carrier = seg.get(3).strip()
            self.service_level = seg.get(5).strip() or self.service_level
            if seg.get(12):
                self.metadata["service_level_code"] = seg.get(12)
        elif sid in ("NTE", "MSG"):
            text = (seg.get(2) if sid == "NTE" else seg.get(1)).strip()
            if text:
                self.notes.append(text)
        return party

    def _contact(self, seg: Segment, party: _PartyLoop | None) -> None:
        phone = email = None
        for k in (3, 5, 7):
            if seg.get(k) == "TE" and phone is None:
                phone = seg.get(k + 1).strip() or None
            elif seg.get(k) == "EM" and email is None:
                email = seg.get(k + 1).strip() or None
        name = seg.get(2).strip() or None
        if party is not None and party.code == "ST":
            # A PER inside the ship-to loop reaches the recipient: the carrier needs it on the label.
            party.phone = party.phone or phone
            party.email = party.email or email
        elif party is None or party.code in ("BY", "BT"):
            self.customer_name = self.customer_name or name
            self.customer_email = self.customer_email or email
            if phone and "contact_phone" not in self.metadata:
                self.metadata["contact_phone"] = phone

    def _line(self, seg: Segment) -> _LineDraft:
        if self.ctt is not None:
            raise self.fail(seg, "PO1 after CTT")
        quantity_text = seg.get(2)
        if not _WHOLE_NUMBER.fullmatch(quantity_text) or int(Decimal(quantity_text)) <= 0:
            raise self.fail(seg, f"PO102 quantity {quantity_text!r} is not a positive whole number")
        price = self._decimal(seg, 4, "PO104 unit price")
        product_ids: dict[str, str] = {}
        for k in range(6, len(seg.elements), 2):
            qualifier, value = seg.get(k), seg.get(k + 1).strip()
            if qualifier and value and qualifier not in product_ids:
                product_ids[qualifier] = value
        sku = next((product_ids[q] for q in self.item_qualifiers if q in product_ids), None)
        if sku is None:
            found = ", ".join(product_ids) or "none"
            raise self.fail(
                seg, f"PO1 has no product id qualified {'/'.join(self.item_qualifiers)} (found: {found})"
            )
        item = LineItem(
            sku=sku,
            quantity=int(Decimal(quantity_text)),
            price=Decimal(price) if price is not None else None,
            uom=seg.get(3) or None,
            channel_line_id=seg.get(1).strip() or None,
        )
        return _LineDraft(item, product_ids)

    def _order(self, group: FunctionalGroup, interchange: Interchange) -> NormalizedOrder:
        beg = self.beg
        if beg is None:
            raise self.fail(None, "has no BEG segment")
        po_number = beg.get(3).strip()
        if not po_number:
            raise self.fail(beg, "BEG03 purchase order number is empty")
        order_date = self._date(beg, 5, "BEG05 order date")
        if self.ship_to is None:
            raise self.fail(None, "has no N1*ST ship-to party")
        if not self.lines:
            raise self.fail(None, "has no PO1 line items")
        self._check_totals()
        metadata: dict[str, Any] = {"po_purpose": beg.get(1), "po_type": beg.get(2)}
        if beg.get(4):
            metadata["release_number"] = beg.get(4)
        if self.ship_to.id:
            metadata["ship_to_location"] = self.ship_to.id
            metadata["ship_to_location_qualifier"] = self.ship_to.id_qualifier
        if self.parties:
            metadata["parties"] = self.parties
        metadata.update(self.metadata)
        metadata["line_product_ids"] = [line.product_ids for line in self.lines]
        metadata["edi"] = {
            "sender": {"qualifier": interchange.sender_qualifier, "id": interchange.sender_id},
            "receiver": {"qualifier": interchange.receiver_qualifier, "id": interchange.receiver_id},
            "interchange_control": interchange.control_number,
            "functional_id": group.functional_id,
            "group_control": group.control_number,
            "version": group.version,
            "set_control": self.ts.control_number,
        }
        return NormalizedOrder(
            external_id=po_number,
            source=SOURCE,
            line_items=tuple(line.finish() for line in self.lines),
            shipping_address=self._address(self.ship_to),
            customer_email=self.customer_email,
            customer_name=self.customer_name,
            note="\n".join(self.notes) or None,
            metadata=metadata,
            channel_order_id=po_number,
            service_level=self.service_level,
            carrier=self.carrier,
            order_date=order_date,
        )

    def _check_totals(self) -> None:
        ctt = self.ctt
        if ctt is None:
            return  # CTT is optional in the 850 standard; partners that send it get it checked
        declared = ctt.get(1)
        if not declared.isdigit():
            raise self.fail(ctt, f"CTT01 {declared!r} is not a line count")
        if int(declared) != len(self.lines):
            raise self.fail(
                ctt, f"CTT01 says {int(declared)} line items but there are {len(self.lines)} PO1 segments"
            )
        hash_total = self._decimal(ctt, 2, "CTT02 hash total")
        quantity = sum(line.item.quantity for line in self.lines)
        if hash_total is not None and Decimal(hash_total) != quantity:
            raise self.fail(
                ctt, f"CTT02 hash total {hash_total} does not match the {quantity} units ordered on PO1 lines"
            )

    def _address(self, loop: _PartyLoop) -> Address:
        if not loop.name:
            raise self.fail(loop.start, "N1*ST ship-to has no name (N102)")
        if not loop.streets:
            raise self.fail(loop.start, "N1*ST ship-to has no N3 street address")
        place = loop.place
        if place is None:
            raise self.fail(loop.start, "N1*ST ship-to has no N4 city/state/zip")
        country = place.get(4).strip() or "US"
        city, state, zip_code = place.get(1).strip(), place.get(2).strip(), place.get(3).strip()
        if not city or (country == "US" and not (state and zip_code)):
            raise self.fail(place, "N4 needs a city, and a state and zip for a US address")
        return Address(
            name=loop.name,
            address1=loop.streets[0],
            city=city,
            state=state,
            zip=zip_code,
            country=country,
            address2=" ".join(loop.streets[1:]) or None,
            phone=loop.phone,
            company=loop.company,
            email=loop.email,
        )

    def _decimal(self, seg: Segment, index: int, label: str) -> str | None:
        # Decimal() alone would take "1E3", "NaN" and "Infinity"; X12 R elements are plain decimals.
        text = seg.get(index).strip()
        if not text:
            return None
        if not _DECIMAL.fullmatch(text):
            raise self.fail(seg, f"{label} {text!r} is not a decimal number")
        return text

    def _date(self, seg: Segment, index: int, label: str) -> dt.date:
        text = seg.get(index)
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise self.fail(seg, f"{label} {text!r} is not a CCYYMMDD date") from None


def build_850(
    order: NormalizedOrder, *, control_number: str, separators: Separators = DEFAULT_SEPARATORS
) -> OutboundSet:
    """An 850 for `order`, the inverse of order_from_850 for what an 850 can carry.

    Used to generate realistic test and benchmark interchanges, and by a sandbox trading partner.
    """
    meta = order.metadata

    def text(value: str | None) -> str:
        return x12_text(value, separators)

    body: list[RawSegment] = [
        (
            "BEG",
            meta.get("po_purpose", "00"),
            meta.get("po_type", "SA"),
            order.external_id,
            meta.get("release_number", ""),
            order.order_date.strftime("%Y%m%d") if order.order_date else "",
        )
    ]
    for key, value in meta.items():
        if key.startswith("ref_"):
            body.append(("REF", key[4:], text(str(value))))
    if order.customer_name or order.customer_email:
        body.append(
            ("PER", "OC", text(order.customer_name), *_contact_pairs(None, order.customer_email, separators))
        )
    if order.carrier or order.service_level:
        body.append(
            (
                "TD5",
                "",
                "2" if order.carrier else "",
                text(order.carrier),
                "ZZ" if order.service_level else "",
                text(order.service_level),
            )
        )
    address = order.shipping_address
    location = meta.get("ship_to_location")
    location_qualifier = meta.get("ship_to_location_qualifier", "92") if location else ""
    body.append(("N1", "ST", text(address.name), location_qualifier, location or ""))
    if address.company:
        body.append(("N2", text(address.company)))
    body.append(("N3", text(address.address1), text(address.address2)))
    body.append(("N4", text(address.city), text(address.state), text(address.zip), address.country))
    if address.phone or address.email:
        body.append(("PER", "IC", "", *_contact_pairs(address.phone, address.email, separators)))
    line_ids: list[dict[str, str]] = meta.get("line_product_ids", [])
    for index, line in enumerate(order.line_items):
        ids = dict(line_ids[index]) if index < len(line_ids) else {}
        pairs = [("VP", line.sku)] + [(q, v) for q, v in ids.items() if q != "VP"]
        body.append(
            (
                "PO1",
                line.channel_line_id or str(index + 1),
                str(line.quantity),
                line.uom or "EA",
                x12_decimal(line.price) if line.price is not None else "",
                "",
                *[e for pair in pairs for e in pair],
            )
        )
        if line.name:
            body.append(("PID", "F", "", "", "", text(line.name)))
    body.append(("CTT", str(len(order.line_items)), str(sum(line.quantity for line in order.line_items))))
    return OutboundSet("850", control_number, tuple(body))


def _contact_pairs(phone: str | None, email: str | None, separators: Separators) -> tuple[str, ...]:
    pairs: list[str] = []
    if phone:
        pairs += ["TE", x12_text(phone, separators)]
    if email:
        pairs += ["EM", x12_text(email, separators, max_length=80)]
    return tuple(pairs)
