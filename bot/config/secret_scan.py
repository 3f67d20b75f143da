"""Warnings for config values that look like secrets: tokens and passwords belong in environment variables, not
in YAML files that are shared, committed and shown on screens. Used by `webcare config check`.

The shapes of secrets (keywords such as password or api_key, high-entropy strings, known token formats) are
Yelp's detect-secrets; we add one rule of our own: a `*_env` key must name a variable, not hold its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings

from bot.config.yaml_reading import load_yaml
from bot.errors import ConfigError

__all__ = ["secret_warnings"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HINT = "secrets belong in environment variables (name the variable in the config, as sources.x.bearer_token_env does)"


def secret_warnings(path: Path) -> list[str]:
    """One line per value in the file that looks like a secret, with the file and line; [] when none does."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # `config check` reports the file itself as unreadable
    try:
        doc = load_yaml(text, str(path))
    except ConfigError:
        # `config check` reports the file itself; a file that hostile is not handed to the scanner's own parser.
        return []
    lines = text.splitlines()
    found: dict[int, str] = {}
    with default_settings():
        secrets = SecretsCollection()
        secrets.scan_file(str(path))
        for _filename, secret in secrets:
            key, _, value = lines[secret.line_number - 1].partition(":")
            key = key.strip(" -")
            if key.endswith("_env") and _ENV_NAME.match(value.split("#", 1)[0].strip().strip("'\"")):
                continue  # `app_password_env: BLUESKY_APP_PASSWORD` names a variable: that is the safe way
            found.setdefault(secret.line_number, f"'{key}' looks like a secret ({secret.type.lower()})")
    for line, dotted in _walk(doc, ""):
        found[line] = f"{dotted} should name an environment variable, but its value looks like the secret itself"
    return [f"{path} line {number}: {found[number]}; {_HINT}" for number in sorted(found)]


def _walk(node: Any, prefix: str) -> Iterator[tuple[int, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}.{key}".lstrip(".")
            if str(key).endswith("_env") and isinstance(value, str) and value and not _ENV_NAME.match(value):
                yield node.lc.key(key)[0] + 1, dotted  # type: ignore[attr-defined]
            else:
                yield from _walk(value, dotted)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{prefix}[{i}]")
