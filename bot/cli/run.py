"""`webcare run [--once]`: the daemon (bot/daemon.py). Polls every enabled source on its interval until SIGTERM or
SIGINT; with --once it polls each once, prints a summary and exits 1 when a poll failed."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.app import Context, handles_start_errors, main, pass_app
from bot.logs import configure_logging
from bot.redaction import redact
from bot.vocabulary import LABELS

if TYPE_CHECKING:
    from bot.pipeline import PollResult


@main.command("run")
@click.option("--once", is_flag=True, help="Poll every enabled source once, print a summary, then exit.")
@pass_app
@handles_start_errors
def run(app: Context, once: bool) -> None:
    """Run the daemon: poll the sources, decide and queue. SIGTERM or Ctrl-C finishes the batch in hand and
    exits 0; exit 2 means the config or a credential needs a person."""
    from bot.daemon import Daemon  # loaded when run: the other commands start without the scheduler and alerts

    configure_logging(app.settings)
    daemon = Daemon(app.config_path, app.settings)
    if not once:
        raise SystemExit(daemon.run_forever())
    results = daemon.run_once()
    click.echo(summary(results))
    click.echo(f"Look at the queue: {_webcare_command()} --config {app.config_path} queue list")
    failed = [r for r in results if r.error]
    for r in failed:
        click.echo(redact(f"poll of {r.source} failed: {r.error}"), err=True)
    if failed:
        raise SystemExit(1)


def summary(results: list[PollResult]) -> str:
    """One line for a person: what one poll of every source fetched, stored, queued and filtered."""
    labels: Counter[str] = Counter()
    for r in results:
        labels.update(r.labels)
    return (f"fetched {sum(r.fetched for r in results)}, stored {sum(r.stored for r in results)} new, "
            f"queued {sum(r.queued for r in results)}; labels: "
            + ", ".join(f"{label} {labels[label]}" for label in LABELS)
            + f", filtered {sum(r.filtered for r in results)}")


def _webcare_command() -> str:
    """`webcare` when it is on the PATH, else its path in this virtual environment (after `make demo`)."""
    beside = Path(sys.executable).with_name("webcare")
    if shutil.which("webcare") is None and beside.exists():
        return os.path.relpath(beside)
    return "webcare"
