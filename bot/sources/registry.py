"""Which sources a config enables, built by name: the daemon schedules what this returns."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from bot.sources.base import Source
from bot.sources.replay import ReplaySource


@dataclass(frozen=True)
class Scheduled:
    source: Source
    interval_seconds: float
    jitter_seconds: float


def build_sources(settings: Settings) -> list[Scheduled]:
    found: list[Scheduled] = []
    replay = settings.sources.replay
    if replay.enabled:
        found.append(Scheduled(ReplaySource(settings.resolve(replay.path), replay.batch_size),
                               replay.interval_seconds, replay.jitter_seconds))
    return found
