"""997 functional acknowledgments for accepted, rejected and partly rejected groups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from warpware.connectors.edi import acknowledge, check_850, parse_interchanges, read_interchanges, write_997

FIXTURES = Path(__file__).parents[2] / "fixtures" / "edi"
CREATED = dt.datetime(2026, 1, 15, 11, 0)
REPLY_HEAD = ("ISA*00*          *00*          *ZZ*WARPWARE       *ZZ*ACMERETAIL     "
              "*260115*1100*U*00401*000000900*0*P*>~\n"
              "GS*FA*WARPWARE*ACMERETAIL*20260115*1100*901*X*004010~\n")
REPLY_TAIL = "GE*1*901~\nIEA*1*000000900~\n"


def ack_for(name: str, *, reject_whole: bool = True) -> str:
    [interchange] = read_interchanges((FIXTURES / name).read_bytes().decode("ascii"))
    acks = acknowledge(interchange, set_errors=check_850(interchange), reject_whole=reject_whole)
    return write_997(interchange, acks, control_number=900, group_control_number=901, created_at=CREATED,
                     line_break="\n")


def test_accepted_group() -> None:
    # Given a clean interchange, when we acknowledge it, then both sets are accepted and sender/receiver swap
    assert ack_for("850_two_pos.edi") == REPLY_HEAD + (
        "ST*997*0001~\n"
        "AK1*PO*123~\n"
        "AK2*850*0001~\nAK5*A~\n"
        "AK2*850*0002~\nAK5*A~\n"
        "AK9*A*2*2*2~\n"
        "SE*8*0001~\n") + REPLY_TAIL


def test_envelope_error_rejects_every_set_by_default() -> None:
    # SE01 is wrong on set 0001 (AK5 code 4); set 0002 is rejected with it because we import all or nothing
    assert ack_for("850_bad_se01.edi") == REPLY_HEAD + (
        "ST*997*0001~\n"
        "AK1*PO*123~\n"
        "AK2*850*0001~\nAK5*R*4~\n"
        "AK2*850*0002~\nAK5*R~\n"
        "AK9*R*2*2*0~\n"
        "SE*8*0001~\n") + REPLY_TAIL


def test_set_by_set_acknowledgment_is_partial() -> None:
    assert ack_for("850_bad_se01.edi", reject_whole=False) == REPLY_HEAD + (
        "ST*997*0001~\n"
        "AK1*PO*123~\n"
        "AK2*850*0001~\nAK5*R*4~\n"
        "AK2*850*0002~\nAK5*A~\n"
        "AK9*P*2*2*1~\n"
        "SE*8*0001~\n") + REPLY_TAIL


def test_mapping_error_points_at_the_segment() -> None:
    # CTT is the 15th segment of set 0001: AK3 names it with code 8, AK5 says "one or more segments in error"
    assert ack_for("850_ctt_mismatch.edi") == REPLY_HEAD + (
        "ST*997*0001~\n"
        "AK1*PO*123~\n"
        "AK2*850*0001~\nAK3*CTT*15**8~\nAK5*R*5~\n"
        "AK2*850*0002~\nAK5*R~\n"
        "AK9*R*2*2*0~\n"
        "SE*9*0001~\n") + REPLY_TAIL


def test_group_count_error_goes_in_ak9() -> None:
    text = (FIXTURES / "850_two_pos.edi").read_bytes().decode("ascii").replace("GE*2*123~", "GE*3*123~")
    [interchange] = read_interchanges(text)
    [ack] = acknowledge(interchange)
    assert ack.status == "R"
    reply = write_997(interchange, [ack], control_number=900, group_control_number=901, created_at=CREATED)
    assert "AK9*R*3*2*0*5~" in reply
    assert "AK5*R~AK2" in reply  # the sets themselves carry no error code


def test_997_for_00501_uses_the_partners_separators_and_reads_back() -> None:
    [interchange] = read_interchanges((FIXTURES / "850_00501_crlf.edi").read_bytes().decode("ascii"))
    reply = write_997(interchange, acknowledge(interchange), control_number=1, group_control_number=1,
                      created_at=CREATED)
    assert reply[:106] == ("ISA*00*          *00*          *12*8005550199     *ZZ*GLOBEX         "
                           "*260115*1100*^*00501*000000001*0*P*:~")
    [back] = parse_interchanges(reply)
    assert back.problems() == []
    [group] = back.groups
    assert (group.functional_id, group.application_sender, group.application_receiver, group.version) == (
        "FA", "8005550199", "GLOBEX", "005010")
    assert [s.elements for s in group.transaction_sets[0].body] == [
        ("AK1", "OW", "4711"), ("AK2", "850", "4711001"), ("AK5", "A"), ("AK9", "A", "1", "1", "1")]
