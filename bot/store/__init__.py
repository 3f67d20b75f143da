"""The store: the only module that speaks SQL. One SQLite file (WAL) holds mentions (raw, unique by platform +
id), decisions with their reasons, queue items, checkpoints, feedback and an audit log of every state change.

In the flow it sits right after the sources: a mention is stored raw before anything else happens to it.
"""

from bot.sources.base import Reject
from bot.store.mentions import MAX_ATTEMPTS, MentionStore
from bot.store.queue import QueueStore
from bot.store.records import Outcome, QueueItem, Status

__all__ = ["MAX_ATTEMPTS", "Outcome", "QueueItem", "Reject", "Status", "Store"]


class Store(QueueStore):
    """All of the store's operations on one database file."""
