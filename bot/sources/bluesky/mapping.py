"""AT Protocol lexicon shapes -> `Mention`: one `app.bsky.notification.listNotifications#notification` (reason
`mention` or `reply`) whose record is an `app.bsky.feed.post`.

Facets mark the @handles the author typed with UTF-8 BYTE offsets (`byteStart`, `byteEnd`); Mention positions are
Python characters, so they are converted, and a facet that does not land on `@...` (a client that counted
characters or UTF-16 units) is found again in the text. Bluesky does not prefill reply handles, so every handle is
typed. A reply's `reply.parent.uri` names its parent's author (the DID in the AT URI), so a reply to our post is
known even when that post has been deleted. A notification's record names its parent only by URI and CID, not
its text, so a Bluesky Mention has no `parent_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.mention import Author, HandleMention, Mention, parse_time
from bot.sources.base import Reject

__all__ = ["PAGE_SIZE", "BrandAccount", "char_offset", "did_of", "map_notifications", "mention_from_notification",
           "newest_of", "split_new", "text_handles"]

PAGE_SIZE = 100  # the most notifications or posts one page holds
_MENTION_FACET = "app.bsky.richtext.facet#mention"
_QUOTES = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
# A handle is a domain name: "@tulpair.bsky.social", not glued to a word before it (an e-mail address).
_HANDLE = re.compile(r"(?<![\w@.])@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True)
class BrandAccount:
    """The account that logged in (its DID) and all the brand's Bluesky handles."""

    did: str
    handles: frozenset[str]

    def is_brand(self, did: str | None, handle: str | None = None) -> bool:
        return (did is not None and did == self.did) or (handle is not None and handle.casefold() in self.handles)


def did_of(at_uri: str) -> str | None:
    """The repository (author) DID in `at://did:plc:.../app.bsky.feed.post/<rkey>`."""
    if not at_uri.startswith("at://"):
        return None
    authority = at_uri[5:].split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def char_offset(data: bytes, byte_offset: int) -> int | None:
    """The Python character index of a UTF-8 byte offset; None when it is out of range or inside a character."""
    if not 0 <= byte_offset <= len(data):
        return None
    try:
        return len(data[:byte_offset].decode("utf-8"))
    except UnicodeDecodeError:
        return None


def text_handles(record: Mapping[str, Any], text: str) -> list[HandleMention]:
    """The @handles of a post record or a chat message: from its mention facets, else from the text."""
    data = text.encode("utf-8")
    found: list[HandleMention] = []
    taken: set[int] = set()
    lost = 0
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        if not isinstance(facet, Mapping):
            continue
        features = [f for f in facet.get("features") or [] if isinstance(f, Mapping)]
        if not any(f.get("$type") == _MENTION_FACET for f in features):
            continue
        index = facet.get("index")
        index = index if isinstance(index, Mapping) else {}
        b_start, b_end = index.get("byteStart"), index.get("byteEnd")
        start = char_offset(data, b_start) if isinstance(b_start, int) else None
        end = char_offset(data, b_end) if isinstance(b_end, int) else None
        m = _HANDLE.match(text, start) if start is not None and end is not None and start < end else None
        if m is None or m.end() != end or start in taken:
            lost += 1
            continue
        taken.add(m.start())
        found.append(HandleMention(m.group(1), m.start(), m.end()))
    if lost or not isinstance(facets, list):
        # Facets missing or off (counted in characters, not bytes): read the remaining handles from the text.
        found += [HandleMention(m.group(1), m.start(), m.end()) for m in _HANDLE.finditer(text)
                  if m.start() not in taken]
    return sorted(found, key=lambda h: h.start)


def _ref_uri(reply: Any, key: str) -> str | None:
    ref = reply.get(key) if isinstance(reply, Mapping) else None
    uri = ref.get("uri") if isinstance(ref, Mapping) else None
    return uri if isinstance(uri, str) and uri.startswith("at://") else None


