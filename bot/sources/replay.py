"""The replay source: reads a JSONL file of mentions and hands out the next batch on each poll. It is the
embedded default (the demo needs no credentials) and replays recordings for tests and what-if runs.

A line is `Mention.to_dict()` without `raw` (the line itself becomes the raw payload). Two conveniences:
`inherited_handles` lists the leading @handles a platform prefixed to a reply; `expected_label` and
`expected_priority` are annotations for tests and are dropped. The checkpoint is the number of lines read.
A malformed line is logged with its line number, kept as a reject, and skipped. A last line without its newline
that does not parse is being written: it is read at the next poll.
"""

from __future__ import annotations

import json
import logging
from itertools import islice
from pathlib import Path
from typing import Any

from bot.errors import SourceError
from bot.mention import HandleMention, Mention, find_handles
from bot.sources.base import Batch, Reject

log = logging.getLogger(__name__)

ANNOTATIONS = ("expected_label", "expected_priority")


def mention_from_line(data: Any, raw_line: str) -> Mention:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    data = {k: v for k, v in data.items() if k not in ANNOTATIONS}
    inherited = data.pop("inherited_handles", None) or []
    if "handles" not in data and isinstance(data.get("text"), str):
        handles = find_handles(data["text"])
        data["handles"] = [
            HandleMention(h.handle, h.start, h.end, typed_by_author=not (i < len(inherited)
                          and h.handle.casefold() == str(inherited[i]).casefold())).__dict__
            for i, h in enumerate(handles)
        ]
    data.setdefault("raw", {"line": raw_line})
    return Mention.from_dict(data)


class ReplaySource:
    def __init__(self, path: Path, batch_size: int = 50, name: str = "replay") -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.name = name

    def _reject(self, rejects: list[Reject], number: int, line: str, e: Exception) -> None:
        # A KeyError's str() is its repr ("'missing field ...'"): use its message as written.
        reason = str(e.args[0] if isinstance(e, KeyError) and e.args else e) or type(e).__name__
        if isinstance(e, RecursionError):
            reason = "nested too deeply to read"
        log.warning("%s line %d: skipped a malformed mention: %s", self.path, number, reason)
        # Bytes that are not UTF-8 were read as surrogates: kept written out (\xff), so the raw line stays
        # readable and storable.
        raw = line[:10_000].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        rejects.append(Reject(f"{self.path}:{number}", reason, raw))

    def fetch(self, checkpoint: str | None) -> Batch:
        start = int(checkpoint or 0)
        mentions: list[Mention] = []
        rejects: list[Reject] = []
        read = 0
        # utf-8-sig: a byte-order mark (some editors write one) is not part of the first record.
        try:
            f = self.path.open(encoding="utf-8-sig", errors="surrogateescape")
        except OSError as e:  # moved or removed while the daemon runs: reported per poll, like a platform outage
            raise SourceError(f"{self.name}: cannot read {self.path} ({e.strerror}); put the file back or fix "
                              f"sources.replay.path") from None
        with f:
            for number, line in enumerate(islice(f, start, start + self.batch_size), start + 1):
                if not line.strip():
                    read += 1
                    continue
                try:
                    data = json.loads(line)
                except (ValueError, RecursionError) as e:
                    if not line.endswith("\n"):
                        break  # the last line is still being written: read it whole at the next poll
                    self._reject(rejects, number, line, e)
                    read += 1
                    continue
                read += 1
                try:
                    mentions.append(mention_from_line(data, line.rstrip("\n")))
                except (ValueError, KeyError, TypeError) as e:
                    self._reject(rejects, number, line, e)
        return Batch(mentions, str(start + read) if read else checkpoint, rejects)
