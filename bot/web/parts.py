"""What the web app uses of the store: the queue and its conversations, the stored mentions (a post's page,
its parent), the insights (search, listening, stats), the accounts and the alerts. The app is given any
object with these parts (`bot.store.Store` is one)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.store import Alerts, Conversations, Insights, Mentions, Queue, Users

__all__ = ["AccountStore", "WebStore"]


class AccountStore(Protocol):
    """What making accounts and logging in use: the accounts part."""

    @property
    def users(self) -> Users: ...


class WebStore(AccountStore, Protocol):
    @property
    def path(self) -> Path:
        """The database file (what the listening page's kept counts are keyed by)."""

    @property
    def mentions(self) -> Mentions: ...

    @property
    def queue(self) -> Queue: ...

    @property
    def conversations(self) -> Conversations: ...

    @property
    def insights(self) -> Insights: ...

    @property
    def alerts(self) -> Alerts: ...
