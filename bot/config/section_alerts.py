"""The `alerts` config section: when the team is told that a complaint is spreading, a source went quiet, polls
keep failing, urgent items wait past their due time or the classifier fails; and where the message goes.
Part of the schema in `bot.config.settings`, a leaf like it.

Webhook addresses are secrets (a Slack incoming-webhook URL is a credential): the config names the environment
variable that holds one, never the address itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.vocabulary import Label, Priority

__all__ = ["Alerts", "Webhook"]

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Webhook(_Section):
    url_env: EnvName = Field(
        description="The NAME of the environment variable that holds the webhook's address (never the address).",
        examples=["WEBCARE_ALERT_WEBHOOK"],
    )
    format: Literal["json", "slack"] = Field(
        default="json",
        description="`json`: one JSON object per alert event; `slack`: a Slack-compatible message (`text`), "
        "which Mattermost, Rocket.Chat and Teams workflows accept too.",
    )
    timeout_seconds: float = Field(default=5, gt=0, le=60, description="Seconds a delivery may take in all.")


class SpikeAlerts(_Section):
    """A word or phrase in far more posts than usual: a recurring problem to fix at its source."""

    enabled: bool = Field(default=True, description="Look for rising words and phrases.")
    labels: list[Literal[Label.QUEUE, Label.ABOUT]] = Field(
        default=[Label.ABOUT, Label.QUEUE], description="Which mentions are counted: complaints to us, talk about us."
    )
    window: Literal["hour", "day"] = Field(
        default="day", description="The current window: the last hour or the last 24 hours."
    )
    baseline_days: int = Field(default=14, ge=1, le=90, description="Days before the window that set what is usual.")
    min_posts: int = Field(default=5, ge=2, le=10_000, description="A term must stand in at least this many posts.")
    min_ratio: float = Field(default=3.0, ge=1, description="... and in at least this many times its usual share.")
    p_value: float = Field(
        default=0.001, gt=0, le=0.1,
        description="How unlikely the count must be by chance (Poisson test); smaller means fewer, surer alerts.",
    )
    min_baseline_posts: int = Field(
        default=50, ge=1, description="No spikes until the baseline holds this many posts (a first start)."
    )
    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]] = Field(
        default=["en", "nl"], description="Languages whose stop words are ignored (ISO 639-1 codes)."
    )


class QuietLimits(_Section):
    no_success_minutes: float = Field(
        default=15, ge=0, description="Alert when a source had no successful poll for this long (0: never)."
    )
    no_mention_minutes: float = Field(
        default=360, ge=0, description="Alert when a source stored no new mention for this long (0: never)."
    )


class QuietAlerts(QuietLimits):
    per_source: dict[str, QuietLimits] = Field(
        default_factory=dict,
        description="Limits for one source by its name (as /healthz shows it), e.g. a quiet search.",
        examples=[{"x:search:Tulpair": {"no_mention_minutes": 1440}}],
    )

    def limits(self, source: str) -> QuietLimits:
        return self.per_source.get(source, self)


class OverdueAlerts(_Section):
    priorities: list[Priority] = Field(
        default=[Priority.URGENT, Priority.HIGH],
        description="Alert when items of these priorities wait past their due time.",
    )
    min_items: int = Field(default=1, ge=1, description="... and at least this many of them are overdue.")


class ClassifierAlerts(_Section):
    failures: int = Field(
        default=3, ge=0, description="Alert when this many classifications failed within the window (0: never)."
    )
    window_minutes: float = Field(default=15, gt=0, description="The window for counting failures.")


class Alerts(_Section):
    enabled: bool = Field(default=True, description="Evaluate alerts in the daemon (listed in the app and the log).")
    evaluate_every_seconds: float = Field(default=60, ge=1, description="Seconds between evaluations.")
    webhooks: list[Webhook] = Field(default_factory=list, description="Where alerts are sent; empty: only listed.")
    repeat_minutes: float = Field(
        default=120, ge=0, description="Send a still-firing alert again after this long (0: only once)."
    )
    clear_after_minutes: float = Field(
        default=10, ge=0, description="A condition must be gone this long before its alert is resolved."
    )
    max_per_hour: int = Field(
        default=20, ge=1, description="Deliveries per webhook per hour; more are listed and logged, not sent."
    )
    spike: SpikeAlerts = Field(default_factory=SpikeAlerts)
    quiet: QuietAlerts = Field(default_factory=QuietAlerts)
    poll_errors_in_a_row: int = Field(
        default=5, ge=0, description="Alert when a source's polls failed this many times in a row (0: never)."
    )
    overdue: OverdueAlerts = Field(default_factory=OverdueAlerts)
    classifier: ClassifierAlerts = Field(default_factory=ClassifierAlerts)
