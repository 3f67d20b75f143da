"""X API v2 payload -> `Mention`: one page (`data`, `includes`, `errors`, `meta`) at a time.

The part that matters most to the classifier: which @handles the author typed and which X prefixed to a reply
(`display_text_range`, or else the replied-to post), whether the post replies to the brand's own post, and the
replied-to post's text (from `includes.tweets`, when X sent it) as the reply's context.
Positions are Python character offsets; X counts code points too, so they agree even with emoji and other
astral characters. Each post is mapped on its own: one that cannot be read, whatever shape its fields have,
becomes a `Reject` and the rest of the page is kept; missing `includes` never crash the mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.mention import Author, HandleMention, Mention, find_handles, parent_text_of, parse_time
from bot.sources.base import Reject

__all__ = ["BrandAccounts", "map_page", "mention_from_tweet"]

_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
_REPOST_PREFIX = re.compile(r"RT @\w{1,50}:")


@dataclass(frozen=True)
class BrandAccounts:
    """The brand's own accounts on X: handles (any case) and the user ids resolved so far."""

    handles: frozenset[str]
    user_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, handles: Iterable[str], user_ids: Iterable[str] = ()) -> BrandAccounts:
        return cls(frozenset(h.casefold() for h in handles), frozenset(str(i) for i in user_ids))

    def is_brand(self, user_id: str | None, handle: str | None) -> bool:
        return (user_id is not None and user_id in self.user_ids) or (
            handle is not None and handle.casefold() in self.handles)


def _unescape(text: str) -> tuple[str, list[int]]:
    """X escapes &, < and > in post text. Returns the plain text and, for each index of the escaped text
    (and its end), the index in the plain text."""
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _ESCAPED.finditer(text):
        for ch in text[pos:m.start()]:
            index.append(len(out))
            out.append(ch)
        index.extend([len(out)] * (m.end() - m.start()))
        out.append(_UNESCAPE[m.group(1)])
        pos = m.end()
    for ch in text[pos:]:
        index.append(len(out))
        out.append(ch)
    index.append(len(out))
    return "".join(out), index


def _locate(text: str, username: str, candidates: Iterable[int], taken: set[int]) -> int | None:
    """Where `@username` starts in `text`: at one of X's positions if the text agrees, else its first free
    occurrence (a client that counted UTF-16 units, or escapes, can shift X's numbers)."""
    needle = f"@{username}".casefold()
    for start in candidates:
        if 0 <= start and text[start:start + len(needle)].casefold() == needle and start not in taken:
            return start
    for m in re.finditer(rf"(?<![\w@])@{re.escape(username)}(?!\w)", text, re.IGNORECASE):
        if m.start() not in taken:
            return m.start()
    return None


def _handles(tweet: Mapping[str, Any], text: str, index: list[int]) -> list[tuple[str, int, int]]:
    entities = tweet.get("entities")
    if not isinstance(entities, Mapping):  # the field was not sent: read the handles from the text
        return [(h.handle, h.start, h.end) for h in find_handles(text)]
    found: list[tuple[str, int, int]] = []
    taken: set[int] = set()
    for e in entities.get("mentions") or []:
        username = str(e.get("username") or "")
        if not username:
            continue
        raw_start = e.get("start")
        candidates = [index[raw_start], raw_start] if isinstance(raw_start, int) and 0 <= raw_start < len(index) else []
        start = _locate(text, username, candidates, taken)
        if start is not None:
            taken.add(start)
            found.append((text[start + 1:start + 1 + len(username)], start, start + 1 + len(username)))
    return sorted(found, key=lambda h: h[1])


def _inherited_end(tweet: Mapping[str, Any], text: str, handles: list[tuple[str, int, int]],
                   chain: set[str], is_reply: bool, is_repost: bool) -> int:
    """The end of the part of the text the author did not type: X's reply prefix or a repost's `RT @x:`."""
    if is_repost:
        m = _REPOST_PREFIX.match(text)
        return m.end() if m else 0
    dtr = tweet.get("display_text_range")
    if isinstance(dtr, list) and dtr and isinstance(dtr[0], int):
        return dtr[0]
    if not is_reply:
        return 0
    # No display_text_range: the leading run of handles that belong to the thread (the replied-to post's
    # author and the handles in that post) is the prefix; the first other handle was typed.
    end = 0
    for handle, start, stop in handles:
        if text[end:start].strip() or handle.casefold() not in chain:
            break
        end = stop
    return end


