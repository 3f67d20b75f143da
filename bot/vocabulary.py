"""The product's words, in one place: the classifier's labels, the priorities with their order, the queue
item's status, the kinds of outcome a mention can have and the kinds of alert. The classifier, the config schema,
the store, the web app and the CLI all import them from here; no other module writes these names by hand. A leaf
(imports nothing of ours)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALERT_KINDS", "LABELS", "OUTCOMES", "PRIORITIES", "STATUSES", "AlertKind", "Label", "OutcomeKind",
           "Priority", "Status"]


class Label(StrEnum):
    """What the classifier says a mention is (LABELING.md)."""

    QUEUE = "queue"  # addressed to the brand and needs care
    DIRECT_OTHER = "direct_other"  # addressed to the brand, nothing to act on
    ABOUT = "about"  # the brand discussed with others or the public
    IRRELEVANT = "irrelevant"  # no real brand reference, spam, the brand's own posts


class Priority(StrEnum):
    """How soon a queued mention needs a person, most pressing first."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for urgent .. 3 for low: sorts the most pressing first."""
        return _PRIORITY_ORDER.index(self)

    def raised_to(self, other: Priority) -> Priority:
        return other if other.rank < self.rank else self


class Status(StrEnum):
    """Where a queue item stands."""

    NEW = "new"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class OutcomeKind(StrEnum):
    """What the pipeline did with a stored mention."""

    QUEUED = "queued"  # entered the queue (as a message of the open item it continues, when there is one)
    NOT_QUEUED = "not_queued"  # classified, and the routing policy left it out
    JOINED = "joined"  # left out on its own, but it continues an open item: it joined that item's conversation
    FILTERED = "filtered"  # a config filter stopped it before the classifier


class AlertKind(StrEnum):
    """What an alert is about (bot/alerts): the /alerts page and the ops metrics name them so."""

    SPIKE = "spike"  # terms rising in the mentions about the brand
    SOURCE_QUIET = "source_quiet"  # a source has not polled, or not brought a mention, for too long
    POLL_ERRORS = "poll_errors"  # a source's polls keep failing
    OVERDUE = "overdue"  # open queue items past their due time
    CLASSIFIER = "classifier"  # the classifier keeps failing


LABELS: tuple[Label, ...] = tuple(Label)
PRIORITIES: tuple[Priority, ...] = tuple(Priority)
_PRIORITY_ORDER: tuple[Priority, ...] = PRIORITIES
STATUSES: tuple[Status, ...] = tuple(Status)
OUTCOMES: tuple[OutcomeKind, ...] = tuple(OutcomeKind)
ALERT_KINDS: tuple[AlertKind, ...] = tuple(AlertKind)
