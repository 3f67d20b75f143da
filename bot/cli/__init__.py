"""The `webcare` command: a thin click layer over the store and the pipeline, for ops and for agents who like
a terminal. Each area's commands live in a module of their own and are registered here."""

from __future__ import annotations

from bot.cli.app import main
from bot.cli import queue as _queue  # noqa: F401  (registers its commands)
from bot.cli import model as _model  # noqa: F401  (registers its commands)
from bot.cli import config as _config  # noqa: F401  (registers its commands)
from bot.cli import web as _web  # noqa: F401  (registers its commands)
from bot.cli import ops as _ops  # noqa: F401  (registers its commands)
from bot.cli import x as _x  # noqa: F401  (registers its commands)
from bot.cli import networks as _networks  # noqa: F401  (registers its commands)
from bot.cli import run as _run  # noqa: F401  (registers its commands)

__all__ = ["main"]
