"""A real webhook receiver on loopback, and the verification code a partner would run."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.servers import free_port


def verify_signature(secret: str, body: bytes, signature_header: str) -> bool:
    """Verbatim from the Partner API reference ("Verifying the signature")."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


def standard_webhook(secret: str) -> Webhook:
    """The Standard Webhooks library as its docs say: whsec_ secrets as given, raw secrets as bytes."""
    return Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def event(self) -> str:
        return str(self.payload["event"])

    def verify(self, secret: str, *, fresh: bool = True) -> None:
        """Both signatures check out. `fresh`: also the library's 5-minute timestamp window (tests that
        move the service's clock send timestamps the wall clock would call stale)."""
        assert verify_signature(secret, self.body, self.headers["x-warpware-signature"])
        wh = standard_webhook(secret)
        if fresh:
            assert wh.verify(self.body, self.headers) == self.payload
        else:
            stamp = dt.datetime.fromtimestamp(int(self.headers["webhook-timestamp"]), tz=dt.UTC)
            expected = wh.sign(self.headers["webhook-id"], stamp, self.body.decode())
            assert expected in self.headers["webhook-signature"].split(" ")


@dataclass
class Receiver:
    """Answers `status` (after `delay` seconds) and records every request. stop() closes the port."""

    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0
    location: str | None = None
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/warpware"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, delay, location = receiver.status, receiver.delay, receiver.location
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                            time.time(),
                        )
                    )
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                # No keep-alive: stop() must really take the receiver down.
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"ok")
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def events(self) -> list[str]:
        return [r.event for r in self.accepted()]

    def for_order(self, order_id: str) -> list[str]:
        return [r.event for r in self.accepted() if r.payload["data"].get("id") == order_id]
