"""The daemon's entry point (run_bot.py): parse arguments, load config, run; our errors become a message and
an exit code, not a traceback."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

from bot.config.settings import load_settings
from bot.daemon import Daemon
from bot.errors import ConfigError, SourceAuthError, WebcareError
from bot.logs import configure_logging
from bot.redaction import redact

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_bot.py", description="Run the webcare-triage daemon.")
    parser.add_argument("--config", default="config/default.yaml", help="config file (default: %(default)s)")
    parser.add_argument("--once", action="store_true", help="poll every enabled source once, then exit")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        configure_logging(settings)
        daemon = Daemon(args.config, settings)
        if not args.once:
            return daemon.run_forever()
        results = daemon.run_once()
    except (ConfigError, SourceAuthError) as e:
        # Exit 2: the config or a credential needs a person; a supervisor should not restart (the unit says so).
        print(f"Error: {redact(str(e))}", file=sys.stderr)
        return 2
    except WebcareError as e:
        print(f"Error: {redact(str(e))}", file=sys.stderr)
        return 1
    labels: Counter[str] = Counter()
    for r in results:
        labels.update(r.labels)
    print(
        f"fetched {sum(r.fetched for r in results)}, stored {sum(r.stored for r in results)} new, "
        f"queued {sum(r.queued for r in results)}; labels: queue {labels['queue']}, "
        f"direct_other {labels['direct_other']}, about {labels['about']}, irrelevant {labels['irrelevant']}, "
        f"filtered {sum(r.filtered for r in results)}"
    )
    print(f"Look at the queue: {_webcare_command()} --config {args.config} queue list")
    failed = [r for r in results if r.error]
    for r in failed:
        print(redact(f"poll of {r.source} failed: {r.error}"), file=sys.stderr)
    return 1 if failed else 0


def _webcare_command() -> str:
    """`webcare` when it is on the PATH, else its path in this virtual environment (after `make demo`)."""
    beside = Path(sys.executable).with_name("webcare")
    if shutil.which("webcare") is None and beside.exists():
        return os.path.relpath(beside)
    return "webcare"
