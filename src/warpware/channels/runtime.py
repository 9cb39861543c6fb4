"""The database the channels' tracking writers use.

A TrackingWriter is built from a connection's settings and called with a ShipmentNotice only, but the
EDI, CSV and email writers need more than the notice carries (the PO's ship-to and product ids, a
control number, the address an order email came from), and they record the document they send. They
reach the database through here: the one bound by create_app (the server and its embedded worker),
else the configured WARPWARE_DATABASE_URL (a `warpware worker` process).
"""

from __future__ import annotations

import threading

from warpware.config import get_settings
from warpware.db import Database

_lock = threading.Lock()
_bound: Database | None = None
_by_url: dict[str, Database] = {}


def bind_database(database: Database) -> None:
    global _bound
    with _lock:
        _bound = database


def channel_database() -> Database:
    with _lock:
        if _bound is not None:
            return _bound
        url = get_settings().database_url
        if url not in _by_url:
            _by_url[url] = Database(url)
        return _by_url[url]
