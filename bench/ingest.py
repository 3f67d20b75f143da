"""Ingest benchmark: replays a generated stream through the whole pipeline (replay source -> store -> filters
-> rule classifier -> router -> queue) on a real SQLite file, and prints throughput end to end, latency from
fetch to queue, peak memory and database size, at 1,000 and at 100,000 stored mentions.

    python bench/ingest.py                      # 100,000 mentions, batches of 500, the rule classifier
    python bench/ingest.py --classifier trained --count 10000   # the same with the shipped transformer model
    python bench/ingest.py --count 20000 --batch-size 200 --keep /tmp/bench.db
    python bench/ingest.py --count 5000 --onto /tmp/web.db  # the cost at a big store's size against at 1,000

With the rule classifier the figures show the bot's own cost (store, routing, queue); `--classifier trained`
adds the transformer's forward pass, which then dominates (bench/classify.py measures it alone).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config.settings import parse_settings  # noqa: E402
from bot.mention import Mention  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.sources.replay import ReplaySource  # noqa: E402
from bot.store import Decisions, Outcome, Store  # noqa: E402
from classifiers import Classifier, RuleClassifier  # noqa: E402

TEXTS = (
    "@Tulpair mijn koffer is niet aangekomen op Schiphol, vlucht TP{n}. Wat nu?",
    "Dear @Tulpair, you charged my card twice for booking TPX{n}. Please refund the second payment.",
    "nooit meer Tulp Air, {n} minuten vertraging en geen excuses. echt niet normaal",
    "@Tulpair thanks for the upgrade on TP{n}, lovely crew!",
    "lol @Tulpair strikes again, flight {n} cancelled #travel",
    "@Tulpair kunnen jullie mijn vlucht {n} omboeken naar morgen?",
    "Anyone else stuck at gate D{n} waiting for @Tulpair? Third hour now",
    "@TulpairHelp my daughter's medication is in the lost bag, flight TP{n}, please help urgently",
    "Win a free trip!!! click here {n} #Tulpair #giveaway",
    "@Tulpair waarom is mijn terugbetaling voor boeking {n} nog steeds niet binnen? Al 3 keer gebeld",
)
CONFIG = """\
brand: {{name: Tulpair, handles: [Tulpair, TulpairHelp], names: [Tulpair, Tulp Air]}}
sources: {{replay: {{enabled: true, path: {stream}, batch_size: {batch}}}}}
classifier: {{kind: rules}}
storage: {{database: {db}}}
"""


def generate(path: Path, count: int, seed: int = 7, first_id: int = 1_000_000) -> None:
    """`count` distinct mentions from 5,000 authors, a few seconds apart, texts from a mix of every label."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            author = rng.randrange(5000)
            f.write(json.dumps({
                "platform": "x", "id": str(first_id + i), "author": {"id": str(author), "handle": f"user{author}"},
                "text": rng.choice(TEXTS).format(n=rng.randrange(10_000)), "lang": "nl",
                "created_at": (start + timedelta(seconds=3 * i)).isoformat(),
            }) + "\n")


class TimedDecisions(Decisions):
    """The store's decisions, noting when each mention's outcome is committed (the end of its fetch-to-queue
    path)."""

    fetch_started = 0.0
    latencies: list[float]

    def record_outcome(self, mention: Mention, outcome: Outcome) -> int | None:
        item = super().record_outcome(mention, outcome)
        self.latencies.append(time.perf_counter() - self.fetch_started)
        return item


