"""The store: the only module that speaks SQL. One SQLite file (WAL) holds mentions (raw, unique by platform +
id), decisions with their reasons, queue items, checkpoints, feedback and an audit log of every state change.

In the flow it sits right after the sources: a mention is stored raw before anything else happens to it.
"""

from bot.sources.base import Reject
from bot.store import schema, schema_alerts, schema_ops, schema_queue, schema_scale, schema_web, schema_x
from bot.store.alerts import AlertRecord, AlertStore, PostText
from bot.store.care import CareStore, Forgotten, Purged
from bot.store.conversations import ConversationStore
from bot.store.insights import InsightStore, LeftOut, QueueTimes
from bot.store.mentions import MAX_ATTEMPTS, MentionStore
from bot.store.period import PeriodStore
from bot.store.queue import QueueSearch, QueueStore
from bot.store.records import Conversation, Event, Message, Outcome, QueueItem, Status
from bot.store.users import ROLES, User, UserStore
from bot.store.x_users import XUserStore

__all__ = ["AlertRecord", "PostText", "MAX_ATTEMPTS", "Conversation", "Event", "Forgotten", "Message", "Outcome",
           "QueueSearch", "Purged", "QueueItem", "Reject", "Status", "Store", "LeftOut", "QueueTimes", "ROLES", "User"]


class Store(PeriodStore, XUserStore, UserStore, InsightStore, CareStore, ConversationStore, QueueStore, AlertStore):
    """All of the store's operations on one database file."""

    migration_sets = [schema.core, schema_ops.ops, schema_web.web, schema_x.x, schema_alerts.alerts,
                      schema_queue.conversations, schema_scale.scale]
