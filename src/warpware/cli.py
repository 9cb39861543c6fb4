"""The `warpware` command: serve, db, keys (and the worker and sandbox warehouse)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.config import get_settings
from warpware.db import Database
from warpware.users.cli import users_app

app = typer.Typer(
    help="WarpWare order orchestration",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
keys_app = typer.Typer(help="Partner API keys (Custom API Integrations)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")


def _database() -> Database:

    return Database(get_settings().database_url)


def _err(message: str) -> None:
    typer.echo(message, err=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to WARPWARE_DATABASE_URL."""
    from warpware.schema import upgrade

    database = _database()
    upgrade(database)
    _err(f"database is up to date ({database.dialect})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes")] = 1,
) -> None:
    """Run the HTTP server (applies migrations first)."""
    import uvicorn

    from warpware.schema import upgrade

    upgrade(_database())
    os.environ["WARPWARE_SERVER_PROCESSES"] = str(workers)
    get_settings.cache_clear()
    uvicorn.run(
        "warpware.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def sandbox_warehouse(ctx: typer.Context) -> None:
    """Run the sandbox warehouse (Extensiv's REST shape): --port 8100 --ship-delay SECONDS, faults."""
    from warpware.sandbox.__main__ import main as sandbox_main

    sandbox_main(list(ctx.args))


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once in this process")] = 8,
    lease_seconds: Annotated[
        float, typer.Option(help="How long a claimed job is ours without a heartbeat")
    ] = 30.0,
) -> None:
    """Run a worker process: claims due jobs until SIGTERM (any number of them, on any machine)."""
    from warpware.app import HANDLER_MODULES
    from warpware.pipeline.tasks import ensure_schedules
    from warpware.worker import run_worker_process

    ensure_schedules(_database())
    run_worker_process(get_settings().database_url, concurrency, HANDLER_MODULES, lease_seconds=lease_seconds)


