"""`webcare db backup|purge` and `webcare forget`: data care for ops, safe while the daemon runs."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.app import Context, handles_errors, main, pass_app
from bot.errors import ConfigError, NotFound


@main.group()
def db() -> None:
    """Back up the database and apply retention."""


@db.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
@handles_errors
def backup(app: Context, path: Path) -> None:
    """Copy the database to PATH (SQLite's online backup: consistent, safe while the daemon runs)."""
    size = app.store.care.backup_to(path)
    click.echo(f"backed up {app.store.path} to {path} ({size / 1_000_000:.1f} MB)")


@db.command("purge")
@click.option("--days", type=click.IntRange(min=1, max=36_500), help="Override storage.retention_days for this run.")
@pass_app
@handles_errors
def purge(app: Context, days: int | None) -> None:
    """Blank the text and raw payload of mentions older than the retention period; counts and decisions stay."""
    days = days or app.settings.storage.retention_days
    if not days:
        raise ConfigError(f"{app.config_path}: storage.retention_days is not set; set it or pass --days N")
    purged = app.store.care.purge_older_than(days)
    click.echo(f"purged the text of {purged.mentions} mention(s) and {purged.rejects} reject(s) "
               f"older than {days} days")


@main.command("forget")
@click.argument("handle")
@click.option("--agent", default="cli", show_default=True, help="Who asked, for the audit log.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handles_errors
def forget(app: Context, handle: str, agent: str, yes: bool) -> None:
    """Erase one person's mentions, decisions, queue items, feedback and unreadable input, and the brand's own
    replies that name them; mask their handle in other people's posts (a privacy request). Says how much it
    will erase before it asks. The audit log records that an erasure happened, not whose."""
    who = f"@{handle.strip().lstrip('@')}"
    brand = [*app.settings.brand.handles, *app.settings.brand.own_accounts]
    found = app.store.care.forget_preview(handle, brand)
    if found.nothing:
        raise NotFound(f"nothing stored names {who}: no mention, reject or reply matches that handle (any case); "
                       f"check the spelling, without the platform's URL")
    if not yes:
        click.confirm(f"Erase {found.describe()} for {who}? This cannot be undone", abort=True)
    gone = app.store.care.forget_author(handle, agent, brand)
    click.echo(f"erased {gone.describe()} for {who}")
