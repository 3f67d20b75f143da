"""`webcare x check`: is the X source set up right? Verifies the token, resolves the handles, shows the limits."""

from __future__ import annotations

import click

from bot.cli.app import Context, handles_errors, main, pass_app
from bot.sources.x.check import check_x
from bot.sources.x.client import build_client


@main.group("x")
def x_group() -> None:
    """The X (Twitter) source."""


@x_group.command("check")
@pass_app
@handles_errors
def check(app: Context) -> None:
    """Verify the bearer token, resolve the configured handles and print the rate-limit state."""
    for line in check_x(app.settings, build_client(app.settings.sources.x), app.store.x_users):
        click.echo(line)
