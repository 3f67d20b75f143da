"""Starts the webcare-triage daemon as `webcare run` does: `python run_bot.py --config config/default.yaml [--once]`
is `webcare --config config/default.yaml run [--once]` (bot/cli/run.py)."""

import sys

from bot.cli import main


def run(argv: list[str]) -> None:
    # --once belongs to `run`; everything else (--config) to the `webcare` group before it.
    once = [a for a in argv if a == "--once"]
    main([*(a for a in argv if a != "--once"), "run", *once], prog_name="run_bot.py")


if __name__ == "__main__":
    run(sys.argv[1:])
