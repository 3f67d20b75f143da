"""Starts the webcare-triage daemon: `python run_bot.py --config config/default.yaml [--once]`."""

from bot.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
