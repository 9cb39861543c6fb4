"""997 functional acknowledgments: one 997 per received functional group, sent back in one FA group.

By default an acknowledgment matches how we import: a problem anywhere in the interchange rejects every
transaction set in it (parse_850 returns all orders or none), so no partner is told a PO was accepted
that we did not take. Sets rejected only for their neighbours' sake get AK5*R without an error code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from warpware.connectors.edi.po850 import SetKey
from warpware.connectors.edi.writer import (
    OutboundGroup,
    OutboundSet,
    RawSegment,
    reply_parties,
    write_interchange,
)
from warpware.connectors.edi.x12 import Interchange, X12Error

# AK5 and AK9 carry at most five error codes (AK502-AK506, AK905-AK909).
_MAX_CODES = 5
# AK304 "segment has data element errors": what a mapping error on a present segment amounts to.
_SEGMENT_HAS_ELEMENT_ERRORS = "8"


@dataclass(frozen=True, slots=True)
class SetAck:
    set_id: str
    control_number: str
    errors: tuple[X12Error, ...] = ()
    # Rejected although the set itself is fine, because the interchange is rejected whole.
    rejected_with_interchange: bool = False

    @property
    def accepted(self) -> bool:
        return not self.errors and not self.rejected_with_interchange


@dataclass(frozen=True, slots=True)
class GroupAck:
    functional_id: str
    control_number: str
    sets: tuple[SetAck, ...]
    # GE01 as received; AK902 echoes it, and the set count stands in when GE was missing or unreadable.
    declared_set_count: int | None = None
    errors: tuple[X12Error, ...] = ()

    @property
    def accepted_count(self) -> int:
        return sum(1 for s in self.sets if s.accepted)

    @property
    def status(self) -> str:
        """AK901: A accepted, P partially accepted, R rejected."""
        if self.errors or (self.sets and self.accepted_count == 0):
            return "R"
        return "A" if self.accepted_count == len(self.sets) else "P"


def acknowledge(
    interchange: Interchange,
    *,
    set_errors: Mapping[SetKey, X12Error] | None = None,
    reject_whole: bool = True,
) -> tuple[GroupAck, ...]:
    """What to acknowledge for each group: envelope problems from reading plus `set_errors` (check_850)."""
    set_errors = set_errors or {}
    reject_all = reject_whole and bool(interchange.problems() or set_errors)
    acks: list[GroupAck] = []
    for group in interchange.groups:
        sets: list[SetAck] = []
        for ts in group.transaction_sets:
            mapping_error = set_errors.get((group.control_number, ts.control_number))
            errors = ts.errors + ((mapping_error,) if mapping_error is not None else ())
            sets.append(SetAck(ts.id, ts.control_number, errors, rejected_with_interchange=reject_all))
        acks.append(
            GroupAck(
                group.functional_id, group.control_number, tuple(sets), group.declared_set_count, group.errors
            )
        )
    return tuple(acks)


def build_997(ack: GroupAck, *, control_number: str) -> OutboundSet:
    """The 997 transaction set for one received group."""
    body: list[RawSegment] = [("AK1", ack.functional_id, ack.control_number)]
    for set_ack in ack.sets:
        body.append(("AK2", set_ack.set_id, set_ack.control_number))
        for error in set_ack.errors:
            # Mapping errors point at a segment; envelope errors are said by the AK5 code alone.
            if error.code == "5" and error.segment_id and error.set_position is not None:
                body.append(
                    ("AK3", error.segment_id, str(error.set_position), "", _SEGMENT_HAS_ELEMENT_ERRORS)
                )
        codes = _codes(set_ack.errors)
        body.append(("AK5", "A" if set_ack.accepted else "R", *codes))
    included = ack.declared_set_count if ack.declared_set_count is not None else len(ack.sets)
    body.append(
        ("AK9", ack.status, str(included), str(len(ack.sets)), str(ack.accepted_count), *_codes(ack.errors))
    )
    return OutboundSet("997", control_number, tuple(body))


def write_997(
    interchange: Interchange,
    acks: Sequence[GroupAck],
    *,
    control_number: int,
    group_control_number: int,
    created_at: dt.datetime,
    line_break: str = "",
) -> str:
    """A reply interchange with one FA group holding a 997 per acknowledged group.

    Sender and receiver are the received interchange's, swapped; separators and versions are theirs too,
    so the partner reads our reply with the settings it writes with. Control numbers come from the caller,
    who owns their sequence per partner.
    """
    if not acks:
        raise X12Error(f"interchange {interchange.control_number} has no functional groups to acknowledge")
    sender, receiver = reply_parties(interchange)
    first = interchange.groups[0] if interchange.groups else None
    sets = tuple(build_997(ack, control_number=f"{n:04d}") for n, ack in enumerate(acks, start=1))
    group = OutboundGroup(
        functional_id="FA",
        control_number=group_control_number,
        transaction_sets=sets,
        version=(first.version if first and first.version else "004010"),
        application_sender=(first.application_receiver if first else None) or None,
        application_receiver=(first.application_sender if first else None) or None,
    )
    return write_interchange(
        [group],
        sender=sender,
        receiver=receiver,
        control_number=control_number,
        created_at=created_at,
        separators=interchange.separators,
        version=interchange.version or "00401",
        line_break=line_break,
    )


def _codes(errors: Sequence[X12Error]) -> tuple[str, ...]:
    codes: list[str] = []
    for error in errors:
        if error.code and error.code not in codes:
            codes.append(error.code)
    return tuple(codes[:_MAX_CODES])
