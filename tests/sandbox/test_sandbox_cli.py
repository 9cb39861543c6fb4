"""`python -m warpware.sandbox` runs the warehouse as its own process with the flags given."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_module_entry_point_serves_with_ship_delay_and_faults_from_flags() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "warpware.sandbox",
            "--port",
            str(port),
            "--ship-delay",
            "5",
            "--error-rate",
            "0.5",
            "--client-id",
            "cli",
            "--client-secret",
            "s3cret",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        settings = None
        deadline = time.monotonic() + 15
        while settings is None and time.monotonic() < deadline:
            try:
                settings = httpx.get(f"http://127.0.0.1:{port}/_sandbox/settings").json()
            except httpx.TransportError:
                time.sleep(0.1)
        faults = httpx.get(f"http://127.0.0.1:{port}/_sandbox/faults").json()
        refused = httpx.post(
            f"http://127.0.0.1:{port}/AuthServer/api/Token",
            auth=("cli", "wrong"),
            json={"grant_type": "client_credentials"},
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert settings == {"ship_delay": 5.0, "token_ttl_seconds": 1800}
    assert (faults["error_rate"], faults["invalid_sku_prefix"]) == (0.5, "INVALID-")
    assert refused.status_code == 401
