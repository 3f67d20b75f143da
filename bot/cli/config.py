"""`webcare config check | diff | docs`: for marketers who edit `config/*.yaml`. Check a file before it goes
live, see what it would do to the queue, and regenerate the reference of every key."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from bot.cli.app import Context, handles_errors, main, pass_app
from bot.config.reference import render_reference
from bot.config.secret_scan import secret_warnings
from bot.config.settings import load_settings
from bot.errors import WebcareError
from bot.whatif import Change, WhatIf, compare

REFERENCE = Path("docs/configuration.md")
_PERIOD = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_period(text: str) -> timedelta:
    """'30m', '12h', '7d', '2w' as a timedelta."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise click.BadParameter(f"'{text}' is not a period; write a number and m, h, d or w, such as 7d")
    try:
        period = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    except OverflowError:
        period = timedelta.max
    if period > timedelta(days=36_500):
        raise click.BadParameter(f"'{text}' is longer than 100 years; give a shorter period, such as 30d")
    return period


@main.group("config")
def config() -> None:
    """Check, compare and document config files."""


@config.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@handles_errors
def check(file: Path) -> None:
    """Validate FILE: exit 2 with the file, line and reason of each mistake; warn about secrets."""
    warnings = secret_warnings(file) if file.is_file() else []
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    settings = load_settings(file)
    extra = f", {len(warnings)} warning(s)" if warnings else ""
    click.echo(f"{file} is valid (version {settings.version}{extra})")


@config.command("diff")
@click.argument("new_file", metavar="NEW.yaml", type=click.Path(path_type=Path))
@click.option("--since", "period", default="7d", show_default=True,
              help="The stored mentions of this period: 30m, 12h, 7d, 2w.")
@click.option("--examples", default=3, show_default=True, help="Examples shown of each kind of change.")
@click.option("--json", "as_json", is_flag=True, help="The same as one JSON object.")
@pass_app
@handles_errors
def diff(app: Context, new_file: Path, period: str, examples: int, as_json: bool) -> None:
    """What NEW.yaml would change in the queue, compared with the running config (--config). Runs the stored
    mentions of the period through both; writes nothing."""
    since = datetime.now(timezone.utc) - parse_period(period)
    new = load_settings(new_file)
    current = app.settings
    result = compare(app.store.mentions.mentions_since(since), current, new, since)
    if as_json:
        data = result.to_dict(examples)
        data["current"]["file"], data["new"]["file"] = str(app.config_path), str(new_file)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_diff(result, app.config_path, new_file, period, examples)


def _print_diff(r: WhatIf, current: Path, new: Path, period: str, examples: int) -> None:
    click.echo(f"{r.mentions} mention(s) stored since {r.since:%Y-%m-%d %H:%M} UTC ({period})")
    click.echo(f"current: {current} (version {r.current_version}): {sum(r.current_queued.values())} queued, "
               f"{r.current_filtered} filtered")
    click.echo(f"new:     {new} (version {r.new_version}): {sum(r.new_queued.values())} queued, "
               f"{r.new_filtered} filtered")
    if r.current_version == r.new_version:
        click.echo("The two configs are the same: nothing would change.")
        return
    buckets = sorted(set(r.current_queued) | set(r.new_queued))
    if buckets:
        click.echo("")
        click.echo(f"{'queued by label/priority':<28}{'current':>8}{'new':>8}{'change':>8}")
        for b in buckets:
            before, after = r.current_queued[b], r.new_queued[b]
            click.echo(f"  {b:<26}{before:>8}{after:>8}{after - before:>+8}")
    for title, changes, side in (("entering the queue", r.entering, "new"), ("leaving the queue", r.leaving, "current"),
                                 ("queued at another label or priority", r.reprioritised, "new")):
        click.echo("")
        click.echo(f"{len(changes)} {title}" + (":" if changes else ""))
        counts: dict[str, int] = {}
        for c in changes:
            bucket = getattr(c, side).bucket
            counts[bucket] = counts.get(bucket, 0) + 1
        if counts:
            click.echo("  " + ", ".join(f"{b} {n}" for b, n in sorted(counts.items())))
        for c in changes[:examples]:
            _print_example(c)


def _print_example(c: Change) -> None:
    text = " ".join(c.mention.text.split())
    text = text if len(text) <= 100 else text[:99] + "…"
    click.echo(f"  {c.mention.key} @{c.mention.author.handle}: {text}")
    click.echo(f"      now: {c.current.describe()}; new: {c.new.describe()}")


@config.command("docs")
@click.option("--output", type=click.Path(path_type=Path), default=REFERENCE, show_default=True)
@click.option("--check", "only_check", is_flag=True, help="Exit 1 when the file is out of date; write nothing.")
@handles_errors
def docs(output: Path, only_check: bool) -> None:
    """Write the reference of every config key, generated from the schema."""
    text = render_reference()
    if only_check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            raise WebcareError(f"{output} is out of date with the config schema; run: webcare config docs")
        click.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
