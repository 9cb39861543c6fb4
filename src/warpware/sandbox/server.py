"""Running the sandbox warehouse: in the foreground (the CLI) or on a background thread (tests, demos)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from warpware.sandbox.app import create_sandbox_app
from warpware.sandbox.config import SandboxConfig, SandboxFaults, SandboxSettings


def run_sandbox_warehouse(
    host: str = "127.0.0.1",
    port: int = 8100,
    ship_delay: float = 0.0,
    *,
    faults: SandboxFaults | None = None,
    token_ttl_seconds: int = 1800,
    client_id: str | None = None,
    client_secret: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve the sandbox warehouse until interrupted."""
    config = SandboxConfig(
        settings=SandboxSettings(ship_delay=ship_delay, token_ttl_seconds=token_ttl_seconds),
        faults=faults or SandboxFaults(),
        client_id=client_id,
        client_secret=client_secret,
    )
    uvicorn.run(create_sandbox_app(config), host=host, port=port, log_level=log_level)


class SandboxServer:
    """The sandbox on a free loopback port in a background thread: `with SandboxServer() as s: s.url`."""

    def __init__(
        self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        # Binding here, before the thread starts, makes the port known (and ours) up front.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        uvicorn_config = uvicorn.Config(
            create_sandbox_app(self.config),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(uvicorn_config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"sandbox-warehouse-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox warehouse did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
