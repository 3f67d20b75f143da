"""What every page of the review app reaches for: the store and the settings of the app serving the request, and
the template filters (the terminal's formatters from bot/text, so the web and the CLI say the same words). The
factory (app.py) binds them to the app; the views import them from here and never import the factory back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from bot.config.settings import Settings
from bot.redaction import redact
from bot.text.due import ago, due_words, when
from bot.text.printable import LIST_LIMIT, one_line, printable, shorten
from bot.web.parts import WebStore

__all__ = ["FILTERS", "GLOBALS", "PLATFORM_NAMES", "REFRESH_SECONDS", "bind", "link", "pct", "platform_name",
           "settings", "store"]

REFRESH_SECONDS = 20
PLATFORM_NAMES = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}
_KEY = "webcare"


@dataclass(frozen=True)
class _Bound:
    store: WebStore
    settings: Callable[[], Settings]


def bind(app: Flask, store: WebStore, settings: Callable[[], Settings] | Settings) -> None:
    """Give `app` its store and settings. `settings` may be a callable, so the daemon's reloaded config is seen."""
    app.extensions[_KEY] = _Bound(store, settings if callable(settings) else (lambda: settings))


def _bound() -> _Bound:
    bound: _Bound = current_app.extensions[_KEY]
    return bound


def store() -> WebStore:
    """The store of the app serving this request."""
    return _bound().store


def settings() -> Settings:
    """The settings in force for this request (the daemon's latest reload)."""
    return _bound().settings()


def link(url: str | None) -> str:
    """The URL when it is an http(s) link, else '': a hostile `javascript:` URL in a payload never becomes a link."""
    if not url:
        return ""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def platform_name(platform: str) -> str:
    """The network a post is on, as agents call it."""
    return PLATFORM_NAMES.get(platform, platform)


def pct(p: float | None) -> str:
    return "-" if p is None else f"{p * 100:.0f}%"


# printable on every text that comes from a post or a person; autoescaping still does the HTML.
FILTERS: dict[str, Callable[..., str]] = {
    "age": ago, "when": when, "due": due_words, "link": link, "pct": pct, "printable": printable,
    "shorten": shorten, "first_line": one_line, "redact": redact, "platform_name": platform_name,
}
GLOBALS: dict[str, Any] = {"refresh_seconds": REFRESH_SECONDS, "list_limit": LIST_LIMIT}
