"""The `webcare` group and what every command shares: the config option, the store, and turning our errors
into a message and an exit code without a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError, SourceAuthError, WebcareError
from bot.redaction import redact
from bot.store import Store
from bot.text.printable import printable

DEFAULT_CONFIG = Path("config/default.yaml")
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None
        self._store: Store | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.database_path)
        return self._store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
              envvar="WEBCARE_CONFIG", show_default=True, help="The config file (or set WEBCARE_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: Path) -> None:
    """webcare-triage: the queue of mentions addressed to the brand that need a human answer."""
    ctx.obj = Context(config_path)


def handles_errors(fn: F) -> F:
    """Our errors become a one-line message and exit code 1 (2 for config errors); other errors are bugs and
    keep their traceback."""
    return _exits_on_errors(fn, needs_a_person=(ConfigError,))


def handles_start_errors(fn: F) -> F:
    """As `handles_errors`, for starting the daemon: a missing or refused credential exits 2 as well, because a
    supervisor should not restart a daemon that needs a person (deploy/webcare.service: RestartPreventExitStatus=2)."""
    return _exits_on_errors(fn, needs_a_person=(ConfigError, SourceAuthError))


def _exits_on_errors(fn: F, needs_a_person: tuple[type[WebcareError], ...]) -> F:
    """The one map from our errors to exit codes: 2 for `needs_a_person`, 1 for any other of ours."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WebcareError as e:
            click.echo(f"Error: {redact(str(e))}", err=True)
            raise SystemExit(2 if isinstance(e, needs_a_person) else 1) from None

    return wrapper  # type: ignore[return-value]


def say(line: str) -> None:
    """Print a line that holds stored text (handles, names, URLs, notes, reasons, posts) the way the web app
    shows it: control characters and hidden formatting as visible symbols, so a post cannot clear the screen,
    retitle the window or plant a link in the terminal (bot/text/printable.py). Tabs and newlines stay."""
    click.echo(printable(line))


pass_app = click.make_pass_decorator(Context)
