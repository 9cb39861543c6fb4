"""`python -m warpware.sandbox --port 8100 --ship-delay 5`: the sandbox warehouse without the main CLI."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from warpware.sandbox.config import SandboxFaults
from warpware.sandbox.server import run_sandbox_warehouse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m warpware.sandbox", description="A local stand-in for Extensiv 3PL Warehouse Manager."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--ship-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds from creation until an order ships (0: on the next status read)",
    )
    parser.add_argument("--token-ttl", type=int, default=1800, metavar="SECONDS")
    parser.add_argument("--client-id", help="accept only this client id (default: any)")
    parser.add_argument("--client-secret", help="accept only this client secret (default: any)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of creates answering 500")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit-next", type=int, default=0, help="answer 429 to the next N requests")
    parser.add_argument(
        "--rate-limit-rate", type=float, default=0.0, help="fraction of requests answering 429"
    )
    parser.add_argument("--retry-after", type=int, default=1, metavar="SECONDS")
    parser.add_argument("--status-5xx", action="store_true", help="answer 503 to every API request")
    parser.add_argument("--auth-failure", action="store_true", help="answer 401 to every API request")
    parser.add_argument("--timeout", action="store_true", help="hold every API request for --timeout-seconds")
    parser.add_argument("--timeout-seconds", type=float, default=30.0)
    parser.add_argument(
        "--invalid-sku-prefix",
        default="INVALID-",
        help="SKUs with this prefix answer 422 (empty string: off)",
    )
    parser.add_argument("--log-level", default="info")
    return parser


def faults_from_args(args: argparse.Namespace) -> SandboxFaults:
    return SandboxFaults(
        error_rate=args.error_rate,
        latency_ms=args.latency_ms,
        rate_limit_next=args.rate_limit_next,
        rate_limit_rate=args.rate_limit_rate,
        retry_after_seconds=args.retry_after,
        status_5xx=args.status_5xx,
        auth_failure=args.auth_failure,
        timeout=args.timeout,
        timeout_seconds=args.timeout_seconds,
        invalid_sku_prefix=args.invalid_sku_prefix or None,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run_sandbox_warehouse(
        args.host,
        args.port,
        args.ship_delay,
        faults=faults_from_args(args),
        token_ttl_seconds=args.token_ttl,
        client_id=args.client_id,
        client_secret=args.client_secret,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