@app.command()
def smtp_receiver(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port")] = 2525,
) -> None:
    """Receive order emails by SMTP for email channels (their inbound_address); runs until interrupted."""
    import threading

    from warpware.channels.smtp_receiver import start_smtp_receiver

    controller = start_smtp_receiver(_database(), host=host, port=port)
    _err(f"receiving order email on {host}:{port}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


connections_app = typer.Typer(help="Destination connections", no_args_is_help=True)
rules_app = typer.Typer(help="Automation rules", no_args_is_help=True)
app.add_typer(connections_app, name="connections")
app.add_typer(rules_app, name="rules")


def _principal(session: Session, account: str) -> Principal:
    from warpware.accounts import repository

    found = repository.account_by_slug(session, account)
    if found is None:
        _err(f"error: no account {account!r}")
        raise typer.Exit(2)
    return Principal(
        account_id=found.id,
        account_slug=found.slug,
        integration_id=None,
        scopes=frozenset({"read", "write"}),
        home_country=found.home_country,
    )


@connections_app.command("create")
def connections_create(
    account: Annotated[str, typer.Option(help="Account slug")],
    name: Annotated[str, typer.Option(help="Display name")],
    type: Annotated[str, typer.Option(help="sandbox, extensiv, shipstation or http")],
    settings: Annotated[str, typer.Option(help="Settings as JSON")] = "{}",
    credentials: Annotated[str, typer.Option(help="Credentials as JSON (stored encrypted)")] = "{}",
    default: Annotated[bool, typer.Option("--default", help="Route orders here when no rule does")] = False,
) -> None:
    """Create a destination connection; prints its id."""
    import json

    from warpware.connections import service
    from warpware.connections.schemas import ConnectionCreate
    from warpware.errors import WarpWareError

    try:
        body = ConnectionCreate(
            name=name,
            type=type,
            settings=json.loads(settings),
            credentials=json.loads(credentials),
            is_default=default,
        )
        with _database().writing() as session:
            connection = service.create(session, _principal(session, account), body)
    except (ValueError, WarpWareError) as exc:
        _err(f"error: {getattr(exc, 'detail', exc)}")
        raise typer.Exit(2) from None
    typer.echo(str(connection.id))


@connections_app.command("list")
def connections_list(account: Annotated[str, typer.Option(help="Account slug")]) -> None:
    """List an account's connections (never their credentials)."""
    from warpware.connections import repository

    with _database().reading() as session:
        rows = repository.for_account(session, _principal(session, account).account_id)
    for c in rows:
        typer.echo(f"{c.id}  {c.type:12} {c.name:30} {'default' if c.is_default else ''}")


@rules_app.command("load")
def rules_load(
    account: Annotated[str, typer.Option(help="Account slug")],
    path: Annotated[str, typer.Argument(help="YAML file of rules")],
) -> None:
    """Load rules from a YAML file: all of them, or none when any is invalid."""
    from pathlib import Path

    from warpware.automation import service
    from warpware.errors import WarpWareError

    try:
        with _database().writing() as session:
            created = service.import_yaml(session, _principal(session, account), Path(path).read_text())
    except (OSError, WarpWareError) as exc:
        _err(f"error: {getattr(exc, 'detail', exc)}")
        raise typer.Exit(2) from None
    _err(f"loaded {len(created)} rule(s)")


DEMO_ACCOUNT, DEMO_SUB_CLIENT = "demo", "main"
SANDBOX_PORT = 8100


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Start the service for a first look: SQLite under ./var, a demo account, its key printed once."""
    import subprocess

    from warpware.accounts import repository
    from warpware.accounts.service import create_api_key
    from warpware.connections import repository as connections_repository
    from warpware.connections import service as connections_service
    from warpware.connections.schemas import ConnectionCreate
    from warpware.schema import upgrade
    from warpware.users.service import ensure_demo_admin

    # A first look should show orders reach Shipped within seconds of the sandbox shipping them, not
    # wait for the production poll interval (60 s); an explicit setting still wins.
    os.environ.setdefault("WARPWARE_TRACKING_POLL_SECONDS", "5")
    database = _database()
    upgrade(database)
    with database.writing() as session:
        account = repository.account_by_slug(session, DEMO_ACCOUNT)
        existing = repository.integrations_for(session, account.id) if account else []
        created = None
        if not existing:
            created = create_api_key(
                session,
                account_slug=DEMO_ACCOUNT,
                sub_client_slug=DEMO_SUB_CLIENT,
                name="Demo key",
                scopes="read,write",
            )
        demo_principal = _principal(session, DEMO_ACCOUNT)
        if not connections_repository.for_account(session, demo_principal.account_id):
            connections_service.create(
                session,
                demo_principal,
                ConnectionCreate(
                    name="Sandbox warehouse",
                    type="sandbox",
                    is_default=True,
                    settings={"base_url": f"http://127.0.0.1:{SANDBOX_PORT}"},
                ),
            )
        demo_admin = ensure_demo_admin(session, account_slug=DEMO_ACCOUNT)
    # The bundled sandbox warehouse, so orders flow from pending to shipped on a fresh machine.
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "warpware.sandbox",
            "--port",
            str(SANDBOX_PORT),
            "--ship-delay",
            "15",
            "--log-level",
            "warning",
        ]
    )
    if created is not None:
        typer.echo("\n  Demo account: demo:main\n  API key (shown once, store it now):\n")
        typer.echo(f"    {created.key}\n")
        typer.echo(
            f"  Try: curl -H 'Authorization: Bearer {created.key}' http://{host}:{port}/partner/v1/orders\n"
        )
    else:
        typer.echo(
            "\n  Demo account demo:main exists; its key was printed at first start.\n"
            "  Make another: .venv/bin/warpware keys create --account demo --sub-client main "
            "--name 'Another key' --scopes read,write\n"
        )
    if demo_admin is not None:
        typer.echo("  Dashboard sign-in (shown once, store it now):\n")
        typer.echo(f"    email {demo_admin[0]}\n    password {demo_admin[1]}\n")
    else:
        typer.echo(
            "  Dashboard admin admin@demo.example exists; add users with .venv/bin/warpware users create "
            "--account demo --email you@example.com --role admin\n"
        )
    typer.echo(f"  Dashboard: http://{host}:{port}/")
    typer.echo(f"  Partner API: http://{host}:{port}/partner/v1  (OpenAPI: /partner/v1/openapi.json)")
    typer.echo(f"  Sandbox warehouse: http://127.0.0.1:{SANDBOX_PORT} (orders ship 15 s after they arrive)\n")
    try:
        serve(host=host, port=port, workers=1)
    finally:
        sandbox.terminate()


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="Account slug, e.g. acme (created if new)")],
    name: Annotated[str, typer.Option(help='Integration name, e.g. "My ERP"')],
    sub_client: Annotated[
        str | None, typer.Option(help="Sub-client slug, e.g. warehouse-east (created if new)")
    ] = None,
    scopes: Annotated[str, typer.Option(help="read or read,write")] = "read,write",
    expires_in_days: Annotated[
        int | None, typer.Option(help="Key stops working after this many days")
    ] = None,
) -> None:
    """Create an API key. The key is printed once on stdout and cannot be shown again."""
    from warpware.accounts.service import create_api_key
    from warpware.errors import WarpWareError
    from warpware.kit.clock import utcnow

    expires_at = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    try:
        with _database().writing() as session:
            created = create_api_key(
                session,
                account_slug=account,
                sub_client_slug=sub_client,
                name=name,
                scopes=scopes,
                expires_at=expires_at,
            )
    except WarpWareError as exc:
        _err(f"error: {exc.detail}")
        raise typer.Exit(2) from None
    client = f"{account}:{sub_client}" if sub_client else account
    _err(
        f"created key {created.integration.id} for {client} ({created.integration.scopes}); "
        "store it now, it is not shown again:"
    )
    typer.echo(created.key)


@keys_app.command("list")
def keys_list(account: Annotated[str | None, typer.Option(help="Only this account")] = None) -> None:
    """List keys (never the keys themselves): id, client, name, scopes, usage, state."""
    from warpware.accounts import repository

    with _database().reading() as session:
        account_id = None
        if account:
            found = repository.account_by_slug(session, account)
            if found is None:
                _err(f"error: no account {account!r}")
                raise typer.Exit(2)
            account_id = found.id
        rows = repository.integrations_for(session, account_id)
        pushed = repository.orders_pushed(session, [r[0].id for r in rows])
    typer.echo(f"{'id':36}  {'client':28} {'name':20} {'scopes':10} {'pushed':>7}  {'last active':20} state")
    for integration, acct, sub in rows:
        client = f"{acct.slug}:{sub.slug}" if sub else acct.slug
        state = "revoked" if integration.revoked_at else "active"
        if integration.expires_at and integration.expires_at <= dt.datetime.now(dt.UTC) and state == "active":
            state = "expired"
        last = (
            integration.last_active_at.strftime("%Y-%m-%d %H:%M:%S")
            if integration.last_active_at
            else "never"
        )
        typer.echo(
            f"{integration.id!s:36}  {client:28} {integration.name[:20]:20} {integration.scopes:10} "
            f"{pushed[integration.id]:>7}  {last:20} {state} (…{integration.key_hint})"
        )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id from `warpware keys list`")],
) -> None:
    """Revoke a key: it stops working at once."""
    from warpware.accounts.service import revoke_api_key
    from warpware.errors import WarpWareError

    try:
        with _database().writing() as session:
            revoke_api_key(session, uuid.UUID(key_id))
    except (ValueError, WarpWareError):
        _err(f"error: no API key with id {key_id}")
        raise typer.Exit(2) from None
    _err(f"revoked {key_id}")


def main() -> None:
    app(prog_name="warpware")


if __name__ == "__main__":
    main()
