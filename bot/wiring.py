"""Wiring: the one place that builds the parts a config asks for, so the daemon and the what-if diff get the
same ones. Which classifier (`build_classifier`; kept out of the classifier package, which knows no config)
and which sources, by name (`build_sources`; the daemon schedules what it returns). To add a source: write its
package under `bot/sources/`, add its config section in `bot/config/settings.py`, and build it here."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.config.settings import Settings
from bot.sources.base import Source
from bot.sources.bluesky.source import build_bluesky_sources
from bot.sources.mastodon.source import build_mastodon_sources
from bot.sources.replay import ReplaySource
from bot.sources.x.source import UserIds, build_x_sources
from classifiers import Classifier, RuleClassifier

__all__ = ["Scheduled", "build_classifier", "build_sources"]


def build_classifier(settings: Settings) -> Classifier:
    """The trained classifier by default; `classifier.kind: rules` for the transparent rules alone."""
    options = settings.classifier
    if options.kind == "rules":
        return RuleClassifier()
    from classifiers.trained import TrainedClassifier

    head = settings.resolve(options.model_path) if options.model_path else None
    return TrainedClassifier(head, encoder=options.encoder, batch_size=options.batch_size,
                             precision=options.precision)


@dataclass(frozen=True)
class Scheduled:
    source: Source
    interval_seconds: float
    jitter_seconds: float


def build_sources(settings: Settings, x_user_ids: UserIds | None = None,
                  stop: threading.Event | None = None) -> list[Scheduled]:
    """`x_user_ids` keeps the X handle -> user id pairs (the store, so they survive a restart); `stop` (the
    daemon's) cuts a platform request in flight short when the daemon stops."""
    found: list[Scheduled] = []
    replay = settings.sources.replay
    if replay.enabled:
        found.append(Scheduled(ReplaySource(settings.resolve(replay.path), replay.batch_size),
                               replay.interval_seconds, replay.jitter_seconds))
    x = settings.sources.x
    if x.enabled:
        found += [Scheduled(source, x.interval_seconds, x.jitter_seconds)
                  for source in build_x_sources(settings, x_user_ids, stop=stop)]
    mastodon = settings.sources.mastodon
    if mastodon.enabled:
        found += [Scheduled(source, mastodon.interval_seconds, mastodon.jitter_seconds)
                  for source in build_mastodon_sources(settings, stop=stop)]
    bluesky = settings.sources.bluesky
    if bluesky.enabled:
        found += [Scheduled(source, bluesky.interval_seconds, bluesky.jitter_seconds)
                  for source in build_bluesky_sources(settings)]
    return found
