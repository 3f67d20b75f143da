"""The Bluesky direct-messages source: messages sent to the brand account in its chats
(`chat.bsky.convo.listConvos` and `chat.bsky.convo.getMessages`, read through the PDS's proxy to the chat
service). One `Source` named "bluesky:messages", sharing the mentions source's login; its checkpoint is the
`rev` of the newest message read (revs sort as text). It only reads: nothing marks a chat as read.

The app password must be made with "allow access to your direct messages"; without it the chat service
refuses, and the error says so. Conversations come with the most recent first, so a poll stops listing them at
the first one with nothing newer than the checkpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atproto import models

from bot.config.settings import BlueskySource as BlueskySettings
from bot.mention import Author, Mention, parse_time
from bot.sources.base import Batch, Reject
from bot.sources.bluesky.mapping import text_handles
from bot.sources.pacing import RetryGate, next_pause

if TYPE_CHECKING:
    from bot.sources.bluesky.source import BlueskyApi

log = logging.getLogger(__name__)

__all__ = ["BlueskyMessagesSource", "mention_from_message"]

_CONVOS = "chat.bsky.convo.listConvos"
_MESSAGES = "chat.bsky.convo.getMessages"
_PAGE = 100


def mention_from_message(message: Mapping[str, Any], convo: Mapping[str, Any]) -> Mention:
    """One `chat.bsky.convo.defs#messageView` as a direct message. Raises KeyError, TypeError or ValueError."""
    text = message["text"]
    if not isinstance(text, str):
        raise TypeError(f"field 'text' must be a string, got {type(text).__name__}")
    sender = message["sender"]
    did = str(sender["did"]) if isinstance(sender, Mapping) else ""
    if not did:
        raise ValueError("field 'sender.did' is missing")
    members = {str(m.get("did")): m for m in convo.get("members") or [] if isinstance(m, Mapping)}
    profile = members.get(did, {})
    handle = str(profile.get("handle") or did)
    convo_id = str(convo["id"])
    return Mention(
        platform="bluesky", id=f"dm:{convo_id}:{message['id']}", text=text,
        author=Author(did, handle, str(profile.get("displayName") or "")),
        created_at=parse_time(message["sentAt"]), url=f"https://bsky.app/messages/{convo_id}",
        conversation_id=convo_id, is_direct_message=True, handles=tuple(text_handles(message, text)),
        raw={"message": dict(message), "convo": {"id": convo_id, "rev": convo.get("rev")}},
    )


class BlueskyMessagesSource:
    name = "bluesky:messages"

    def __init__(self, api: BlueskyApi, settings: BlueskySettings) -> None:
        self.api = api
        self.settings = settings
        self.gate = RetryGate(self.name)

    def fetch(self, checkpoint: str | None) -> Batch:
        return self.gate.run(lambda: self._fetch(checkpoint or ""))

    def _fetch(self, since: str) -> Batch:
        us = self.api.login()
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        newest = since
        cursor: str | None = None
        for number in range(1, self.settings.max_pages + 1):
            page = self.api.query(_CONVOS, models.ChatBskyConvoListConvos.Params(limit=_PAGE, cursor=cursor), chat=True)
            convos = [c for c in page.get("convos") or [] if isinstance(c, Mapping) and c.get("id")]
            active = [c for c in convos if str(c.get("rev") or "") > since]
            for convo in active:
                found, bad, rev = self._messages(convo, since, us)
                mentions += found
                rejects += bad
                newest = max(newest, rev)
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if not cursor or len(active) < len(convos):
                break
        pause = next_pause(self.name, self.api.rate, self.settings.interval_seconds, 1,
                           self.settings.max_rate_limit_wait_seconds)
        return Batch(mentions, newest or None, rejects, next_poll_after=pause)

    def _messages(self, convo: Mapping[str, Any], since: str, us: str) -> tuple[list[Mention], list[Reject], str]:
        """The messages of one conversation newer than `since`, newest first, and the newest rev seen."""
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        newest = since
        cursor: str | None = None
        for number in range(1, self.settings.max_pages + 1):
            params = models.ChatBskyConvoGetMessages.Params(convo_id=str(convo["id"]), limit=_PAGE, cursor=cursor)
            page = self.api.query(_MESSAGES, params, chat=True)
            messages = [m for m in page.get("messages") or [] if isinstance(m, Mapping)]
            new = [m for m in messages if str(m.get("rev") or "") > since]
            for message in new:
                newest = max(newest, str(message.get("rev") or ""))
                sender = message.get("sender")
                if "text" not in message or (isinstance(sender, Mapping) and sender.get("did") == us):
                    continue  # a deleted message, or one the brand sent
                where = f"{self.name} convo {convo['id']} message {message.get('id', '?')}"
                try:
                    mentions.append(mention_from_message(message, convo))
                except (KeyError, TypeError, ValueError) as e:
                    reason = f"missing field {e}" if isinstance(e, KeyError) else str(e)
                    rejects.append(Reject(where, reason, json.dumps(message, ensure_ascii=False, default=str)[:10_000]))
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if not cursor or len(new) < len(messages):
                break
        return mentions, rejects, newest
