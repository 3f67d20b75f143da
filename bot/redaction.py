"""Secrets masked in every string that leaves the process: log lines (a filter on the handler, so it sees the
records of every logger, ours and libraries'), /healthz, metric labels and web error pages all pass their text
through `redact`. It masks bearer tokens, `token=...`-style parameters, and every secret value the process
knows: the environment variables the config names (X's bearer token variable, `logging.redact_env`) and the
token the X client was built with. A leaf module."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["MASK", "SecretFilter", "add_secrets", "add_secrets_from_env", "redact"]

MASK = "***"
_PATTERNS = (
    # An Authorization header or a token quoted in an error: "Bearer AAAA...". Twelve characters at least, so
    # prose ("the bearer token of your app") stays readable.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/%=-]{12,}"), r"\1" + MASK),
    # A token in a URL query or a key=value dump.
    (re.compile(r"(?i)\b((?:access_token|bearer_token|api_key|apikey|password|secret|token)[\"']?\s*[=:]\s*[\"']?)"
                r"[^\s&\"',}]{4,}"), r"\1" + MASK),
)
# Shorter values would mask ordinary words ("1", "true") all over the logs.
MIN_SECRET_LENGTH = 6


def _forms(secret: str) -> set[str]:
    """The ways a secret can appear in text: as it is, escaped as Python and JSON print it (a newline inside
    becomes \\n), URL-quoted, and each of its lines or words on its own (a message may break it apart)."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], quote(secret, safe="")}
    forms.update(secret.split())
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._forms: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            forms = set(self._forms)
            for s in secrets:
                forms |= _forms(s)
            # Longest first, so a secret that contains another is masked whole.
            self._forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


_process = Redactor()


def add_secrets(secrets: Iterable[str]) -> None:
    """Mask these values from now on, everywhere in this process."""
    _process.add(secrets)


def add_secrets_from_env(names: Iterable[str]) -> None:
    """Mask the current values of these environment variables (unset ones are skipped)."""
    add_secrets(os.environ.get(name, "") for name in names)


def redact(text: str) -> str:
    """`text` with every known secret and every token-shaped value masked: the one gate for text that leaves
    the process."""
    return _process.redact(text)


class SecretFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        add_secrets(secrets)

    @classmethod
    def from_env(cls, names: Iterable[str]) -> SecretFilter:
        """Mask the current values of these environment variables (unset ones are skipped)."""
        return cls(os.environ.get(name, "") for name in names)

    def redact(self, text: str) -> str:
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters print exc_text when exc_info is gone, so the traceback is written redacted.
            record.exc_text, record.exc_info = redact(record.exc_text), None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
