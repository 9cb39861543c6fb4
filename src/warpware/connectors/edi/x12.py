"""Reading X12: separators from the ISA, segments with their positions, and the ISA/GS/ST envelopes.

Two readers share one framing pass. `read_interchanges` records every envelope problem on the envelope it
belongs to (what a 997 needs to say which sets it rejects); `parse_interchanges` raises the first one, for
callers that accept an interchange whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

ISA_LENGTH = 106
# ISA ends with ISA16 (one character) and the terminator, so 16 elements split from the first 105 chars.
_ISA_ELEMENT_COUNT = 16
_CONTROL_SEGMENTS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


class X12Error(ValueError):
    """An interchange breaks X12 syntax or our mapping. The message names the segment and its position.

    `position` is the segment's ordinal in the input (ISA is 1); `set_position` its ordinal inside the
    transaction set (ST is 1). `code` is the X12 acknowledgment code for the problem: an AK5 code on a
    transaction set's errors, an AK9 code on a group's.
    """

    def __init__(
        self,
        reason: str,
        *,
        segment_id: str | None = None,
        position: int | None = None,
        set_position: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segment_id = segment_id
        self.position = position
        self.set_position = set_position
        self.code = code


@dataclass(frozen=True, slots=True)
class Separators:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    # ISA11 in 00501 and later; 00401 has no repetition separator (ISA11 is the standards id "U").
    repetition: str | None = None

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.segment]
        if self.repetition is not None:
            chars.append(self.repetition)
        if any(len(c) != 1 for c in chars):
            raise X12Error(f"separators must be single characters, got {chars!r}")
        if len(set(chars)) != len(chars):
            raise X12Error(f"separators must all differ, got {chars!r}")
        # A letter, digit or space as a delimiter would make ordinary data split in the wrong places.
        if any(c.isalnum() or c == " " for c in chars):
            raise X12Error(f"separators cannot be letters, digits or spaces, got {chars!r}")

    def all(self) -> tuple[str, ...]:
        extra = (self.repetition,) if self.repetition is not None else ()
        return (self.element, self.component, self.segment, *extra)


DEFAULT_SEPARATORS = Separators()


@dataclass(frozen=True, slots=True)
class Segment:
    # elements[0] is the segment id, so elements[1] is what X12 calls XX01.
    elements: tuple[str, ...]
    position: int

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int) -> str:
        """Element `index` in X12 numbering (BEG03 is get(3)); "" when the segment stops before it."""
        return self.elements[index] if index < len(self.elements) else ""


def read_separators(text: str) -> Separators:
    """The separators an interchange declares in its fixed-width ISA segment."""
    text = _strip_preamble(text)
    if not text.startswith("ISA"):
        raise X12Error(
            f"input does not start with an ISA segment (starts with {text[:3]!r})",
            segment_id="ISA",
            position=1,
        )
    if len(text) < ISA_LENGTH:
        raise X12Error(
            f"ISA segment is truncated: the input has {len(text)} characters, "
            f"the ISA alone needs {ISA_LENGTH} (segment 1)",
            segment_id="ISA",
            position=1,
        )
    element = text[3]
    fields = text[: ISA_LENGTH - 1].split(element)
    if len(fields) != _ISA_ELEMENT_COUNT + 1 or len(fields[-1]) != 1:
        raise X12Error(
            f"ISA segment is not {ISA_LENGTH} characters with {_ISA_ELEMENT_COUNT} elements "
            f"(ISA fields are fixed width and padded with spaces) (segment 1)",
            segment_id="ISA",
            position=1,
        )
    isa11 = fields[11]
    repetition = isa11 if len(isa11) == 1 and not isa11.isalnum() else None
    return Separators(
        element=element, component=text[ISA_LENGTH - 2], segment=text[ISA_LENGTH - 1], repetition=repetition
    )


def tokenize(text: str, separators: Separators | None = None) -> Iterator[Segment]:
    """Segments in input order, numbered from 1. Separators come from the ISA unless given.

    Line breaks after segment terminators are tolerated (many partners send one segment per line);
    blank lines are skipped without taking a position.
    """
    seps = separators if separators is not None else read_separators(text)
    text = _strip_preamble(text)
    # CR/LF are padding only when they are not themselves a separator (a "\n" terminator is common).
    padding = "".join(c for c in "\r\n" if c not in seps.all())
    position = 0
    for raw in text.split(seps.segment):
        if padding:
            raw = raw.strip(padding)
        if not raw:
            continue
        position += 1
        yield Segment(tuple(raw.split(seps.element)), position)


def _strip_preamble(text: str) -> str:
    # Files saved by Windows tools may start with a BOM or blank lines; neither belongs to the interchange.
    return text.lstrip("\ufeff \t\r\n")


@dataclass(frozen=True, slots=True)
class TransactionSet:
    # ST through SE inclusive; when SE is missing, ST up to the segment that cut the set off.
    segments: tuple[Segment, ...]
    errors: tuple[X12Error, ...] = ()

    @property
    def id(self) -> str:
        return self.segments[0].get(1)

    @property
    def control_number(self) -> str:
        return self.segments[0].get(2)

    @property
    def position(self) -> int:
        return self.segments[0].position

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between ST and SE."""
        end = -1 if self.segments[-1].id == "SE" and len(self.segments) > 1 else len(self.segments)
        return self.segments[1:end]


