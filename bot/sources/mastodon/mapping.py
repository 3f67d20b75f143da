"""Mastodon REST entities -> `Mention`: one `mention` notification's Status at a time.

Handles are qualified with their server (`tulpair@mastodon.social`): a local account's `acct` is only its
username, so the server is taken from its profile URL. The text is the status's HTML made plain
(bot/sources/mastodon/html.py), with every @mention written out qualified, so positions count Python characters
of that text. Mastodon's reply box prefills the replied-to author and the handles of the post replied to: the
leading run of those handles is inherited, not typed. A `direct` status is a direct message. A status names
only its parent's id: the parent's text (the classifier's context) is there only when the parent was fetched
to tell the prefill, else None.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.mention import Author, HandleMention, Mention, parent_text_of, parse_time
from bot.sources.base import Reject
from bot.sources.mastodon.html import html_to_text

__all__ = ["BrandAccount", "map_notifications", "map_statuses", "mention_from_status", "plain", "qualify"]

ParentLookup = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class BrandAccount:
    """The account whose notifications are read (its id on that server), and all the brand's qualified handles."""

    id: str
    handles: frozenset[str]

    def is_brand(self, account_id: str | None, handle: str | None) -> bool:
        return (account_id is not None and account_id == self.id) or (
            handle is not None and handle.casefold() in self.handles)


def plain(value: Any) -> Any:
    """Mastodon.py's entities (dicts with datetimes) as plain JSON values, for the raw payload."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def qualify(account: Mapping[str, Any], server: str) -> str:
    """`user@server` for an account or a status's mention entry; `server` when its URL names none."""
    acct = str(account.get("acct") or account.get("username") or "")
    if not acct:
        raise ValueError("an account has neither 'acct' nor 'username'")
    if "@" in acct:
        return acct
    host = urlsplit(str(account.get("url") or "")).hostname or server
    return f"{acct}@{host}"


def _leading(handles: list[HandleMention], text: str) -> list[HandleMention]:
    """The handles at the very start of the text, separated by nothing but spaces: where a reply's prefill goes."""
    run: list[HandleMention] = []
    pos = 0
    for h in handles:
        if text[pos:h.start].strip():
            break
        run.append(h)
        pos = h.end
    return run


def mention_from_status(status: Mapping[str, Any], brand: BrandAccount, server: str,
                        parent_of: ParentLookup = lambda status_id: None) -> Mention:
    """One status as a Mention. `parent_of(id)` fetches the replied-to status (None when deleted); it is only
    asked when the prefill cannot be told without it. Raises KeyError, TypeError or ValueError naming what is
    wrong."""
    status_id = str(status["id"])
    account = status["account"]
    if not isinstance(account, Mapping):
        raise TypeError(f"field 'account' must be an object, got {type(account).__name__}")
    content = status.get("content") or ""
    if not isinstance(content, str):
        raise TypeError(f"field 'content' must be a string, got {type(content).__name__}")
    listed = [m for m in status.get("mentions") or [] if isinstance(m, Mapping)]
    by_url = {str(m.get("url")): qualify(m, server) for m in listed if m.get("url")}
    by_name = {str(m.get("username") or "").casefold(): qualify(m, server) for m in listed}
    by_id = {str(m.get("id")): qualify(m, server) for m in listed if m.get("id") is not None}

    def handle_of(href: str, shown: str) -> str | None:
        return by_url.get(href) or by_name.get(shown.split("@")[0].casefold())

    body = html_to_text(content, handle_of)
    found = [HandleMention(m.handle, m.start, m.end) for m in body.mentions]  # positions in the body

    reply_id = status.get("in_reply_to_id")
    reply_account = status.get("in_reply_to_account_id")
    reply_id = str(reply_id) if reply_id is not None else None
    reply_account = str(reply_account) if reply_account is not None else None
    author_id = str(account.get("id") or "")
    author = qualify(account, server)

    chain: set[str] = set()
    replied_to_handle = author if reply_account == author_id else by_id.get(reply_account or "")
    if replied_to_handle:
        chain.add(replied_to_handle.casefold())
    lead = _leading(found, body.text) if reply_id is not None else []
    parent: Mapping[str, Any] | None = None
    if any(h.handle.casefold() not in chain for h in lead):
        # More handles lead the reply than its parent's author: the prefill may hold the parent's mentions too.
        parent = parent_of(str(reply_id))
        if parent is not None:
            parent_account = parent.get("account")
            if isinstance(parent_account, Mapping):
                chain.add(qualify(parent_account, server).casefold())
                replied_to_handle = replied_to_handle or qualify(parent_account, server)
            chain.update(qualify(m, server).casefold() for m in parent.get("mentions") or []
                         if isinstance(m, Mapping))
    inherited_end = 0
    for h in lead:
        if h.handle.casefold() not in chain:
            break
        inherited_end = h.end

    text, shift = body.text, 0
    spoiler = status.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():  # a content warning: the agent sees it, then the post
        text = f"{spoiler.strip()}\n\n{body.text}"
        shift = len(spoiler.strip()) + 2
    handles = tuple(HandleMention(h.handle, h.start + shift, h.end + shift, typed_by_author=h.start >= inherited_end)
                    for h in found)

    lang = status.get("language")
    followers = account.get("followers_count")
    created = status["created_at"]
    return Mention(
        platform="mastodon", id=status_id, text=text,
        author=Author(author_id, author, str(account.get("display_name") or ""),
                      followers if isinstance(followers, int) and not isinstance(followers, bool) else None),
        created_at=parse_time(created.isoformat() if isinstance(created, datetime) else created),
        url=str(status.get("url") or status.get("uri") or ""),
        lang=lang if isinstance(lang, str) and lang else None,
        in_reply_to_post_id=reply_id, in_reply_to_user_id=reply_account,
        is_repost=status.get("reblog") is not None, is_quote=isinstance(status.get("quote"), Mapping),
        is_direct_message=status.get("visibility") == "direct",
        handles=handles,
        is_reply_to_brand=reply_id is not None and brand.is_brand(reply_account, replied_to_handle),
        parent_text=_parent_text(parent),
        raw={"status": plain(status)},
    )


