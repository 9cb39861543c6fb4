"""Reading order files and key/value email bodies: pure functions, no database."""

from __future__ import annotations

import pytest

from warpware.channels.channel_settings import CsvFormat
from warpware.channels.email import body_as_csv
from warpware.channels.files import TableError, parse_orders


def test_semicolon_files_with_quoted_line_breaks_keep_their_row_numbers() -> None:
    data = (
        b"external_id;ship_name;address1;city;state;zip;sku;quantity;note\n"
        b'EU-1;Jan Jansen;Kerkstraat 1;Utrecht;;3511;TEE;2;"ring twice\nthen wait"\n'
        b"EU-1;;;;;;MUG;1;\n"
    )
    parsed = parse_orders("eu.csv", data, CsvFormat(delimiter=";", default_country="NL"))
    assert parsed.rows == []
    [(order, rows)] = parsed.orders
    assert rows == (2, 3)
    assert order.note == "ring twice\nthen wait"
    assert (order.shipping_address.country, order.shipping_address.state) == ("NL", "")
    assert [(li.sku, li.quantity) for li in order.line_items] == [("TEE", 2), ("MUG", 1)]


def test_a_us_address_needs_state_and_zip() -> None:
    data = b"external_id,ship_name,address1,city,sku,quantity\nUS-1,Al,1 Main St,Austin,TEE,1\n"
    parsed = parse_orders("us.csv", data, CsvFormat())
    assert [(r.row, r.reason) for r in parsed.rows] == [
        (2, "state: String should have at least 1 character; zip: String should have at least 1 character")
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "x.csv has no header row"),
        (b"external_id,ship_name,address1,city,sku,quantity\n\n", "x.csv has a header but no data rows"),
        (b"a\x00b", "x.csv is not a text file (it contains NUL bytes)"),
    ],
)
def test_files_that_are_not_order_tables(data: bytes, reason: str) -> None:
    with pytest.raises(TableError) as raised:
        parse_orders("x.csv", data, CsvFormat())
    assert str(raised.value) == reason


def test_key_value_body() -> None:
    body = (
        "Hi,\n\nOrder: KV-1\nName: Dee\nAddress: 1 Elm\nCity: Salem\nState: MA\nZip: 01970\n"
        "Item: SOAP x 2 @ 6.50\nitem: BRUSH x 1\n-- \nItem: NOT-THIS x 9\n"
    )
    data = body_as_csv(body)
    assert data is not None
    [(order, _)] = parse_orders("body", data, CsvFormat(source="email")).orders
    assert order.external_id == "KV-1" and order.source == "email"
    assert [(li.sku, li.quantity, str(li.price)) for li in order.line_items] == [
        ("SOAP", 2, "6.50"),
        ("BRUSH", 1, "None"),
    ]
    assert body_as_csv("Please call me about an order.") is None
