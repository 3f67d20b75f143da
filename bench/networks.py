"""Mapping benchmark for the open networks: how many Mastodon and Bluesky notifications per second become
Mention records (HTML made plain, facets converted from bytes), on the test fixtures, with no network.

    python bench/networks.py                # 2,000 rounds over each fixture page
    python bench/networks.py --rounds 500
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bot.sources.bluesky import mapping as bluesky_mapping
from bot.sources.mastodon import mapping as mastodon_mapping

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    page = json.loads((FIXTURES / "mastodon" / "notifications.json").read_text(encoding="utf-8"))["notifications"]
    brand = mastodon_mapping.BrandAccount("109000000000000001", frozenset({"tulpair@mastodon.social"}))
    started = time.perf_counter()
    for _ in range(rounds):
        mastodon_mapping.map_notifications(page, brand, "mastodon.social", "bench", lambda status_id: None)
    print(f"mastodon: {rounds * len(page) / (time.perf_counter() - started):,.0f} notifications/s")
    page = json.loads((FIXTURES / "bluesky" / "notifications.json").read_text(encoding="utf-8"))["notifications"]
    bsky = bluesky_mapping.BrandAccount("did:plc:tulpair0000000000000000", frozenset({"tulpair.bsky.social"}))
    started = time.perf_counter()
    for _ in range(rounds):
        bluesky_mapping.map_notifications(page, bsky, "bench")
    print(f"bluesky:  {rounds * len(page) / (time.perf_counter() - started):,.0f} notifications/s")


if __name__ == "__main__":
    main()
