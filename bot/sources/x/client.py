"""The X API edge: builds the tweepy `Client` (bearer token from the environment, a time-out on every request)
and makes each read call, turning tweepy's and requests' exceptions into our `SourceError`s with the rate-limit
state of every answer. Only GET endpoints are called here; nothing in the bot writes to X.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from bot.bounded_http import BoundedSession, Cancelled
from bot.config.settings import XSource as XSettings
from bot.errors import RateLimited, SourceAuthError, SourceError, SourceUnavailable
from bot.redaction import add_secrets
from bot.sources.x.pacing import Backoff, RateState, rate_state, retry_at_after_429

log = logging.getLogger(__name__)

__all__ = ["EXPANSIONS", "TWEET_FIELDS", "USER_FIELDS", "Page", "XApi", "bearer_token", "build_client"]

# Everything the mapping needs to fill a Mention. display_text_range is not among tweepy's constants, but X
# accepts it and it is what tells the reply prefix from the handles the author typed.
TWEET_FIELDS = ["author_id", "created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "entities", "lang", "public_metrics", "display_text_range"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "in_reply_to_user_id"]
USER_FIELDS = ["username", "name", "public_metrics"]


def bearer_token(settings: XSettings, environ: Mapping[str, str] | None = None) -> str:
    """The bearer token from the environment variable the config names; never from a file."""
    environ = os.environ if environ is None else environ
    token = environ.get(settings.bearer_token_env, "").strip()
    if not token:
        raise SourceAuthError(
            f"X: the environment variable {settings.bearer_token_env} is not set; set it to the bearer token of "
            f"your X app (developer.x.com, Keys and tokens) before starting the bot"
        )
    add_secrets([token])  # masked wherever it might show up: logs, /healthz, error pages
    if any(c.isspace() for c in token):
        raise SourceAuthError(
            f"X: the bearer token in {settings.bearer_token_env} holds a space or a line break; set it to the "
            f"token alone, as developer.x.com shows it (copied whole, on one line)"
        )
    return token


def build_client(settings: XSettings, environ: Mapping[str, str] | None = None,
                 stop: threading.Event | None = None) -> tweepy.Client:
    """A tweepy Client that answers with requests' Response (so every call's rate-limit headers can be read)
    and never waits on its own: tweepy's wait spins without a reset header and never retries a 5xx. Each
    request is bounded by `timeout_seconds` in total; `stop` (the daemon's) cuts one in flight short."""
    client = tweepy.Client(bearer_token=bearer_token(settings, environ), return_type=requests.Response,
                           wait_on_rate_limit=False)
    client.session = BoundedSession(settings.timeout_seconds, stop)
    return client


@dataclass(frozen=True)
class Page:
    """One answer of X: the JSON body (`data`, `includes`, `errors`, `meta`) and its rate-limit window."""

    payload: dict[str, Any]
    rate: RateState | None


def _what(response: requests.Response | None) -> str:
    request = getattr(response, "request", None)
    if request is None or request.url is None:
        return "a request"
    return f"{request.method} {urlsplit(str(request.url)).path}"


def _messages(e: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in e.api_messages) or (e.response.reason or "")


class XApi:
    """Calls one read endpoint of the tweepy Client and reports failures as our errors. `where` names the
    source in every message ("x:mentions:Tulpair"); the token never appears in one. Without a `backoff` the calls
    are one-off (`webcare x check`): nothing retries them, so a failure says what to do, not when the next try is."""

    def __init__(self, client: tweepy.Client, settings: XSettings, where: str, backoff: Backoff | None) -> None:
        if client.return_type is not requests.Response:
            raise TypeError("the X source needs a tweepy.Client made with return_type=requests.Response "
                            "(bot.sources.x.client.build_client makes one)")
        self.client = client
        self.settings = settings
        self.where = where
        self.backoff = backoff
        # tweepy logs every request's headers, the bearer token included, at DEBUG.
        logging.getLogger("tweepy.client").setLevel(max(logging.INFO, logging.getLogger("tweepy.client").level))

    def get(self, call: Callable[..., Any], *args: Any, **params: Any) -> Page:
        try:
            response = call(*args, **params)
        except tweepy.TooManyRequests as e:
            fallback = self.backoff.next_delay() if self.backoff is not None else self.settings.interval_seconds
            retry_at = retry_at_after_429(e.response.headers, self.settings.max_rate_limit_wait_seconds, fallback)
            then = (f"the next call waits until {retry_at:%H:%M:%S} UTC" if self.backoff is not None
                    else f"try again after {retry_at:%H:%M:%S} UTC")
            raise RateLimited(f"{self.where}: X answered 429 Too Many Requests for {_what(e.response)}; {then}",
                              retry_at) from None
        except tweepy.Unauthorized:
            raise SourceAuthError(f"{self.where}: X refused the bearer token (401 Unauthorized); put a valid token "
                                  f"in the environment variable {self.settings.bearer_token_env}") from None
        except tweepy.Forbidden as e:
            raise SourceAuthError(f"{self.where}: X refused {_what(e.response)} (403 Forbidden: {_messages(e)}); "
                                  f"the app may need a higher access level (Basic or above)") from None
        except tweepy.TwitterServerError as e:
            raise self.unavailable(f"X answered {e.response.status_code} {e.response.reason} for "
                                    f"{_what(e.response)}") from None
        except tweepy.HTTPException as e:
            raise SourceError(f"{self.where}: X refused {_what(e.response)} ({e.response.status_code}: "
                              f"{_messages(e)})") from None
        except Cancelled:
            raise SourceUnavailable(f"{self.where}: the daemon is stopping; this poll was cut short and the "
                                    f"checkpoint did not move") from None
        except requests.Timeout:
            raise self.unavailable(f"no answer from X within {self.settings.timeout_seconds:g}s") from None
        except requests.ConnectionError as e:
            raise self.unavailable(f"cannot reach X ({type(e).__name__})") from None
        try:
            payload = response.json()
        except (requests.JSONDecodeError, RecursionError):
            raise self.unavailable(f"X sent a body that is not JSON for {_what(response)}") from None
        if not isinstance(payload, dict):
            raise self.unavailable(f"X sent a JSON {type(payload).__name__}, not an object, for {_what(response)}")
        if self.backoff is not None:
            self.backoff.reset()
        return Page(payload, rate_state(response.headers))

    def unavailable(self, reason: str) -> SourceUnavailable:
        if self.backoff is None:  # one-off calls (webcare x check): nothing retries them
            return SourceUnavailable(f"{self.where}: {reason}; nothing was retried: run it again when X can be reached")
        return self.backoff.unavailable(self.where, reason)
