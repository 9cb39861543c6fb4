"""CSV and Excel order files: the column mapping, per-row results, whole-file rejection, duplicates,
and pickup from a folder and over SFTP with a results file written back."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.channels.conftest import Channels, fixture_bytes
from tests.channels.local_servers import SftpServer, sftp_server

ORDERS = fixture_bytes("csv", "orders.csv")
BAD_ROWS = fixture_bytes("csv", "orders_bad_rows.csv")


def rows_of(response: Any) -> list[tuple[int, str | None, str, str | None]]:
    return [(r["row"], r["external_id"], r["outcome"], r["reason"]) for r in response.json()["data"]["rows"]]


def test_rows_sharing_an_external_id_become_one_order(channels: Channels) -> None:
    connection_id = channels.create("csv", {})

    response = channels.upload("csv", connection_id, "orders.csv", ORDERS)

    assert response.status_code == 201, response.text
    assert [(r, e, o) for r, e, o, _ in rows_of(response)] == [
        (2, "WS-10001", "created"),
        (3, "WS-10001", "created"),
        (4, "WS-10002", "created"),
        (5, "WS-10003", "created"),
    ]
    orders = {o["external_id"]: o["order_id"] for o in response.json()["data"]["orders"]}
    first = channels.order(orders["WS-10001"])
    assert first["source"] == "csv" and first["channel_order_id"] == "WS-10001"
    assert [(li["sku"], li["name"], li["quantity"], li["price"]) for li in first["line_items"]] == [
        ("TEE-BLK-S", "Black tee small", 2, 18),
        ("MUG-WHT-11", "White mug 11oz", 6, 7.25),
    ]
    assert first["tags"] == ["wholesale", "spring"] and first["note"] == "Leave at front desk"
    assert first["customer_email"] == "olivia.chen@example.com"
    assert first["shipping_address"]["address2"] == "Apt 3"
    second = channels.order(orders["WS-10002"])
    assert second["line_items"][0]["price"] == 1234.5
    assert second["shipping_address"]["company"] == "Reed Outfitters"
    # Abroad, state may be empty.
    abroad = channels.order(orders["WS-10003"])["shipping_address"]
    assert (abroad["country"], abroad["state"], abroad["zip"]) == ("BR", "", "80010-010")


def test_a_file_with_bad_rows_is_rejected_whole_with_every_reason(channels: Channels) -> None:
    connection_id = channels.create("csv", {})

    response = channels.upload("csv", connection_id, "bad.csv", BAD_ROWS)

    assert response.status_code == 422
    assert response.json()["detail"] == "bad.csv rejected, nothing imported: 4 of 6 row(s) have errors"
    assert rows_of(response) == [
        (2, "WS-20001", "not_imported", "file rejected for other rows"),
        (
            3,
            "WS-20001",
            "error",
            "address1 '99 Other Rd' differs from '12 Elm St' on row 2 of the same order",
        ),
        (4, "WS-20002", "error", "sku is empty"),
        (5, "WS-20003", "error", "quantity 'two' is not a whole number of at least 1"),
        (6, None, "error", "external_id is empty"),
        (7, "WS-20004", "not_imported", "file rejected for other rows"),
    ]
    assert channels.orders() == []
    [delivery] = channels.deliveries(connection_id)
    assert delivery["outcome"] == "error"
    assert delivery["detail"].splitlines()[1:] == [
        "row 3: address1 '99 Other Rd' differs from '12 Elm St' on row 2 of the same order",
        "row 4: sku is empty",
        "row 5: quantity 'two' is not a whole number of at least 1",
        "row 6: external_id is empty",
    ]


def test_a_missing_required_column_rejects_the_file(channels: Channels) -> None:
    connection_id = channels.create("csv", {})
    response = channels.upload("csv", connection_id, "short.csv", b"external_id,sku,quantity\nA-1,SKU,1\n")
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "short.csv rejected, nothing imported: short.csv lacks required column(s) 'ship_name' (ship_name), "
        "'address1' (address1), 'city' (city); found 'external_id', 'sku', 'quantity'"
    )


def test_duplicates_are_refused_per_file_and_per_order(channels: Channels) -> None:
    connection_id = channels.create("csv", {})
    assert channels.upload("csv", connection_id, "orders.csv", ORDERS).status_code == 201

    again = channels.upload("csv", connection_id, "orders-copy.csv", ORDERS)
    assert again.status_code == 409
    assert again.json()["detail"] == "orders-copy.csv was already received; nothing imported again"

    more = ORDERS + b"WS-10004,,,Kim Lee,,9 Bay Rd,,Miami,FL,33101,US,,TEE-BLK-L,,1,18,,,\n"
    response = channels.upload("csv", connection_id, "orders-plus.csv", more)
    assert response.status_code == 201
    assert [(e, o, reason) for _, e, o, reason in rows_of(response)] == [
        ("WS-10001", "duplicate", "order already imported"),
        ("WS-10001", "duplicate", "order already imported"),
        ("WS-10002", "duplicate", "order already imported"),
        ("WS-10003", "duplicate", "order already imported"),
        ("WS-10004", "created", None),
    ]
    assert len(channels.orders()) == 4


def test_excel_upload_with_a_custom_column_mapping(channels: Channels) -> None:
    connection_id = channels.create(
        "csv",
        {
            "format": {
                "columns": {
                    "external_id": "PO Number",
                    "sku": "Item",
                    "quantity": "Qty",
                    "price": "Unit Price",
                    "ship_name": "Ship To",
                    "address1": "Street",
                    "city": "City",
                    "state": "ST",
                    "zip": "Postal",
                    "item_name": None,
                }
            }
        },
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["PO Number", "Item", "Qty", "Unit Price", "Ship To", "Street", "City", "ST", "Postal"])
    sheet.append(["XL-1", "WIDGET-9", 3, 12.5, "Dana Scully", "1 FBI Way", "Washington", "DC", "20535"])
    sheet.append(["XL-1", "WIDGET-10", 1.0, 4, None, None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = channels.upload("csv", connection_id, "orders.xlsx", buffer.getvalue(), binary=True)

    assert response.status_code == 201, response.text
    order = channels.order(response.json()["data"]["orders"][0]["order_id"])
    assert [(li["sku"], li["quantity"], li["price"]) for li in order["line_items"]] == [
        ("WIDGET-9", 3, 12.5),
        ("WIDGET-10", 1, 4),
    ]
    assert order["shipping_address"]["zip"] == "20535"
    text_xlsx = channels.tenant.post(
        f"/partner/v1/channels/csv/{connection_id}/files", json={"filename": "x.xlsx", "content": "abc"}
    )
    assert text_xlsx.status_code == 422
    assert text_xlsx.json()["detail"] == 'Excel files must be sent with encoding "base64"'
    garbage = channels.upload("csv", connection_id, "junk.xlsx", b"not a zip", binary=True)
    assert garbage.status_code == 422
    assert (
        garbage.json()["detail"]
        == "junk.xlsx rejected, nothing imported: not an Excel .xlsx workbook (BadZipFile)"
    )


def test_folder_pickup_writes_a_results_file(
    channels: Channels, tmp_path: Path, work: Callable[[], int]
) -> None:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    connection_id = channels.create(
        "csv",
        {
            "transport": "folder",
            "inbox_dir": str(inbox),
            "outbox_dir": str(outbox),
            "min_file_age_seconds": 0,
        },
    )
    (inbox / "orders.csv").write_bytes(ORDERS)
    (inbox / "bad.csv").write_bytes(BAD_ROWS)

    channels.poll(connection_id)
    work()

    assert [p.name for p in (inbox / "processed").iterdir()] == ["orders.csv"]
    assert sorted(p.name for p in (inbox / "error").iterdir()) == ["bad.csv", "bad.csv.error.txt"]
    good = list(csv.DictReader((outbox / "orders.csv.results.csv").open()))
    assert [(r["row"], r["external_id"], r["outcome"]) for r in good] == [
        ("2", "WS-10001", "created"),
        ("3", "WS-10001", "created"),
        ("4", "WS-10002", "created"),
        ("5", "WS-10003", "created"),
    ]
    bad = list(csv.DictReader((outbox / "bad.csv.results.csv").open()))
    assert [(r["row"], r["outcome"]) for r in bad] == [
        ("2", "not_imported"),
        ("3", "error"),
        ("4", "error"),
        ("5", "error"),
        ("6", "error"),
        ("7", "not_imported"),
    ]
    assert len(channels.orders()) == 3


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpServer]:
    root = tmp_path / "sftp"
    (root / "drop").mkdir(parents=True)
    with sftp_server(root) as server:
        yield server


def test_sftp_pickup(channels: Channels, sftp: SftpServer, work: Callable[[], int]) -> None:
    connection_id = channels.create(
        "csv",
        {
            "transport": "sftp",
            "sftp_host": "127.0.0.1",
            "sftp_port": sftp.port,
            "sftp_username": sftp.username,
            "sftp_host_key": sftp.host_key,
            "inbox_dir": "/drop",
            "outbox_dir": "/results",
            "processed_dir": "/archive",
            "min_file_age_seconds": 0,
        },
        {"sftp_password": sftp.password},
    )
    (sftp.root / "drop" / "orders.csv").write_bytes(ORDERS)

    channels.poll(connection_id)
    work()

    assert len(channels.orders()) == 3
    assert [p.name for p in (sftp.root / "archive").iterdir()] == ["orders.csv"]
    assert (
        (sftp.root / "results" / "orders.csv.results.csv").read_text().startswith("row,external_id,outcome")
    )
