"""The EDI channel: 850 files uploaded, dropped in a folder and picked up over SFTP; whole-interchange
rejection, duplicates refused, a 997 for every received group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from tests.channels.conftest import Channels, fixture_bytes
from tests.channels.local_servers import SftpServer, sftp_server
from warpware.connectors.edi import Interchange, read_interchanges

TWO_POS = fixture_bytes("edi", "850_two_pos.edi")
CTT_MISMATCH = fixture_bytes("edi", "850_ctt_mismatch.edi")


def edi_settings(**overrides: Any) -> dict[str, Any]:
    return {"isa_qualifier": "ZZ", "isa_id": "WARPWARE", "min_file_age_seconds": 0, **overrides}


def segments(interchange: Interchange, seg_id: str) -> list[tuple[str, ...]]:
    return [
        s.elements
        for g in interchange.groups
        for t in g.transaction_sets
        for s in t.segments
        if s.id == seg_id
    ]


def test_upload_imports_every_po_in_one_go_and_queues_a_997(channels: Channels) -> None:
    connection_id = channels.create("edi", edi_settings())

    response = channels.upload("edi", connection_id, "850_two_pos.edi", TWO_POS)

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["outcome"] == "accepted"
    assert [(o["external_id"], o["outcome"]) for o in data["orders"]] == [
        ("PO-778812", "created"),
        ("PO-778813", "created"),
    ]
    orders = {o["external_id"]: o for o in channels.orders()}
    first = channels.order(data["orders"][0]["order_id"])
    assert first["source"] == "edi" and first["channel_order_id"] == "PO-778812"
    assert [(li["sku"], li["quantity"]) for li in first["line_items"]] == [
        ("SKU-RED-M", 8),
        ("SKU-MUG-01", 4),
    ]
    assert first["shipping_address"]["address2"] == "APT 4B"
    assert set(orders) == {"PO-778812", "PO-778813"}
    # One 997 for the one interchange; its FA group acknowledges group 123 and both sets.
    [ack] = channels.documents(connection_id, "997")
    assert data["documents"] == [ack["filename"]] and ack["status"] == "pending"
    [interchange] = read_interchanges(channels.document(connection_id, ack["id"])["content"])
    assert (interchange.sender_id, interchange.receiver_id) == ("WARPWARE", "ACMERETAIL")
    assert interchange.groups[0].functional_id == "FA"
    assert segments(interchange, "AK1") == [("AK1", "PO", "123")]
    assert segments(interchange, "AK5") == [("AK5", "A"), ("AK5", "A")]
    assert segments(interchange, "AK9") == [("AK9", "A", "2", "2", "2")]


def test_the_same_interchange_twice_is_refused(channels: Channels) -> None:
    connection_id = channels.create("edi", edi_settings())
    assert channels.upload("edi", connection_id, "a.edi", TWO_POS).status_code == 201

    again = channels.upload("edi", connection_id, "a-resent.edi", TWO_POS.replace(b"~", b"~\n"))

    assert again.status_code == 409
    assert again.json()["detail"] == (
        "a-resent.edi: interchange 000000123 from ZZ:ACMERETAIL was already received; nothing imported again"
    )
    assert len(channels.orders()) == 2
    assert len(channels.documents(connection_id, "997")) == 1


def test_a_malformed_interchange_is_rejected_whole_with_its_reason_and_a_rejecting_997(
    channels: Channels,
) -> None:
    connection_id = channels.create("edi", edi_settings())

    response = channels.upload("edi", connection_id, "bad.edi", CTT_MISMATCH)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("bad.edi rejected whole, nothing imported: transaction set 0001: CTT01 says")
    assert channels.orders() == []
    [delivery] = channels.deliveries(connection_id)
    assert delivery["outcome"] == "error" and delivery["detail"] == detail
    assert delivery["delivery_id"].startswith("sha256:")
    [ack] = channels.documents(connection_id, "997")
    [interchange] = read_interchanges(channels.document(connection_id, ack["id"])["content"])
    assert segments(interchange, "AK9")[0][:2] == ("AK9", "R")
    assert all(seg[1] == "R" for seg in segments(interchange, "AK5"))
    # The identical file again is a duplicate; a corrected file may reuse the control number.
    assert channels.upload("edi", connection_id, "bad.edi", CTT_MISMATCH).status_code == 409
    assert channels.upload("edi", connection_id, "fixed.edi", TWO_POS).status_code == 201


def test_an_interchange_for_someone_else_is_rejected_and_not_acknowledged(channels: Channels) -> None:
    connection_id = channels.create("edi", edi_settings(isa_id="OTHERCO"))

    response = channels.upload("edi", connection_id, "x.edi", TWO_POS)

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "x.edi rejected whole, nothing imported: interchange 000000123 is "
        "addressed to ZZ:WARPWARE, not to this connection's ZZ:OTHERCO"
    )
    assert channels.documents(connection_id) == [] and channels.orders() == []


def test_text_that_is_not_x12_is_rejected(channels: Channels) -> None:
    connection_id = channels.create("edi", edi_settings())
    response = channels.upload("edi", connection_id, "notes.txt", b"hello, this is not EDI")
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "notes.txt is not an X12 interchange: input does not start with an ISA segment (starts with 'hel')"
    )


def test_upload_needs_a_write_key_of_the_same_account(channels: Channels, other_tenant: Any) -> None:
    connection_id = channels.create("edi", edi_settings())
    response = other_tenant.post(
        f"/partner/v1/channels/edi/{connection_id}/files",
        json={"filename": "a.edi", "content": TWO_POS.decode()},
    )
    assert response.status_code == 404
    assert (
        channels.tenant.client.post(
            f"/partner/v1/channels/edi/{connection_id}/files", json={"filename": "a.edi", "content": "x"}
        ).status_code
        == 401
    )


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("inbox", "outbox")}
    for path in paths.values():
        path.mkdir()
    return paths


def test_folder_pickup_moves_each_file_and_writes_997s_to_the_outbox(
    channels: Channels, folders: dict[str, Path], work: Callable[[], int]
) -> None:
    connection_id = channels.create(
        "edi",
        edi_settings(transport="folder", inbox_dir=str(folders["inbox"]), outbox_dir=str(folders["outbox"])),
    )
    (folders["inbox"] / "850_two_pos.edi").write_bytes(TWO_POS)
    (folders["inbox"] / "850_bad.edi").write_bytes(CTT_MISMATCH)
    (folders["inbox"] / "upload.edi.part").write_bytes(b"ISA*still being written")

    channels.poll(connection_id)
    work()

    inbox = folders["inbox"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["upload.edi.part"]
    assert [p.name for p in (inbox / "processed").iterdir()] == ["850_two_pos.edi"]
    assert sorted(p.name for p in (inbox / "error").iterdir()) == ["850_bad.edi", "850_bad.edi.error.txt"]
    assert "CTT01 says" in (inbox / "error" / "850_bad.edi.error.txt").read_text()
    assert sorted(o["external_id"] for o in channels.orders()) == ["PO-778812", "PO-778813"]
    written = sorted(folders["outbox"].iterdir())
    assert len(written) == 2 and all(p.name.startswith("997_") for p in written)
    statuses = sorted(
        read_interchanges(p.read_text())[0].groups[0].transaction_sets[0].segments[-2].elements[1]
        for p in written
    )
    assert statuses == ["A", "R"]
    assert all(d["status"] == "delivered" for d in channels.documents(connection_id))

    # A partner dropping the same interchange again: refused, filed under error/ with the reason.
    (inbox / "850_two_pos_again.edi").write_bytes(TWO_POS)
    channels.poll(connection_id)
    work()
    assert "already received" in (inbox / "error" / "850_two_pos_again.edi.error.txt").read_text()
    assert len(channels.orders()) == 2


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpServer]:
    root = tmp_path / "sftp-root"
    (root / "in").mkdir(parents=True)
    with sftp_server(root) as server:
        yield server


def sftp_settings(server: SftpServer, **overrides: Any) -> dict[str, Any]:
    return edi_settings(
        **{
            "transport": "sftp",
            "sftp_host": "127.0.0.1",
            "sftp_port": server.port,
            "sftp_username": server.username,
            "sftp_host_key": server.host_key,
            "inbox_dir": "/in",
            "outbox_dir": "/out",
            **overrides,
        }
    )


def test_sftp_pickup_imports_and_answers_over_sftp(
    channels: Channels, sftp: SftpServer, work: Callable[[], int]
) -> None:
    connection_id = channels.create("edi", sftp_settings(sftp), {"sftp_password": sftp.password})
    (sftp.root / "in" / "PO_20260115.x12").write_bytes(TWO_POS)

    channels.poll(connection_id)
    work()

    assert sorted(o["external_id"] for o in channels.orders()) == ["PO-778812", "PO-778813"]
    assert [p.name for p in (sftp.root / "in" / "processed").iterdir()] == ["PO_20260115.x12"]
    [ack] = list((sftp.root / "out").iterdir())
    assert (
        ack.name.startswith("997_") and read_interchanges(ack.read_text())[0].groups[0].functional_id == "FA"
    )


def test_sftp_bad_password_leaves_the_file_and_marks_the_connection(
    channels: Channels, sftp: SftpServer, work: Callable[[], int]
) -> None:
    connection_id = channels.create("edi", sftp_settings(sftp), {"sftp_password": "wrong"})
    (sftp.root / "in" / "PO.x12").write_bytes(TWO_POS)

    channels.poll(connection_id)
    work()

    assert (sftp.root / "in" / "PO.x12").exists() and channels.orders() == []
    connection = channels.tenant.get(f"/partner/v1/connections/{connection_id}").json()["data"]
    assert connection["last_error"] == "SFTP login refused: Permission denied for user acme on host 127.0.0.1"


def test_sftp_host_key_mismatch_is_refused(
    channels: Channels, sftp: SftpServer, work: Callable[[], int]
) -> None:
    other_key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    connection_id = channels.create(
        "edi", sftp_settings(sftp, sftp_host_key=other_key), {"sftp_password": sftp.password}
    )
    (sftp.root / "in" / "PO.x12").write_bytes(TWO_POS)
    channels.poll(connection_id)
    work()
    assert channels.orders() == []
    error = channels.tenant.get(f"/partner/v1/connections/{connection_id}").json()["data"]["last_error"]
    assert error.startswith("SFTP host key of 127.0.0.1 does not match sftp_host_key")


def test_settings_are_validated(channels: Channels) -> None:
    response = channels.tenant.post(
        "/partner/v1/connections",
        json={
            "name": "bad",
            "type": "edi",
            "settings": {"isa_id": "WARPWARE", "transport": "sftp", "inbox_dir": "/in", "outbox_dir": "/out"},
        },
    )
    assert response.status_code == 422
    assert "sftp transport needs sftp_host and sftp_username" in response.json()["detail"]


def test_folders_outside_the_channel_folder_root_are_refused(channels: Channels, tmp_path: Path) -> None:
    response = channels.tenant.post(
        "/partner/v1/connections",
        json={
            "name": "sneaky",
            "type": "edi",
            "settings": edi_settings(transport="folder", inbox_dir="/etc", outbox_dir=str(tmp_path / "out")),
        },
    )
    assert response.status_code == 422
    assert f"folder /etc is outside the channel folder root {tmp_path.resolve()}" in response.json()["detail"]
