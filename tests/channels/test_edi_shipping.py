"""An EDI purchase order end to end: an 850 dropped in the partner's folder, the sandbox warehouse ships
it, and the 856 ship notice appears in the partner's outbox, readable by our own X12 reader."""

from __future__ import annotations

from pathlib import Path

from tests.channels.conftest import Channels, fixture_bytes
from tests.pipeline.conftest import (  # noqa: F401  (fixtures)
    Clock,
    Pipeline,
    clock,
    pipeline,
    run_jobs,
    sandbox,
    sandbox_server,
)
from warpware.connectors.edi import Segment, read_interchanges
from warpware.worker import enqueue


def test_an_edi_order_ships_and_its_856_lands_in_the_outbox(
    pipeline: Pipeline,  # noqa: F811
    channels: Channels,
    clock: Clock,  # noqa: F811
    tmp_path: Path,
) -> None:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    connection_id = channels.create(
        "edi",
        {
            "transport": "folder",
            "inbox_dir": str(inbox),
            "outbox_dir": str(outbox),
            "isa_id": "WARPWARE",
            "min_file_age_seconds": 0,
        },
    )
    (inbox / "850_two_pos.edi").write_bytes(fixture_bytes("edi", "850_two_pos.edi"))

    channels.poll(connection_id)
    pipeline.run_jobs()
    orders = {o["external_id"]: o for o in channels.orders()}
    assert {o["status"] for o in orders.values()} == {"processing"}
    assert {o["route_destination_type"] for o in orders.values()} == {"sandbox"}

    clock.advance(61)
    pipeline.run_jobs()

    first = pipeline.get(orders["PO-778812"]["id"])
    assert first["status"] == "shipped" and pipeline.types(str(first["id"]))[-1] == "writeback_success"
    asns = sorted(
        (p for p in outbox.iterdir() if p.name.startswith("856_")), key=lambda p: p.name.split("_")[-1]
    )
    assert [p.name.rsplit("_", 1)[-1] for p in asns] == ["PO-778812.edi", "PO-778813.edi"]
    [interchange] = read_interchanges(asns[0].read_text())
    assert interchange.problems() == []
    assert (interchange.sender_qualifier, interchange.sender_id) == ("ZZ", "WARPWARE")
    assert (interchange.receiver_qualifier, interchange.receiver_id) == ("ZZ", "ACMERETAIL")
    [group] = interchange.groups
    assert group.functional_id == "SH" and group.version == "004010"
    [asn] = group.transaction_sets
    assert asn.id == "856"
    by_id: dict[str, list[Segment]] = {}
    for segment in asn.segments:
        by_id.setdefault(segment.id, []).append(segment)
    assert by_id["BSN"][0].get(2) == first["tracking_number"]
    assert by_id["PRF"][0].elements == ("PRF", "PO-778812", "", "", "20260115")
    assert [s.elements for s in by_id["MAN"]] == [("MAN", "SM", first["tracking_number"])]
    assert by_id["N1"][0].elements == ("N1", "ST", "JOHN SMITH", "92", "STORE-042")
    # The buyer's own product ids are echoed: VP and UP for line 1, VP for line 2.
    assert [s.elements for s in by_id["LIN"]] == [
        ("LIN", "1", "VP", "SKU-RED-M", "UP", "012345678905"),
        ("LIN", "2", "VP", "SKU-MUG-01"),
    ]
    assert [s.elements[2] for s in by_id["SN1"]] == ["8", "4"]
    assert by_id["CTT"][0].elements == ("CTT", "5")
    # Each received group got its 997 as well, and every document reached the outbox.
    assert len([p for p in outbox.iterdir() if p.name.startswith("997_")]) == 1
    assert {d["kind"]: d["status"] for d in channels.documents(connection_id)} == {
        "997": "delivered",
        "856": "delivered",
    }
    # The writeback job running again re-sends the same 856 (same control number), never a second ASN.
    before = asns[0].read_text()
    with channels.db.writing() as session:
        enqueue(session, "order.writeback", {"order_id": str(first["id"])})
    pipeline.run_jobs()
    assert len(channels.documents(connection_id, "856")) == 2
    assert len([p for p in outbox.iterdir() if p.name.startswith("856_")]) == 2
    assert asns[0].read_text() == before
