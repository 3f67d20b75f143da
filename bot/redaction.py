"""A logging filter that masks secrets in every log line: bearer tokens, `token=...`-style parameters, and the
values of the environment variables the config names (X's bearer token variable, `logging.redact_env`).
A leaf module: `bot.logs` puts it on the handler, so it sees the records of every logger, ours and libraries'."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

__all__ = ["MASK", "SecretFilter"]

MASK = "***"
_PATTERNS = (
    # An Authorization header or a token quoted in an error: "Bearer AAAA...".
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/%=-]{4,}"), r"\1" + MASK),
    # A token in a URL query or a key=value dump.
    (re.compile(r"(?i)\b((?:access_token|bearer_token|api_key|apikey|password|secret|token)[\"']?\s*[=:]\s*[\"']?)"
                r"[^\s&\"',}]{4,}"), r"\1" + MASK),
)
# Shorter values would mask ordinary words ("1", "true") all over the logs.
MIN_SECRET_LENGTH = 6


class SecretFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    @classmethod
    def from_env(cls, names: Iterable[str]) -> SecretFilter:
        """Mask the current values of these environment variables (unset ones are skipped)."""
        return cls(os.environ.get(name, "") for name in names)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters print exc_text when exc_info is gone, so the traceback is written redacted.
            record.exc_text, record.exc_info = self.redact(record.exc_text), None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True
