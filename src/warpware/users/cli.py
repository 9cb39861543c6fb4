"""`warpware users create|list`: dashboard users from the command line. Passwords are never printed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from warpware.config import get_settings
from warpware.db import Database

users_app = typer.Typer(help="Dashboard users (admin, operator, viewer)", no_args_is_help=True)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        _err("error: the two passwords differ")
        raise typer.Exit(2)
    return str(first)


@users_app.command("create")
def users_create(
    account: Annotated[str, typer.Option(help="Account slug, e.g. acme")],
    email: Annotated[str, typer.Option(help="Sign-in email")],
    role: Annotated[str, typer.Option(help="admin, operator or viewer")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")
    ] = False,
) -> None:
    """Create a user. The password is prompted twice (hidden) or read from stdin; it is never shown."""
    from warpware.errors import WarpWareError
    from warpware.users.service import create_user

    password = _read_password(password_stdin)
    try:
        with Database(get_settings().database_url).writing() as session:
            user = create_user(
                session, account_slug=account, email=email, password=password, role=role, name=name
            )
            summary = f"created {user.role} {user.email} in account {account} (id {user.id})"
    except WarpWareError as exc:
        _err(f"error: {exc.detail}")
        raise typer.Exit(2) from None
    _err(summary)


@users_app.command("list")
def users_list(account: Annotated[str, typer.Option(help="Account slug")]) -> None:
    """List an account's users: email, role, state, last sign-in."""
    from warpware.errors import WarpWareError
    from warpware.users.service import list_users

    try:
        with Database(get_settings().database_url).reading() as session:
            users = list_users(session, account_slug=account)
    except WarpWareError as exc:
        _err(f"error: {exc.detail}")
        raise typer.Exit(2) from None
    typer.echo(f"{'email':40} {'role':9} {'state':9} {'last sign-in':20} name")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M:%S") if user.last_login_at else "never"
        state = "active" if user.active else "inactive"
        typer.echo(f"{user.email[:40]:40} {user.role:9} {state:9} {last:20} {user.name}")
