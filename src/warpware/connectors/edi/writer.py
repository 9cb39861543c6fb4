"""Writing X12: segments to text, and whole interchanges with their ISA/GS/ST envelopes and counts.

Generators (997, 856, and the 850 builder used by tests and the bench) produce transaction set bodies;
`write_interchange` wraps them, so control numbers and counts are computed in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from warpware.connectors.edi.x12 import DEFAULT_SEPARATORS, ISA_LENGTH, Interchange, Separators, X12Error

# An element is text, or a composite given as its components.
Element = str | tuple[str, ...]
RawSegment = Sequence[Element]

_MAX_ISA13 = 999_999_999


@dataclass(frozen=True, slots=True)
class Party:
    """An interchange sender or receiver: ISA05/ISA06 or ISA07/ISA08."""

    qualifier: str
    id: str


@dataclass(frozen=True, slots=True)
class OutboundSet:
    """A transaction set to write: ST01, ST02 and the segments between ST and SE."""

    id: str
    control_number: str
    body: tuple[RawSegment, ...]


@dataclass(frozen=True, slots=True)
class OutboundGroup:
    functional_id: str
    control_number: int
    transaction_sets: tuple[OutboundSet, ...]
    version: str = "004010"
    # GS02/GS03; default to the interchange sender and receiver ids.
    application_sender: str | None = None
    application_receiver: str | None = None


def render_segment(segment: RawSegment, separators: Separators = DEFAULT_SEPARATORS) -> str:
    """One segment without its terminator. Trailing empty elements are dropped, as X12 requires."""
    values = list(segment)
    while len(values) > 1 and values[-1] in ("", ()):
        values.pop()
    seg_id = str(values[0])
    texts: list[str] = [seg_id]
    for index, value in enumerate(values[1:], start=1):
        parts = (value,) if isinstance(value, str) else value
        for part in parts:
            _check_value(seg_id, index, part, separators)
        texts.append(separators.component.join(parts))
    return separators.element.join(texts)


def serialize(
    segments: Iterable[RawSegment], separators: Separators = DEFAULT_SEPARATORS, *, line_break: str = ""
) -> str:
    """Segments to X12 text, each followed by the terminator and `line_break` ("\\n" for readable files)."""
    end = separators.segment + line_break
    return "".join(render_segment(segment, separators) + end for segment in segments)


def x12_text(value: str | None, separators: Separators = DEFAULT_SEPARATORS, *, max_length: int = 60) -> str:
    """Free text made safe for an element: separators become spaces, whitespace collapses, length is capped.

    Names and addresses come from shoppers; one stray "*" must not shift every element after it.
    """
    if not value:
        return ""
    for sep in separators.all():
        value = value.replace(sep, " ")
    return " ".join(value.split())[:max_length]


def x12_decimal(value: Decimal) -> str:
    """An R (decimal) element: no exponent, no plus sign, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def reply_parties(interchange: Interchange) -> tuple[Party, Party]:
    """(sender, receiver) for a reply to `interchange`: its receiver answers its sender."""
    return (
        Party(interchange.receiver_qualifier, interchange.receiver_id),
        Party(interchange.sender_qualifier, interchange.sender_id),
    )


def write_interchange(
    groups: Sequence[OutboundGroup],
    *,
    sender: Party,
    receiver: Party,
    control_number: int,
    created_at: dt.datetime,
    separators: Separators = DEFAULT_SEPARATORS,
    version: str = "00401",
    usage: str = "P",
    ack_requested: bool = False,
    line_break: str = "",
) -> str:
    """A complete interchange: ISA padded to its fixed widths, GS/GE and ST/SE with counts computed."""
    if not 0 <= control_number <= _MAX_ISA13:
        raise X12Error(f"ISA13 control number {control_number} does not fit in 9 digits")
    if usage not in ("P", "T"):
        raise X12Error(f"ISA15 usage indicator must be P or T, got {usage!r}")
    if version >= "00402" and separators.repetition is None:
        raise X12Error(f"version {version} needs a repetition separator in ISA11")
    segments: list[RawSegment] = []
    for group in groups:
        segments.append(
            (
                "GS",
                group.functional_id,
                group.application_sender or sender.id,
                group.application_receiver or receiver.id,
                created_at.strftime("%Y%m%d"),
                created_at.strftime("%H%M"),
                str(group.control_number),
                "X",
                group.version,
            )
        )
        for ts in group.transaction_sets:
            segments.append(("ST", ts.id, ts.control_number))
            segments.extend(ts.body)
            segments.append(("SE", str(len(ts.body) + 2), ts.control_number))
        segments.append(("GE", str(len(group.transaction_sets)), str(group.control_number)))
    segments.append(("IEA", str(len(groups)), f"{control_number:09d}"))
    isa = _isa(
        sender=sender,
        receiver=receiver,
        control_number=control_number,
        created_at=created_at,
        separators=separators,
        version=version,
        usage=usage,
        ack_requested=ack_requested,
    )
    return isa + line_break + serialize(segments, separators, line_break=line_break)


def _isa(
    *,
    sender: Party,
    receiver: Party,
    control_number: int,
    created_at: dt.datetime,
    separators: Separators,
    version: str,
    usage: str,
    ack_requested: bool,
) -> str:
    for label, party in (("sender", sender), ("receiver", receiver)):
        if len(party.qualifier) != 2 or not 1 <= len(party.id) <= 15:
            raise X12Error(
                f"interchange {label} {party.qualifier}:{party.id} does not fit ISA "
                f"(2-character qualifier, id of 1 to 15 characters)"
            )
    fields = (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender.qualifier,
        sender.id.ljust(15),
        receiver.qualifier,
        receiver.id.ljust(15),
        created_at.strftime("%y%m%d"),
        created_at.strftime("%H%M"),
        separators.repetition or "U",
        version,
        f"{control_number:09d}",
        "1" if ack_requested else "0",
        usage,
        separators.component,
    )
    for index, value in enumerate(fields[1:-1], start=1):
        if index != 11:  # ISA11 is the repetition separator itself in 00501
            _check_value("ISA", index, value, separators)
    isa = separators.element.join(fields) + separators.segment
    # Readers find the separators by offset, so a wrong width breaks the whole file.
    if len(isa) != ISA_LENGTH:
        raise X12Error(f"ISA came out {len(isa)} characters instead of {ISA_LENGTH}")
    return isa


def _check_value(seg_id: str, index: int, value: str, separators: Separators) -> None:
    for sep in separators.all():
        if sep in value:
            raise X12Error(
                f"{seg_id}{index:02d} value {value!r} contains the separator {sep!r}; "
                f"clean free text with x12_text()"
            )
