"""`webcare x check` without the click layer: verify the bearer token, resolve the configured handles (and keep
their ids), and report each endpoint's rate-limit window. Read calls only, one per endpoint."""

from __future__ import annotations

import tweepy

from bot.config.settings import Settings
from bot.sources.x.client import USER_FIELDS, Page, XApi
from bot.sources.x.source import UserIds, resolve_handles, search_query

__all__ = ["check_x"]


def _window(name: str, page: Page) -> str:
    return f"{name}: {page.rate.describe() if page.rate else 'X sent no rate-limit headers'}"


def check_x(settings: Settings, client: tweepy.Client, ids: UserIds) -> list[str]:
    """Lines for the person at the terminal; raises SourceError (with the reason and the fix) on failure."""
    x = settings.sources.x
    api = XApi(client, x, "x check", backoff=None)  # one call each, no retries: failures say what to do
    accounts = list(dict.fromkeys(x.accounts or settings.brand.handles))
    handles = list(dict.fromkeys([*accounts, *settings.brand.handles, *settings.brand.own_accounts]))
    lookup = api.get(client.get_users, usernames=handles, user_fields=USER_FIELDS)
    for user in lookup.payload.get("data") or []:
        ids.remember_x_user(str(user["username"]), str(user["id"]))
    resolved = resolve_handles(api, client, handles, ids)
    lines = [f"bearer token from {x.bearer_token_env}: accepted"]
    lines += [f"@{h}: user id {resolved[h]}" + (" (mentions read)" if h in accounts else "") for h in handles]
    lines.append(_window("users lookup", lookup))
    mentions = api.get(client.get_users_mentions, resolved[accounts[0]], max_results=5)
    lines.append(_window("mentions", mentions))
    if x.search.enabled:
        query = search_query(settings)
        lines.append(f"search query ({len(query)}/512 characters): {query}")
        lines.append(_window("search", api.get(client.search_recent_tweets, query, max_results=10)))
    return lines
