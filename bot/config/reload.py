"""Hot reload of the config file: the daemon asks at each poll (and on SIGHUP) whether the file changed.

A valid change gives a new `Settings` (with a new `version`, which the decisions made under it carry) and is
logged; an invalid one is refused with the same message `webcare config check` prints, and the running config
stays. Sections the daemon builds its parts from once (sources, storage, web, ops, classifier, logging) take
effect after a restart; the log says so.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["RESTART_SECTIONS", "ConfigWatcher"]

RESTART_SECTIONS = ("sources", "storage", "web", "ops", "classifier", "logging")


class ConfigWatcher:
    """Watches one config file by its modification time and size, and by its content's hash when those move."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self._stat = self._stat_now()
        self._digest = self._digest_now()

    def _stat_now(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _digest_now(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def poll(self, force: bool = False) -> Settings | None:
        """The new settings when the file changed and is valid; None when unchanged or refused. `force` (SIGHUP)
        re-reads the file even when its time and size look the same."""
        stat = self._stat_now()
        if stat == self._stat and not force:
            return None
        self._stat = stat
        digest = self._digest_now()
        if digest is None:
            log.error("config %s cannot be read; the running config (version %s) stays", self.path,
                      self.settings.version)
            return None
        if digest == self._digest:
            return None
        self._digest = digest  # a refused version is reported once, not at every poll
        try:
            new = load_settings(self.path)
        except ConfigError as e:
            log.error("config change refused; the running config (version %s) stays:\n%s", self.settings.version, e)
            return None
        old, self.settings = self.settings, new
        if new.version == old.version:
            log.info("config %s re-read: no setting changed (version %s)", self.path, new.version)
            return None
        log.info("config reloaded from %s: version %s -> %s", self.path, old.version, new.version)
        later = [s for s in RESTART_SECTIONS if getattr(old, s) != getattr(new, s)]
        if later:
            log.warning("config: changes to %s take effect after a restart", ", ".join(later))
        return new
