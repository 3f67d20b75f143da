"""The store: the only module that speaks SQL. One SQLite file (WAL) holds mentions (raw, unique by platform +
id), decisions with their reasons, queue items, checkpoints, feedback and an audit log of every state change.

In the flow it sits right after the sources: a mention is stored raw before anything else happens to it.

`Store` composes the parts, each one idea over the one shared `Database`: `store.mentions` (raw mentions in,
checkpoints, pending work, poll status), `store.decisions` (outcomes with their reasons, why), `store.queue`
(the queue the team works), `store.conversations` (items as customer threads), `store.insights` (search,
listening, stats), `store.care` (backup, retention, forget, health), `store.users` (web accounts),
`store.x_users` (the X handle cache) and `store.alerts`. A consumer takes the parts it uses, typed by a small
Protocol beside it.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database as SqliteDatabase

from bot.sources.base import Reject
from bot.store import schema, schema_alerts, schema_ops, schema_queue, schema_scale, schema_web, schema_x
from bot.store.alerts import AlertRecord, Alerts, PostText
from bot.store.care import Care, Forgotten, Purged
from bot.store.conversations import Conversations
from bot.store.database import Database
from bot.store.decisions import Decisions
from bot.store.insights import Insights, LeftOut, QueueTimes
from bot.store.mentions import MAX_ATTEMPTS, Mentions
from bot.store.queue import Queue, QueueSearch
from bot.store.records import (Conversation, Event, Explanation, Feedback, ItemState, Message, Outcome, QueueItem,
                               SourceStatus, StoredDecision)
from bot.store.users import ROLES, User, Users
from bot.store.x_users import XUsers

__all__ = ["MAX_ATTEMPTS", "MIGRATION_SETS", "ROLES", "AlertRecord", "Alerts", "Care", "Conversation",
           "Conversations", "Database", "Decisions", "Event", "Explanation", "Feedback", "Forgotten", "Insights",
           "ItemState", "LeftOut", "Mentions", "Message", "Outcome", "PostText", "Purged", "Queue", "QueueItem",
           "QueueSearch", "QueueTimes", "Reject", "SourceStatus", "Store", "StoredDecision", "User", "Users",
           "XUsers"]

MIGRATION_SETS = (schema.core, schema_ops.ops, schema_web.web, schema_x.x, schema_alerts.alerts,
                  schema_queue.conversations, schema_scale.scale)


class Store:
    """Every part of the store on one database file: its path (opened, and migrated, here) or an opened
    `Database` (a test's traced one, say)."""

    def __init__(self, file: str | Path | Database) -> None:
        self.database = file if isinstance(file, Database) else Database(file, MIGRATION_SETS)
        self.mentions = Mentions(self.database)
        self.conversations = Conversations(self.database)
        self.queue = Queue(self.database, self.mentions)
        self.decisions = Decisions(self.database, self.mentions, self.queue, self.conversations)
        self.insights = Insights(self.database)
        self.care = Care(self.database)
        self.users = Users(self.database)
        self.x_users = XUsers(self.database)
        self.alerts = Alerts(self.database)

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def db(self) -> SqliteDatabase:
        """This thread's connection, for tests and benchmarks that read rows directly."""
        return self.database.db

    def close(self) -> None:
        """Close this thread's connection."""
        self.database.close()