class TimedStore(Store):
    """The store with its decisions timed."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.decisions = self.timed = TimedDecisions(self.database, self.mentions, self.queue, self.conversations)


@dataclass
class Window:
    label: str
    mentions: int = 0
    seconds: float = 0.0
    latencies: tuple[float, ...] = ()

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return (f"{self.label:>22}: {self.mentions / self.seconds:8.0f} mentions/s, "
                f"{self.seconds / self.mentions * 1000:6.3f} ms per mention, "
                f"fetch-to-queue p50 {p50 * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms")


Poll = tuple[int, int, float, tuple[float, ...]]  # stored before, new, seconds, latencies


def ingest(db: Path, stream: Path, batch: int, classifier: Classifier) -> tuple[list[Poll], float, TimedStore]:
    """Replay `stream` through the pipeline into `db`, timing each poll."""
    settings = parse_settings(CONFIG.format(stream=stream, batch=batch, db=db), base_dir=stream.parent)
    store = TimedStore(db)
    store.timed.latencies = []
    pipeline = Pipeline(store, lambda: settings, classifier)
    source = ReplaySource(stream, batch)
    polls: list[Poll] = []
    started = time.perf_counter()
    stored = 0
    while True:
        store.timed.latencies = []
        store.timed.fetch_started = t0 = time.perf_counter()
        result = pipeline.poll(source)
        if result.fetched == 0:
            break
        polls.append((stored, result.stored, time.perf_counter() - t0, tuple(store.timed.latencies)))
        stored += result.stored
    return polls, time.perf_counter() - started, store


def window(polls: list[Poll], label: str, lo: int, hi: int) -> Window:
    picked = [p for p in polls if lo <= p[0] < hi]
    return Window(label, sum(p[1] for p in picked), sum(p[2] for p in picked), tuple(x for p in picked for x in p[3]))


def onto(big: Path, count: int, batch: int, classifier: Classifier, work: Path) -> None:
    """Cost per mention on a fresh store (from 1,000 to 3,000 stored) against the same stream replayed into a
    store that already holds many (`bench/web.py --db` builds one of a million quickly). The big store keeps
    the new mentions: their ids are new at every run."""
    fresh_stream, fresh_db = work / "fresh.jsonl", work / "fresh.db"
    generate(fresh_stream, 3_000)
    polls, _, store = ingest(fresh_db, fresh_stream, batch, classifier)
    store.close()
    early = window(polls, "at 1,000 stored", 1_000, 3_000)
    probe = Store(big)
    before = probe.mentions.count_mentions()
    probe.close()
    big_stream = work / "big.jsonl"
    generate(big_stream, count, first_id=60_000_000 + before)
    polls, _, store = ingest(big, big_stream, batch, classifier)
    store.close()
    late = window(polls, f"at {before:,} stored", 0, count)
    for w in (early, late):
        print(w.line())
    print(f"cost per mention at {before:,} / at 1,000: "
          f"{(late.seconds / late.mentions) / (early.seconds / early.mentions):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="copy the database here afterwards")
    parser.add_argument("--classifier", choices=("rules", "trained"), default="rules")
    parser.add_argument("--onto", type=Path, help="replay --count mentions into this (big) store and compare the "
                                                  "cost per mention with a fresh store's")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="webcare-bench-"))
    classifier: Classifier = RuleClassifier()
    if args.classifier == "trained":
        from classifiers.trained import TrainedClassifier

        classifier = TrainedClassifier()
    classifier = classifier.load()
    try:
        if args.onto:
            onto(args.onto, args.count, args.batch_size, classifier, work)
            return 0
        stream, db = work / "stream.jsonl", work / "bench.db"
        generate(stream, args.count)
        polls, total, store = ingest(db, stream, args.batch_size, classifier)
        size = sum(p.stat().st_size for p in work.glob("bench.db*"))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        everything = window(polls, "all", 0, args.count)
        early = window(polls, "at 1,000 stored", 1_000, 3_000)
        late = window(polls, f"at {args.count:,} stored", args.count - 2_000, args.count)
        print(f"{args.count:,} mentions, batches of {args.batch_size}, {args.classifier} classifier ({classifier.version}); "
              f"decided {sum(store.decisions.outcome_counts().values()):,}, queued {sum(store.queue.queue_counts().values()):,}")
        print(f"end to end: {args.count / total:.0f} mentions/s ({total:.1f} s)")
        for w in (everything, early, late):
            print(w.line())
        print(f"cost per mention at {args.count:,} / at 1,000: "
              f"{(late.seconds / late.mentions) / (early.seconds / early.mentions):.2f}x")
        print(f"peak memory (RSS): {peak_mb:.0f} MB; database size: {size / 1_000_000:.1f} MB")
        store.close()
        if args.keep:
            shutil.copy(db, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
