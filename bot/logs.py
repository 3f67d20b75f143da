"""Log set-up for the entry points: human-readable lines by default, one JSON object per line by config."""

from __future__ import annotations

import logging
import sys

from bot.config.settings import Settings
from bot.redaction import SecretFilter


def configure_logging(settings: Settings | None = None, stream=sys.stderr) -> None:  # type: ignore[no-untyped-def]
    level = settings.logging.level if settings else "INFO"
    handler = logging.StreamHandler(stream)
    if settings and settings.logging.format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    sources = settings.sources if settings else None
    secret_env = [sources.x.bearer_token_env, sources.mastodon.access_token_env, sources.bluesky.app_password_env,
                  *settings.logging.redact_env] if settings and sources else []
    handler.addFilter(SecretFilter.from_env(secret_env))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job run at INFO; our own poll line says more.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