def mention_from_notification(item: Mapping[str, Any], brand: BrandAccount, kind: str = "notification") -> Mention:
    """One notification (or a search's post view, `kind` "post": the same fields) as a Mention. Raises KeyError,
    TypeError or ValueError naming what is wrong."""
    uri = item["uri"]
    if not isinstance(uri, str) or did_of(uri) is None:
        raise ValueError(f"field 'uri' must be an at:// URI of a post, got {uri!r}")
    record, author = item["record"], item["author"]
    if not isinstance(record, Mapping) or not isinstance(author, Mapping):
        raise TypeError("fields 'record' and 'author' must be objects")
    text = record["text"]
    if not isinstance(text, str):
        raise TypeError(f"field 'record.text' must be a string, got {type(text).__name__}")
    reply = record.get("reply")
    parent, root = _ref_uri(reply, "parent"), _ref_uri(reply, "root")
    parent_did = did_of(parent) if parent else None
    handle = str(author.get("handle") or "")
    did = str(author.get("did") or did_of(uri) or "")
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    embed = record.get("embed")
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    return Mention(
        platform="bluesky", id=uri, text=text,
        author=Author(did, handle or did, str(author.get("displayName") or "")),
        created_at=parse_time(record.get("createdAt") or item["indexedAt"]),
        url=f"https://bsky.app/profile/{handle or did}/post/{rkey}",
        lang=lang,
        in_reply_to_post_id=parent, in_reply_to_user_id=parent_did,
        conversation_id=root,
        is_quote=isinstance(embed, Mapping) and embed.get("$type") in _QUOTES,
        handles=tuple(text_handles(record, text)),
        is_reply_to_brand=parent_did is not None and brand.is_brand(parent_did),
        raw={kind: dict(item)},
    )


def map_notifications(items: Any, brand: BrandAccount, location: str,
                      reasons: tuple[str, ...] | None = ("mention", "reply")) -> tuple[list[Mention], list[Reject]]:
    """Every mention and reply notification of one page as a Mention; one that cannot be read is a Reject.
    With `reasons=None` the items are search results (`app.bsky.feed.defs#postView`, the same fields)."""
    if not isinstance(items, list):
        return [], [Reject(location, f"'notifications' must be a list, got {type(items).__name__}",
                           json.dumps(items, ensure_ascii=False, default=str)[:10_000])]
    mentions: list[Mention] = []
    rejects: list[Reject] = []
    for item in items:
        kind = "notification" if reasons is not None else "post"
        where = f"{location} {kind} {item.get('uri', '?') if isinstance(item, Mapping) else '?'}"
        try:
            if not isinstance(item, Mapping):
                raise TypeError(f"a notification must be an object, got {type(item).__name__}")
            if reasons is not None and item.get("reason") not in reasons:
                continue
            mentions.append(mention_from_notification(item, brand, kind))
        except (KeyError, TypeError, ValueError) as e:
            reason = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            rejects.append(Reject(where, reason, json.dumps(item, ensure_ascii=False, default=str)[:10_000]))
    return mentions, rejects


def newest_of(items: list[Any], newest: tuple[datetime, str] | None
              ) -> tuple[list[tuple[datetime, str]], tuple[datetime, str] | None]:
    """The `indexedAt` times of a page (as times and as sent) and the newest of them and `newest`."""
    times = [(t, str(i["indexedAt"])) for i in items if (t := _when(i)) is not None]
    return times, max([*times, *([newest] if newest else [])], default=None, key=lambda p: p[0])


def split_new(items: list[Any], since: datetime, first: bool) -> tuple[list[Any], list[Any]]:
    """What is newer than the checkpoint is new. A post from that very moment is read again (the store keeps it
    once), but its reject, if it had one, was kept the first time. An unreadable time counts as new."""
    fresh = [i for i in items if (t := _when(i)) is None or t > since or (first and t == since)]
    again = [i for i in items if not first and _when(i) == since]
    return fresh, again


def _when(item: Any) -> datetime | None:
    try:
        return parse_time(item["indexedAt"]) if isinstance(item, Mapping) else None
    except (KeyError, TypeError, ValueError):
        return None
