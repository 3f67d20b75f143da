"""Alerts benchmark: one alert evaluation on a store holding what a year of about a million mentions puts in the
spike window and its baseline (15 days at --per-day mentions a day, default 2,740), built through the store's
own API. Prints the first (cold: the baseline is counted) and the following (warm: cached baseline) evaluation
times, and the peak memory.

    python bench/alerts.py                  # 15 days x 2,740 mentions a day
    python bench/alerts.py --per-day 500 --keep /tmp/alerts.db
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from alert_streams import everyday  # noqa: E402

from bot.alerts import AlertEngine  # noqa: E402
from bot.config.settings import parse_settings  # noqa: E402
from bot.mention import Author, Mention  # noqa: E402
from bot.store import Outcome, Store  # noqa: E402

CONFIG = "brand: {name: Tulpair, handles: [Tulpair, TulpairHelp], names: [Tulpair, Tulp Air]}\n"


def build(db: Path, per_day: int, seed: int = 3) -> int:
    rng = random.Random(seed)
    store = Store(db)
    now = datetime.now(timezone.utc)
    mentions = []
    for i in range(per_day * 15):
        at = now - timedelta(seconds=rng.randint(60, 15 * 86_400))
        mentions.append(Mention(platform="x", id=str(i), url=f"https://x.com/u/status/{i}",
                                author=Author(id=str(i % 5000), handle=f"u{i % 5000}", name="U"),
                                text=everyday(rng), created_at=at, lang="en"))
    for start in range(0, len(mentions), 5000):
        store.mentions.store_batch("replay", mentions[start:start + 5000], None)
    label = Outcome("not_queued", label="about")
    with store.db.atomic():
        for m in mentions:
            store.decisions.record_outcome(m, label)
    store.close()
    return len(mentions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", type=int, default=2740)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the database at this path")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="webcare-bench-alerts-"))
    db = args.keep or folder / "alerts.db"
    started = time.perf_counter()
    n = build(db, args.per_day)
    print(f"built {n:,} decided mentions over 15 days in {time.perf_counter() - started:.1f} s")
    settings = parse_settings(CONFIG + f"storage: {{database: {db}}}\n")
    store = Store(db)
    engine = AlertEngine(store, lambda: settings, lambda: ["replay"])
    started = time.perf_counter()
    engine.evaluate()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(args.runs):
        started = time.perf_counter()
        engine.evaluate()
        warm.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"evaluation: first {cold * 1000:.0f} ms (baseline counted), then median {statistics.median(warm) * 1000:.0f} ms"
          f" over {args.runs} (baseline cached); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
