"""The sandbox warehouse: a separate HTTP service speaking Extensiv's REST shape, with injectable faults."""

from warpware.sandbox.app import create_sandbox_app
from warpware.sandbox.config import SandboxConfig, SandboxFaults, SandboxSettings
from warpware.sandbox.server import SandboxServer, run_sandbox_warehouse

__all__ = [
    "SandboxConfig",
    "SandboxFaults",
    "SandboxServer",
    "SandboxSettings",
    "create_sandbox_app",
    "run_sandbox_warehouse",
]