@dataclass(frozen=True, slots=True)
class FunctionalGroup:
    header: Segment
    transaction_sets: tuple[TransactionSet, ...]
    errors: tuple[X12Error, ...] = ()
    # GE01 as sent, which a 997 echoes in AK902 even when it is wrong.
    declared_set_count: int | None = None

    @property
    def functional_id(self) -> str:
        return self.header.get(1)

    @property
    def application_sender(self) -> str:
        return self.header.get(2)

    @property
    def application_receiver(self) -> str:
        return self.header.get(3)

    @property
    def control_number(self) -> str:
        return self.header.get(6)

    @property
    def version(self) -> str:
        return self.header.get(8)


@dataclass(frozen=True, slots=True)
class Interchange:
    header: Segment
    separators: Separators
    groups: tuple[FunctionalGroup, ...]
    errors: tuple[X12Error, ...] = ()

    @property
    def sender_qualifier(self) -> str:
        return self.header.get(5).strip()

    @property
    def sender_id(self) -> str:
        return self.header.get(6).strip()

    @property
    def receiver_qualifier(self) -> str:
        return self.header.get(7).strip()

    @property
    def receiver_id(self) -> str:
        return self.header.get(8).strip()

    @property
    def version(self) -> str:
        return self.header.get(12)

    @property
    def control_number(self) -> str:
        return self.header.get(13)

    @property
    def usage(self) -> str:
        """ISA15: P for production, T for test."""
        return self.header.get(15)

    def problems(self) -> list[X12Error]:
        """Every envelope problem in the interchange, in input order."""
        found = list(self.errors)
        for group in self.groups:
            found.extend(group.errors)
            for ts in group.transaction_sets:
                found.extend(ts.errors)
        return sorted(found, key=lambda e: e.position if e.position is not None else 0)


def read_interchanges(text: str) -> list[Interchange]:
    """Frame the input into interchanges, recording envelope problems instead of raising on them.

    Raises X12Error only when the input cannot be framed at all (no readable ISA).
    """
    separators = read_separators(text)
    segments = list(tokenize(text, separators))
    interchanges: list[Interchange] = []
    i = 0
    while i < len(segments):
        seg = segments[i]
        if seg.id != "ISA":
            # Only reachable after an IEA: anything but another ISA there is stray data.
            stray = X12Error(
                f"segment {seg.position} ({seg.id}) follows IEA; expected ISA or end of input",
                segment_id=seg.id,
                position=seg.position,
            )
            last = interchanges[-1]
            interchanges[-1] = Interchange(last.header, last.separators, last.groups, (*last.errors, stray))
            i += 1
            continue
        interchange, i = _read_interchange(segments, i, separators)
        interchanges.append(interchange)
    return interchanges


def parse_interchanges(text: str) -> list[Interchange]:
    """Frame and validate; the first envelope problem is raised, so a bad interchange is rejected whole."""
    interchanges = read_interchanges(text)
    for interchange in interchanges:
        problems = interchange.problems()
        if problems:
            raise problems[0]
    return interchanges


def _read_interchange(segments: list[Segment], i: int, separators: Separators) -> tuple[Interchange, int]:
    isa = segments[i]
    control = isa.get(13)
    errors: list[X12Error] = []
    groups: list[FunctionalGroup] = []
    i += 1
    while i < len(segments) and segments[i].id not in ("IEA", "ISA"):
        seg = segments[i]
        if seg.id == "GS":
            group, i = _read_group(segments, i)
            groups.append(group)
            continue
        errors.append(
            X12Error(
                f"segment {seg.position} ({seg.id}) is outside a functional group (no GS before it)",
                segment_id=seg.id,
                position=seg.position,
            )
        )
        i += 1
    if i < len(segments) and segments[i].id == "IEA":
        iea = segments[i]
        i += 1
        declared = iea.get(1)
        if not declared.isdigit():
            errors.append(
                X12Error(
                    f"IEA01 {declared!r} is not a group count (segment {iea.position})",
                    segment_id="IEA",
                    position=iea.position,
                )
            )
        elif int(declared) != len(groups):
            errors.append(
                X12Error(
                    f"IEA01 says {int(declared)} functional groups but interchange {control} "
                    f"has {len(groups)} (segment {iea.position})",
                    segment_id="IEA",
                    position=iea.position,
                )
            )
        if not _same_control(iea.get(2), control):
            errors.append(
                X12Error(
                    f"IEA02 {iea.get(2)} does not match ISA13 {control} (segment {iea.position})",
                    segment_id="IEA",
                    position=iea.position,
                )
            )
    else:
        errors.append(
            X12Error(
                f"interchange {control} has no IEA trailer: {_cut_off_by(segments, i)}",
                segment_id="IEA",
                position=_end_position(segments, i),
            )
        )
    return Interchange(isa, separators, tuple(groups), tuple(errors)), i


