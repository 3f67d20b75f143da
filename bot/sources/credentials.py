"""Credentials come from the environment only: the config names the variable, never holds the value."""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.errors import SourceAuthError
from bot.redaction import add_secrets

__all__ = ["from_environment"]


def from_environment(variable: str, missing: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of `variable`, registered as a secret to mask; raises SourceAuthError with the message `missing`
    (what to set, and where to get it) when it is unset or blank."""
    value = (os.environ if environ is None else environ).get(variable, "").strip()
    if not value:
        raise SourceAuthError(missing)
    add_secrets([value])  # masked wherever it might show up: logs, /healthz, error pages
    return value
