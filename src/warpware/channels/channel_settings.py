"""Settings and credentials of the edi, csv and email connection types (validated by the registry).

Kept apart from the channel code so connectors/registry.py can import them without importing the
services they use.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from warpware.channels.transports import SftpCredentials, TransportSettings
from warpware.connectors.edi import DEFAULT_ITEM_QUALIFIERS

_ISA_QUALIFIER = r"^[0-9A-Z]{2}$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EdiSettings(TransportSettings):
    """An X12 trading partner: where its files arrive and go, and our interchange ids."""

    # Our ISA sender id (ISA06/ISA08 as the partner addresses us). Inbound interchanges must be
    # addressed to it; outbound 856s are sent from it.
    isa_qualifier: str = Field(default="ZZ", pattern=_ISA_QUALIFIER)
    isa_id: str = Field(min_length=1, max_length=15, pattern=r"^[^*~>^|]+$")
    # The partner's ISA id; when set, interchanges from anyone else are rejected.
    partner_isa_qualifier: str | None = Field(default=None, pattern=_ISA_QUALIFIER)
    partner_isa_id: str | None = Field(default=None, min_length=1, max_length=15)
    # Which PO1 product id becomes the SKU, most preferred first (VP vendor part, SK, UP UPC, BP, IN).
    item_qualifiers: list[str] = Field(default_factory=lambda: list(DEFAULT_ITEM_QUALIFIERS), min_length=1)
    send_997: bool = True
    # One segment per line in files we write (most partners accept it; some want one long line).
    segment_line_breaks: bool = True

    @field_validator("item_qualifiers")
    @classmethod
    def _qualifiers(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip().upper() for q in value]
        if any(not re.fullmatch(r"[0-9A-Z]{2}", q) for q in cleaned):
            raise ValueError("item qualifiers are two-character X12 codes such as VP, SK, UP")
        return cleaned


class EdiCredentials(SftpCredentials):
    pass


class CsvColumns(BaseModel):
    """Which column header holds each order field. None: the file has no such column."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = "external_id"
    sku: str = "sku"
    quantity: str = "quantity"
    price: str | None = "price"
    item_name: str | None = "item_name"
    customer_name: str | None = "customer_name"
    email: str | None = "email"
    ship_name: str = "ship_name"
    ship_company: str | None = "ship_company"
    address1: str = "address1"
    address2: str | None = "address2"
    city: str = "city"
    state: str | None = "state"
    zip: str | None = "zip"
    country: str | None = "country"
    phone: str | None = "phone"
    tags: str | None = "tags"
    note: str | None = "note"
    service_level: str | None = "service_level"
    carrier: str | None = "carrier"


class CsvFormat(BaseModel):
    """How a CSV or Excel order file is read: rows sharing an external_id form one order."""

    model_config = ConfigDict(extra="forbid")

    columns: CsvColumns = Field(default_factory=CsvColumns)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    tag_separator: str = Field(default=";", min_length=1, max_length=3)
    default_country: str = Field(default="US", pattern=r"^[A-Za-z]{2}$")
    # Excel: the sheet to read (default: the first one).
    sheet: str | None = None
    source: str = Field(default="csv", pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$")


class CsvSettings(TransportSettings):
    format: CsvFormat = Field(default_factory=CsvFormat)
    # Write <file>.results.csv (every row's outcome) to the outbox after each picked-up file.
    write_results: bool = True


class CsvCredentials(SftpCredentials):
    pass


Security = Literal["ssl", "starttls", "none"]


class EmailSettings(BaseModel):
    """An order inbox: polled over IMAP, and/or fed by our SMTP receiver at `inbound_address`."""

    model_config = ConfigDict(extra="forbid")

    imap_host: str | None = None
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Security = "ssl"
    imap_username: str | None = None
    mailbox: str = "INBOX"
    poll_seconds: int = Field(default=300, ge=1, le=86_400)
    # The address our SMTP receiver accepts this connection's mail at (matched case-insensitively).
    inbound_address: str | None = None
    # Only mail from these addresses, or from "@domain" entries, is read; empty accepts any sender.
    allowed_senders: list[str] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Security = "starttls"
    smtp_username: str | None = None
    reply_from: str | None = None
    # Also told about every processed email and shipment, besides the sender.
    notify_addresses: list[str] = Field(default_factory=list)
    # How CSV/Excel attachments are read (orders from email always have source "email").
    format: CsvFormat = Field(default_factory=CsvFormat)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.imap_host and not self.inbound_address:
            raise ValueError("an email channel needs imap_host (polling) or inbound_address (SMTP receiver)")
        if self.imap_host and not self.imap_username:
            raise ValueError("imap_host needs imap_username")
        if self.smtp_host and not self.reply_from:
            raise ValueError("smtp_host needs reply_from (the From of reply emails)")
        for address in [self.reply_from, self.inbound_address, *self.notify_addresses]:
            if address is not None and not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return self

    def sender_allowed(self, address: str) -> bool:
        if not self.allowed_senders:
            return True
        address = address.lower()
        return any(
            address == a.lower() or (a.startswith("@") and address.endswith(a.lower()))
            for a in self.allowed_senders
        )


class EmailCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imap_password: SecretStr | None = None
    smtp_password: SecretStr | None = None
