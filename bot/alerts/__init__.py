"""Alerts: the team hears when a complaint spreads, a source goes quiet, polls keep failing, urgent items wait
past their due time or the classifier fails. The daemon runs `AlertEngine.evaluate` as a job of its own; the
review app lists what fired; webhooks carry it to chat or paging tools."""

from bot.alerts.conditions import Alert
from bot.alerts.engine import AlertEngine, check_webhooks

__all__ = ["Alert", "AlertEngine", "check_webhooks"]