def _parent_text(parent: Mapping[str, Any] | None) -> str | None:
    """The plain text of the replied-to status, when it was fetched (a status carries only its parent's id)."""
    content = parent.get("content") if parent is not None else None
    return parent_text_of(html_to_text(content).text) if isinstance(content, str) else None


def _map_each(page: list[Any], location: str, kind: str,
              one: Callable[[Mapping[str, Any]], Mention | None]) -> tuple[list[Mention], list[Reject]]:
    """`one(item)` for every item of a page (None skips it); an item that cannot be read is kept as a Reject."""
    mentions: list[Mention] = []
    rejects: list[Reject] = []
    for item in page:
        where = f"{location} {kind} {item.get('id', '?') if isinstance(item, Mapping) else '?'}"
        try:
            if not isinstance(item, Mapping):
                raise TypeError(f"a {kind} must be an object, got {type(item).__name__}")
            mention = one(item)
            if mention is not None:
                mentions.append(mention)
        except (KeyError, TypeError, ValueError) as e:
            reason = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            rejects.append(Reject(where, reason, json.dumps(plain(item), ensure_ascii=False, default=str)[:10_000]))
    return mentions, rejects


def map_notifications(page: list[Any], brand: BrandAccount, server: str, location: str,
                      parent_of: ParentLookup) -> tuple[list[Mention], list[Reject]]:
    """Every `mention` notification of one page as a Mention; one that cannot be read is kept as a Reject."""

    def one(item: Mapping[str, Any]) -> Mention | None:
        if item.get("type") != "mention":
            return None
        status = item.get("status")
        if not isinstance(status, Mapping):
            raise TypeError("a mention notification must carry its 'status' (was it deleted?)")
        mention = mention_from_status(status, brand, server, parent_of)
        return dataclasses.replace(mention, raw={"notification": plain(item)})

    return _map_each(page, location, "notification", one)


def map_statuses(page: list[Any], brand: BrandAccount, server: str, location: str,
                 parent_of: ParentLookup) -> tuple[list[Mention], list[Reject]]:
    """Every status of a timeline page (a hashtag's) as a Mention; one that cannot be read is kept as a Reject."""
    return _map_each(page, location, "status", lambda status: mention_from_status(status, brand, server, parent_of))