def _read_group(segments: list[Segment], i: int) -> tuple[FunctionalGroup, int]:
    gs = segments[i]
    control = gs.get(6)
    errors: list[X12Error] = []
    sets: list[TransactionSet] = []
    seen_controls: set[str] = set()
    declared_count: int | None = None
    i += 1
    while i < len(segments) and segments[i].id not in ("GE", "GS", "IEA", "ISA"):
        seg = segments[i]
        if seg.id == "ST":
            ts, i = _read_set(segments, i)
            if ts.control_number in seen_controls:
                duplicate = X12Error(
                    f"ST02 {ts.control_number} is used twice in group {control} (segment {ts.position})",
                    segment_id="ST",
                    position=ts.position,
                    set_position=1,
                    code="23",
                )
                ts = TransactionSet(ts.segments, (*ts.errors, duplicate))
            seen_controls.add(ts.control_number)
            sets.append(ts)
            continue
        errors.append(
            X12Error(
                f"segment {seg.position} ({seg.id}) is outside a transaction set (no ST before it)",
                segment_id=seg.id,
                position=seg.position,
            )
        )
        i += 1
    if i < len(segments) and segments[i].id == "GE":
        ge = segments[i]
        i += 1
        declared = ge.get(1)
        if not declared.isdigit():
            errors.append(
                X12Error(
                    f"GE01 {declared!r} is not a set count (segment {ge.position})",
                    segment_id="GE",
                    position=ge.position,
                    code="5",
                )
            )
        else:
            declared_count = int(declared)
            if declared_count != len(sets):
                errors.append(
                    X12Error(
                        f"GE01 says {declared_count} transaction sets but group {control} "
                        f"has {len(sets)} (segment {ge.position})",
                        segment_id="GE",
                        position=ge.position,
                        code="5",
                    )
                )
        if not _same_control(ge.get(2), control):
            errors.append(
                X12Error(
                    f"GE02 {ge.get(2)} does not match GS06 {control} (segment {ge.position})",
                    segment_id="GE",
                    position=ge.position,
                    code="4",
                )
            )
    else:
        errors.append(
            X12Error(
                f"group {control} has no GE trailer: {_cut_off_by(segments, i)}",
                segment_id="GE",
                position=_end_position(segments, i),
                code="3",
            )
        )
    return FunctionalGroup(gs, tuple(sets), tuple(errors), declared_count), i


def _read_set(segments: list[Segment], i: int) -> tuple[TransactionSet, int]:
    start = i
    st = segments[i]
    control = st.get(2)
    errors: list[X12Error] = []
    if not st.get(1):
        errors.append(
            X12Error(
                f"ST01 transaction set id is empty (segment {st.position})",
                segment_id="ST",
                position=st.position,
                set_position=1,
                code="6",
            )
        )
    if not control:
        errors.append(
            X12Error(
                f"ST02 control number is empty (segment {st.position})",
                segment_id="ST",
                position=st.position,
                set_position=1,
                code="7",
            )
        )
    i += 1
    while i < len(segments) and segments[i].id not in _CONTROL_SEGMENTS:
        i += 1
    if i < len(segments) and segments[i].id == "SE":
        se = segments[i]
        i += 1
        count = i - start
        declared = se.get(1)
        if not declared.isdigit():
            errors.append(
                X12Error(
                    f"SE01 {declared!r} is not a segment count (segment {se.position})",
                    segment_id="SE",
                    position=se.position,
                    set_position=count,
                    code="4",
                )
            )
        elif int(declared) != count:
            errors.append(
                X12Error(
                    f"SE01 says {int(declared)} segments but transaction set {control} "
                    f"has {count} (segment {se.position})",
                    segment_id="SE",
                    position=se.position,
                    set_position=count,
                    code="4",
                )
            )
        if se.get(2) != control:
            errors.append(
                X12Error(
                    f"SE02 {se.get(2)} does not match ST02 {control} (segment {se.position})",
                    segment_id="SE",
                    position=se.position,
                    set_position=count,
                    code="3",
                )
            )
    else:
        errors.append(
            X12Error(
                f"transaction set {control} has no SE trailer: {_cut_off_by(segments, i)}",
                segment_id="SE",
                position=_end_position(segments, i),
                code="2",
            )
        )
    return TransactionSet(tuple(segments[start:i]), tuple(errors)), i


def _same_control(a: str, b: str) -> bool:
    # GS06/GE02 are N0 numbers, and some translators pad one of the pair with zeros.
    if a == b:
        return True
    return bool(_DIGITS.fullmatch(a) and _DIGITS.fullmatch(b)) and int(a) == int(b)


_DIGITS = re.compile(r"\d+")


def _cut_off_by(segments: list[Segment], i: int) -> str:
    if i < len(segments):
        return f"found {segments[i].id} at segment {segments[i].position}"
    return f"input ends after segment {segments[-1].position}"


def _end_position(segments: list[Segment], i: int) -> int:
    return segments[i].position if i < len(segments) else segments[-1].position
