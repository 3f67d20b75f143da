"""`webcare serve` (the review app alone, without polling) and `webcare user ...` (accounts for it)."""

from __future__ import annotations

import sys

import click

from bot.cli.app import Context, handles_errors, main, pass_app
from bot.errors import AccountError
from bot.store import ROLES


@main.command("serve")
@click.option("--host", help="Listen on this address instead of web.host from the config.")
@click.option("--port", type=int, help="Listen on this port instead of web.port from the config.")
@pass_app
@handles_errors
def serve(app: Context, host: str | None, port: int | None) -> None:
    """Run the review app in the browser, without polling any source (Ctrl-C stops it)."""
    from bot.logs import configure_logging
    from bot.web import WebServer

    settings = app.settings
    configure_logging(settings)
    if host or port is not None:
        web = settings.web.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
        settings = settings.model_copy(update={"web": web})
    server = WebServer(app.store, lambda: settings)
    click.echo(f"The review app is at {server.address}/ (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@main.group()
def user() -> None:
    """Accounts for the review app (agents and leads)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True,
              help="A lead can also manage users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt.")
@pass_app
@handles_errors
def add(app: Context, name: str, role: str, password_stdin: bool) -> None:
    """Add an account; the password is asked for (or read from standard input) and stored only as a hash."""
    from bot.web import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise AccountError("no password given: type one at the prompt or pipe one into --password-stdin")
    created = accounts.add_user(app.store, name, role, password)
    click.echo(f"Added {created.name} ({created.role}).")


@user.command("list")
@pass_app
@handles_errors
def list_(app: Context) -> None:
    """The accounts and their roles."""
    users = app.store.users.list_users()
    if not users:
        click.echo("No users yet: add one with `webcare user add NAME --role lead`.")
    for u in users:
        click.echo(f"{u.name:<20} {u.role:<6} since {u.created_at[:10]}")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt.")
@pass_app
@handles_errors
def password(app: Context, name: str, password_stdin: bool) -> None:
    """Set a new password; the user's open sessions end."""
    from bot.web import accounts

    new = sys.stdin.readline().rstrip("\r\n") if password_stdin else click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    app.store.users.set_password_hash(name, accounts.hash_password(accounts.check_password(new)))
    click.echo(f"New password set for {name}.")


@user.command("remove")
@click.argument("name")
@pass_app
@handles_errors
def remove(app: Context, name: str) -> None:
    """Remove an account; its sessions end at once."""
    app.store.users.remove_user(name, "cli")
    click.echo(f"Removed {name}.")