def mention_from_tweet(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
                       tweets: Mapping[str, Mapping[str, Any]], brand: BrandAccounts) -> Mention:
    """One post as a Mention. Raises KeyError, TypeError or ValueError naming what is wrong."""
    tweet_id, text_raw = _post_id(tweet["id"]), tweet["text"]
    if not isinstance(text_raw, str):
        raise TypeError(f"field 'text' must be a string, got {type(text_raw).__name__}")
    text, index = _unescape(text_raw)
    refs = {str(r.get("type")): str(r.get("id")) for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
    replied_to_id = refs.get("replied_to")
    replied_to = tweets.get(replied_to_id or "")  # absent when deleted or withheld
    reply_user_id = tweet.get("in_reply_to_user_id")
    reply_user_id = str(reply_user_id) if reply_user_id is not None else None
    reply_user = users.get(reply_user_id or "") or {}
    is_reply = replied_to_id is not None or reply_user_id is not None
    is_repost = "retweeted" in refs

    chain: set[str] = set()
    if reply_user.get("username"):
        chain.add(str(reply_user["username"]).casefold())
    if replied_to is not None:
        replied_by = users.get(str(replied_to.get("author_id"))) or {}
        if replied_by.get("username"):
            chain.add(str(replied_by["username"]).casefold())
        chain.update(h.handle.casefold() for h in find_handles(_unescape(str(replied_to.get("text", "")))[0]))

    found = _handles(tweet, text, index)
    cut = _inherited_end(tweet, text, found, chain, is_reply, is_repost)
    handles = tuple(HandleMention(h, s, e, typed_by_author=s >= cut) for h, s, e in found)

    replied_author_id = str(replied_to["author_id"]) if replied_to and replied_to.get("author_id") else None
    replied_author = users.get(replied_author_id or "") or {}
    is_reply_to_brand = is_reply and (
        brand.is_brand(reply_user_id, reply_user.get("username"))
        or brand.is_brand(replied_author_id, replied_author.get("username"))
    )

    author_id = str(tweet.get("author_id") or "")
    user = users.get(author_id) or {}
    username = str(user.get("username") or "")
    metrics = user.get("public_metrics")
    followers = metrics.get("followers_count") if isinstance(metrics, Mapping) else None
    lang = tweet.get("lang")
    related = {author_id, reply_user_id or "", replied_author_id or ""}
    raw = {
        "data": dict(tweet),
        "includes": {
            "users": [dict(u) for uid, u in users.items() if uid in related],
            "tweets": [dict(t) for tid, t in tweets.items() if tid in refs.values()],
        },
    }
    return Mention(
        platform="x", id=tweet_id, text=text,
        author=Author(author_id, username, str(user.get("name") or ""),
                      followers if isinstance(followers, int) else None),
        created_at=parse_time(tweet["created_at"]),
        url=f"https://x.com/{username}/status/{tweet_id}" if username else f"https://x.com/i/web/status/{tweet_id}",
        lang=lang if isinstance(lang, str) and lang != "und" else None,
        in_reply_to_post_id=replied_to_id, in_reply_to_user_id=reply_user_id,
        conversation_id=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        is_repost=is_repost, is_quote="quoted" in refs, handles=handles,
        is_reply_to_brand=is_reply_to_brand, raw=raw,
        parent_text=parent_text_of(_unescape(replied_to["text"])[0]) if replied_to and isinstance(
            replied_to.get("text"), str) else None,
    )


def _post_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).isdigit():
        raise ValueError(f"field 'id' must be a post id (digits), got {value!r}"[:300])
    return str(value)


# What a field of an unexpected shape raises while a post is read (a string where X sends an object, a list
# too short): every field is outside input, so any of these makes the one post a reject, never the page.
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError)


def _reason(e: BaseException) -> str:
    if isinstance(e, KeyError):
        return f"missing field {e}"
    if isinstance(e, AttributeError | IndexError):
        return f"a field has an unexpected shape ({e})"
    if isinstance(e, RecursionError):
        return "nested too deeply to read"
    return str(e)


def _by_id(items: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {str(i["id"]): i for i in items if isinstance(i, dict) and "id" in i}


def map_page(payload: Mapping[str, Any], brand: BrandAccounts, location: str) -> tuple[list[Mention], list[Reject]]:
    """Every post of one page as a Mention; a post that cannot be read is kept as a Reject and skipped."""
    includes = payload.get("includes")
    includes = includes if isinstance(includes, Mapping) else {}
    users, tweets = _by_id(includes.get("users")), _by_id(includes.get("tweets"))
    data = payload.get("data") or []
    if not isinstance(data, list):
        return [], [Reject(location, f"'data' must be a list of posts, got {type(data).__name__}",
                           json.dumps(payload, ensure_ascii=False)[:10_000])]
    mentions: list[Mention] = []
    rejects: list[Reject] = []
    for tweet in data:
        where = f"{location} post {tweet.get('id', '?') if isinstance(tweet, dict) else '?'}"
        try:
            if not isinstance(tweet, dict):
                raise TypeError(f"a post must be an object, got {type(tweet).__name__}")
            mentions.append(mention_from_tweet(tweet, users, tweets, brand))
        except SHAPE_ERRORS as e:
            rejects.append(Reject(where, _reason(e), json.dumps(tweet, ensure_ascii=False)[:10_000]))
    return mentions, rejects
