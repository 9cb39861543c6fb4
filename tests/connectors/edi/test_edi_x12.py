"""Tokenizer, envelope validation and writer: the X12 layer every transaction set rides on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from warpware.connectors.edi import (
    OutboundGroup,
    OutboundSet,
    Party,
    Separators,
    X12Error,
    parse_850,
    parse_interchanges,
    read_interchanges,
    read_separators,
    render_segment,
    serialize,
    tokenize,
    write_interchange,
    x12_decimal,
    x12_text,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "edi"
ISA = ("ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WARPWARE       "
       "*260115*1030*U*00401*000000123*0*P*>~")


def fixture(name: str) -> str:
    # Bytes, not read_text(): universal newlines would hide the CRLF the tokenizer has to cope with.
    return (FIXTURES / name).read_bytes().decode("ascii")


def envelope(*lines: str) -> str:
    return ISA + "\n" + "\n".join(lines) + "\n"


# --- tokenizer -----------------------------------------------------------------------------------------

def test_isa_fixture_is_106_characters_and_declares_standard_separators() -> None:
    text = fixture("850_two_pos.edi")
    assert text.index("~") == 105
    assert read_separators(text) == Separators(element="*", component=">", segment="~", repetition=None)


def test_tokenizer_numbers_segments_and_drops_line_breaks() -> None:
    segments = list(tokenize(fixture("850_two_pos.edi")))
    assert len(segments) == 39
    assert [(s.position, s.id) for s in segments[:4]] == [(1, "ISA"), (2, "GS"), (3, "ST"), (4, "BEG")]
    assert segments[3].elements == ("BEG", "00", "DS", "PO-778812", "", "20260115")
    assert segments[3].get(3) == "PO-778812"
    assert segments[3].get(9) == ""
    assert segments[0].get(16) == ">"
    assert segments[-1].elements == ("IEA", "1", "000000123")


def test_00501_file_with_crlf_and_repetition_separator() -> None:
    text = fixture("850_00501_crlf.edi")
    assert "\r\n" in text
    assert read_separators(text) == Separators(element="*", component=":", segment="~", repetition="^")
    segments = list(tokenize(text))
    assert [s.id for s in segments] == ["ISA", "GS", "ST", "BEG", "REF", "N1", "N3", "N4", "PO1", "PID",
                                        "CTT", "SE", "GE", "IEA"]
    assert segments[1].elements == ("GS", "OW", "GLOBEX", "8005550199", "20260302", "0915", "4711", "X",
                                    "005010")
    assert all("\r" not in e and "\n" not in e for s in segments for e in s.elements)


PIPE_ISA = ("ISA|00|          |00|          |ZZ|PIPEPARTNER    |ZZ|WARPWARE       "
            "|260115|1030|U|00401|000000007|0|P|:")


def test_pipe_elements_and_newline_terminator() -> None:
    # Given a partner that uses | between elements, : between components and a bare newline as terminator
    text = PIPE_ISA + "\n" + "GS|PO|PIPEPARTNER|WARPWARE|20260115|1030|7|X|004010\n" + "ST|850|0001\n\n"
    # When reading it
    seps = read_separators(text)
    segments = list(tokenize(text))
    # Then the newline is the terminator, and the trailing blank line is not a segment
    assert seps == Separators(element="|", component=":", segment="\n", repetition=None)
    assert [s.elements for s in segments[1:]] == [
        ("GS", "PO", "PIPEPARTNER", "WARPWARE", "20260115", "1030", "7", "X", "004010"),
        ("ST", "850", "0001"),
    ]
    assert segments[0].get(6) == "PIPEPARTNER    "


def test_crlf_as_terminator_reads_cr_as_the_separator_and_lf_as_padding() -> None:
    # Given the same partner after a Windows transfer turned every newline into CRLF
    text = PIPE_ISA + "\r\n" + "GS|PO|PIPEPARTNER|WARPWARE|20260115|1030|7|X|004010\r\n" + "ST|850|0001\r\n"
    # Then the ISA declares CR (its 106th character), and the LF after each CR is skipped
    assert read_separators(text).segment == "\r"
    assert [s.elements[:2] for s in tokenize(text)] == [("ISA", "00"), ("GS", "PO"), ("ST", "850")]


def test_bom_and_leading_blank_lines_are_ignored() -> None:
    text = "\ufeff\r\n" + fixture("850_two_pos.edi")
    assert [s.id for s in tokenize(text)][:2] == ["ISA", "GS"]


@pytest.mark.parametrize(("text", "reason"), [
    ("GS*PO*A*B~", "input does not start with an ISA segment (starts with 'GS*')"),
    (ISA[:57], "ISA segment is truncated: the input has 57 characters, the ISA alone needs 106 (segment 1)"),
    ("ISA*00**00**ZZ*ACMERETAIL*ZZ*WARPWARE*260115*1030*U*00401*000000123*0*P*>~GS*PO*ACMERETAIL*WARPWARE~"
     "ST*850*0001~SE*2*0001~",
     "ISA segment is not 106 characters with 16 elements (ISA fields are fixed width and padded with spaces) "
     "(segment 1)"),
])
def test_unreadable_isa(text: str, reason: str) -> None:
    with pytest.raises(X12Error) as caught:
        read_separators(text)
    assert str(caught.value) == reason
    assert caught.value.position == 1


def test_separators_must_be_distinct_punctuation() -> None:
    with pytest.raises(X12Error, match="separators must all differ"):
        Separators(element="*", component="*", segment="~")
    with pytest.raises(X12Error, match="separators cannot be letters, digits or spaces"):
        Separators(element="A")


# --- envelope ------------------------------------------------------------------------------------------

def test_valid_interchange_has_no_problems() -> None:
    [interchange] = parse_interchanges(fixture("850_two_pos.edi"))
    assert (interchange.sender_qualifier, interchange.sender_id) == ("ZZ", "ACMERETAIL")
    assert (interchange.receiver_qualifier, interchange.receiver_id) == ("ZZ", "WARPWARE")
    assert (interchange.control_number, interchange.version, interchange.usage) == ("000000123", "00401", "P")
    [group] = interchange.groups
    assert (group.functional_id, group.control_number, group.version) == ("PO", "123", "004010")
    assert group.declared_set_count == 2
    assert [(ts.id, ts.control_number, ts.position, len(ts.segments)) for ts in group.transaction_sets] == [
        ("850", "0001", 3, 17), ("850", "0002", 20, 18)]
    assert group.transaction_sets[0].body[0].id == "BEG"
    assert group.transaction_sets[0].body[-1].id == "AMT"
    assert interchange.problems() == []


@pytest.mark.parametrize(("name", "reason"), [
    ("850_bad_se01.edi", "SE01 says 16 segments but transaction set 0001 has 17 (segment 19)"),
    ("850_iea_mismatch.edi", "IEA02 000000124 does not match ISA13 000000123 (segment 39)"),
])
def test_malformed_fixture_is_rejected_whole(name: str, reason: str) -> None:
    # Transaction set 0002 is fine in both files, and still no order comes out.
    with pytest.raises(X12Error) as caught:
        parse_850(fixture(name))
    assert str(caught.value) == reason


BODY = ("ST*850*0001", "BEG*00*SA*PO-1**20260115", "SE*3*0001")


@pytest.mark.parametrize(("lines", "reason", "segment_id", "position", "code"), [
    (("GS*PO*A*B*20260115*1030*9*X*004010", "ST*850*0001", "BEG*00*SA*PO-1**20260115", "SE*3*0002", "GE*1*9",
      "IEA*1*000000123"),
     "SE02 0002 does not match ST02 0001 (segment 5)", "SE", 5, "3"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", "ST*850*0001", "BEG*00*SA*PO-1**20260115", "SE*three*0001",
      "GE*1*9", "IEA*1*000000123"),
     "SE01 'three' is not a segment count (segment 5)", "SE", 5, "4"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "GE*2*9", "IEA*1*000000123"),
     "GE01 says 2 transaction sets but group 9 has 1 (segment 6)", "GE", 6, "5"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "GE*1*10", "IEA*1*000000123"),
     "GE02 10 does not match GS06 9 (segment 6)", "GE", 6, "4"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "GE*1*9", "IEA*2*000000123"),
     "IEA01 says 2 functional groups but interchange 000000123 has 1 (segment 7)", "IEA", 7, None),
    (("GS*PO*A*B*20260115*1030*9*X*004010", "ST*850*0001", "BEG*00*SA*PO-1**20260115", "GE*1*9",
      "IEA*1*000000123"),
     "transaction set 0001 has no SE trailer: found GE at segment 5", "SE", 5, "2"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "IEA*1*000000123"),
     "group 9 has no GE trailer: found IEA at segment 6", "GE", 6, "3"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "GE*1*9"),
     "interchange 000000123 has no IEA trailer: input ends after segment 6", "IEA", 6, None),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "REF*CO*X", "GE*1*9", "IEA*1*000000123"),
     "segment 6 (REF) is outside a transaction set (no ST before it)", "REF", 6, None),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "ST*850*0001", "BEG*00*SA*PO-2**20260115", "SE*3*0001",
      "GE*2*9", "IEA*1*000000123"),
     "ST02 0001 is used twice in group 9 (segment 6)", "ST", 6, "23"),
    (("GS*PO*A*B*20260115*1030*9*X*004010", *BODY, "GE*1*9", "IEA*1*000000123", "GS*PO*A*B"),
     "segment 8 (GS) follows IEA; expected ISA or end of input", "GS", 8, None),
])
def test_each_envelope_check_names_segment_and_position(lines: tuple[str, ...], reason: str, segment_id: str,
                                                        position: int, code: str | None) -> None:
    text = envelope(*[line + "~" for line in lines])
    [interchange] = read_interchanges(text)
    [problem] = interchange.problems()
    found = (str(problem), problem.segment_id, problem.position, problem.code)
    assert found == (reason, segment_id, position, code)
    with pytest.raises(X12Error) as caught:
        parse_interchanges(text)
    assert str(caught.value) == reason


def test_zero_padded_group_control_number_matches() -> None:
    text = envelope("GS*PO*A*B*20260115*1030*9*X*004010~", *[b + "~" for b in BODY], "GE*1*000009~",
                    "IEA*1*000000123~")
    assert parse_interchanges(text)[0].problems() == []


def test_envelope_errors_stay_on_their_envelope() -> None:
    # Given a group whose second set has a bad SE01
    [interchange] = read_interchanges(fixture("850_bad_se01.edi"))
    first, second = interchange.groups[0].transaction_sets
    assert [str(e) for e in first.errors] == [
        "SE01 says 16 segments but transaction set 0001 has 17 (segment 19)"]
    assert second.errors == ()
    assert interchange.errors == () and interchange.groups[0].errors == ()


def test_two_interchanges_in_one_file() -> None:
    text = fixture("850_two_pos.edi")
    second = text.replace("000000123", "000000124")
    assert [i.control_number for i in parse_interchanges(text + second)] == ["000000123", "000000124"]
    assert len(parse_850(text + second)) == 4


# --- writer --------------------------------------------------------------------------------------------

def test_render_segment_drops_trailing_empty_elements_and_joins_composites() -> None:
    assert render_segment(("PID", "F", "", "", "", "MUG", "", "")) == "PID*F****MUG"
    assert render_segment(("SV1", ("HC", "99213"), "40")) == "SV1*HC>99213*40"
    text = serialize([("ST", "850", "0001"), ("SE", "2", "0001")], line_break="\n")
    assert text == "ST*850*0001~\nSE*2*0001~\n"


def test_writer_refuses_separator_inside_a_value() -> None:
    with pytest.raises(X12Error) as caught:
        render_segment(("N1", "ST", "SMITH*JONES"))
    assert str(caught.value) == ("N102 value 'SMITH*JONES' contains the separator '*'; clean free text with "
                                 "x12_text()")


def test_x12_text_and_decimal() -> None:
    assert x12_text("  ACME * Widgets ~ Inc  ") == "ACME Widgets Inc"
    assert x12_text(None) == ""
    assert x12_text("x" * 70) == "x" * 60
    assert [x12_decimal(Decimal(v)) for v in ("12.50", "30", "1E+2", "0.000", "-4.10", "7.125")] == [
        "12.5", "30", "100", "0", "-4.1", "7.125"]


def test_write_interchange_pads_isa_and_counts_every_envelope() -> None:
    sets = (OutboundSet("850", "0001", (("BEG", "00", "SA", "PO-1", "", "20260115"),)),
            OutboundSet("850", "0002", (("BEG", "00", "SA", "PO-2", "", "20260115"),)))
    text = write_interchange(
        [OutboundGroup("PO", 77, sets)],
        sender=Party("ZZ", "WARPWARE"), receiver=Party("01", "123456789"), control_number=42,
        created_at=dt.datetime(2026, 1, 15, 10, 30), line_break="\n")
    assert text == (
        "ISA*00*          *00*          *ZZ*WARPWARE       *01*123456789      "
        "*260115*1030*U*00401*000000042*0*P*>~\n"
        "GS*PO*WARPWARE*123456789*20260115*1030*77*X*004010~\n"
        "ST*850*0001~\nBEG*00*SA*PO-1**20260115~\nSE*3*0001~\n"
        "ST*850*0002~\nBEG*00*SA*PO-2**20260115~\nSE*3*0002~\n"
        "GE*2*77~\nIEA*1*000000042~\n")
    assert parse_interchanges(text)[0].problems() == []


def test_write_interchange_with_non_standard_separators_reads_back() -> None:
    seps = Separators(element="|", component=":", segment="\n", repetition="^")
    text = write_interchange([OutboundGroup("PO", 1, (OutboundSet("850", "0001", (("REF", "CO", "A"),)),),
                                            version="005010")],
                             sender=Party("ZZ", "A"), receiver=Party("ZZ", "B"), control_number=1,
                             created_at=dt.datetime(2026, 3, 2, 9, 15), separators=seps, version="00501")
    assert text.index("\n") == 105
    assert text[:106].split("|")[11] == "^"
    [interchange] = parse_interchanges(text)
    assert interchange.separators == seps
    assert interchange.groups[0].transaction_sets[0].body[0].elements == ("REF", "CO", "A")


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"control_number": 1_000_000_000}, "ISA13 control number 1000000000 does not fit in 9 digits"),
    ({"sender": Party("ZZ", "A-VERY-LONG-SENDER-ID")},
     "interchange sender ZZ:A-VERY-LONG-SENDER-ID does not fit ISA (2-character qualifier, id of 1 to 15 "
     "characters)"),
    ({"version": "00501"}, "version 00501 needs a repetition separator in ISA11"),
])
def test_write_interchange_rejects_what_isa_cannot_hold(kwargs: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {"sender": Party("ZZ", "A"), "receiver": Party("ZZ", "B"), "control_number": 1,
                               "created_at": dt.datetime(2026, 1, 15)}
    args.update(kwargs)
    with pytest.raises(X12Error) as caught:
        write_interchange([], **args)  # type: ignore[arg-type]
    assert str(caught.value) == reason
