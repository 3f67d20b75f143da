"""The routing policy from config: does a classified mention enter the queue, at which priority, due when? And
does it continue a customer's open item (a conversation), so that it joins that item instead?

Priority can only go up here: a repeat contact, or a word from the config's `priority_rules`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.config.settings import Settings
from bot.mention import Mention
from bot.store.records import Conversation
from bot.text.phrases import matcher_of
from classifiers import Decision, Label, Priority

__all__ = ["JOIN_LABELS", "Route", "apply_priority_rules", "route"]

# A customer's follow-up joins their open item when it speaks to us or about their case: a question, a thanks,
# a public "still no answer". Spam in their name does not.
JOIN_LABELS = frozenset({Label.QUEUE, Label.DIRECT_OTHER, Label.ABOUT})


@dataclass(frozen=True)
class Route:
    queued: bool
    priority: Priority
    reason: str
    priority_reasons: tuple[str, ...] = ()
    due_at: datetime | None = None
    joins: Conversation | None = None  # the open item this post joins as a new message


def apply_priority_rules(mention: Mention, settings: Settings, priority: Priority) -> tuple[Priority, tuple[str, ...]]:
    """The priority after every config rule that matches the mention's text (in its language), with reasons.

    A rule that names languages applies to mentions in those languages, and to mentions whose language the
    platform did not know (better a raised priority than a missed emergency)."""
    lang = (mention.lang or "").casefold().split("-")[0]
    reasons: list[str] = []
    for rule in settings.priority_rules:
        if rule.languages and lang not in ("", "und") and lang not in rule.languages:
            continue
        found = matcher_of(rule.keywords, rule.patterns).find(mention.text)
        if found is None:
            continue
        raised = priority.raised_to(Priority(rule.raise_to))
        if raised is not priority:
            reasons.append(f"priority rule '{rule.name}' ({found})")
        priority = raised
    return priority, tuple(reasons)


def route(decision: Decision, settings: Settings, *, recent_contacts: int = 0, now: datetime | None = None,
          mention: Mention | None = None, conversation: Conversation | None = None) -> Route:
    """Queue what is addressed to the brand and needs care, as config says; a repeat contact is raised, and so
    is a mention (when given) that matches one of the config's priority rules. A post that continues an open
    item (`conversation`) joins it, whether or not it would be queued on its own."""
    policy = settings.routing
    now = now or datetime.now(timezone.utc)
    priority, reasons = decision.priority, tuple(decision.priority_reasons)
    label, p = decision.label, decision.confidence
    if label in policy.queue_labels and p >= policy.min_probability:
        queued, why = True, f"{label.value} with probability {p:.2f}"
    elif label is Label.DIRECT_OTHER and policy.praise_to_queue:
        queued, why, priority, reasons = True, "direct praise or thanks (praise_to_queue is on)", Priority.LOW, ()
    elif label in policy.queue_labels:
        queued, why = False, f"{label.value} but probability {p:.2f} is below routing.min_probability {policy.min_probability}"
    else:
        queued, why = False, f"{label.value}: not a label routing.queue_labels sends to the queue"
    joins = conversation if conversation is not None and label in JOIN_LABELS else None
    if joins is not None:
        why = f"{why}; joins item #{joins.item_id} ({joins.why})"
    if not queued:
        return Route(False, priority, why, joins=joins)
    if recent_contacts > 0:
        raised = priority.raised_to(Priority.HIGH)
        if raised is not priority:
            reasons = (*reasons, f"repeat contact ({recent_contacts} earlier this week)")
        priority = raised
    if mention is not None:
        priority, rule_reasons = apply_priority_rules(mention, settings, priority)
        reasons = (*reasons, *rule_reasons)
    minutes = getattr(settings.service_levels, priority.value)
    return Route(True, priority, why, reasons, now + timedelta(minutes=minutes), joins)
