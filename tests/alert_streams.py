"""Generated mention streams for the spike and alert tests: a steady mix of everyday posts (Dutch and English,
written for these tests), with times relative to now, and a problem that can be planted in the last day."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

_EVERYDAY = [
    "@Tulpair my flight to {city} is delayed, any news on a new departure time?",
    "@Tulpair can I take a {thing} as hand luggage on the new fares?",
    "waiting for my Tulpair flight to {city}, the lounge says boarding soon",
    "@TulpairHelp the app says my booking to {city} is cancelled, what now?",
    "Tulpair staff at the gate in {city} were friendly today, says my mum",
    "@Tulpair waar blijft mijn koffer? vlucht uit {city} was gisteren al",
    "@Tulpair mag ik een {thing} meenemen in de cabine?",
    "net geland in {city} met Tulpair, prima vlucht eigenlijk",
    "@TulpairHelp mijn stoel is weg na het omboeken naar {city}",
    "Tulp Air weer vertraging richting {city}, nieuw record volgens mij",
    "@Tulpair is the {city} route running in the new winter schedule?",
    "@Tulpair the seat map for {city} will not load this morning",
]
CITIES = ["Lisbon", "Rome", "Oslo", "Porto", "Nice", "Split", "Malaga", "Vienna", "Bergen", "Faro", "Krakow",
          "Dublin", "Sevilla", "Napels", "Athene", "Praag", "Madrid", "Boedapest"]
THINGS = ["guitar", "stroller", "laptop bag", "surfboard", "kinderwagen", "fiets", "hond", "gitaar"]
# The planted problem: people report it in their own words, around the same few terms.
PROBLEM = [
    "@Tulpair the check-in app crashes at the payment screen, third time now",
    "@Tulpair your check-in app crashes every time I add a bag",
    "@TulpairHelp check-in app crashes again, cannot get a boarding pass for {city}",
    "check-in app crashes as soon as I open it. Tulpair please",
    "@Tulpair check-in app crashes on my phone and the desk in {city} is closed",
    "anyone else? Tulpair check-in app crashes at the last step",
]


@dataclass(frozen=True)
class Generated:
    created_at: str
    text: str
    label: str


def everyday(rng: random.Random) -> str:
    return rng.choice(_EVERYDAY).format(city=rng.choice(CITIES), thing=rng.choice(THINGS))


def stream(now: datetime, *, days: int = 15, per_day: int = 40, today_factor: float = 1.0, planted: int = 0,
           seed: int = 1) -> list[Generated]:
    """`days` days of everyday posts ending now, `per_day` a day (times `today_factor` in the last 24 hours),
    and `planted` posts of the problem spread over the last 24 hours."""
    rng = random.Random(seed)
    out = []
    for day in range(days):
        n = int(per_day * (today_factor if day == 0 else 1.0))
        for _ in range(n):
            at = now - timedelta(days=day, seconds=rng.randint(60, 86_000))
            out.append(Generated(at.isoformat(), everyday(rng), rng.choice(["about", "queue"])))
    for _ in range(planted):
        at = now - timedelta(seconds=rng.randint(60, 80_000))
        out.append(Generated(at.isoformat(), rng.choice(PROBLEM).format(city=rng.choice(CITIES)), "queue"))
    out.sort(key=lambda g: g.created_at)
    return out


def write_replay(path: Path, posts: list[Generated]) -> Path:
    """The stream as a replay file (one mention per line, as the replay source reads it)."""
    with path.open("w", encoding="utf-8") as f:
        for i, g in enumerate(posts):
            f.write(json.dumps({"platform": "x", "id": str(500_000 + i), "url": f"https://x.com/p{i}/status/{i}",
                                "author": {"id": str(9000 + i), "handle": f"person{i}", "name": f"Person {i}"},
                                "text": g.text, "created_at": g.created_at}) + "\n")
    return path


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
