"""Which sources a config enables, built by name: the daemon schedules what this returns."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.settings import Settings
from bot.sources.base import Source
from bot.sources.bluesky import build_bluesky_sources
from bot.sources.mastodon import build_mastodon_sources
from bot.sources.replay import ReplaySource
from bot.sources.x import UserIds, build_x_sources


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
