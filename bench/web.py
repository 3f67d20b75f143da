"""Web and store benchmark: builds a store of a year of mentions through the store's own API (no pipeline),
serves the review app with /healthz and /metrics mounted as the daemon does, drives it with logged-in agents on
127.0.0.1 for a bounded time, then times the CLI commands that read the store. Prints p50/p95/max per page.

    python bench/web.py                                   # 1,000,000 mentions, 20 agents for 60 s
    python bench/web.py --count 100000 --db /tmp/web.db   # built once into /tmp/web.db, reused next time
    python bench/web.py --count 100000 --json             # {"count": N, "pages": {"/stats": {"p50_ms": ..}}}

The store: mentions spread evenly over the year before now, from 200,000 authors (a few hundred post often);
15% queued, 10% direct_other, 45% about, 20% irrelevant, 10% filtered. Queue items older than 12 hours are
claimed (5% released and claimed again), then resolved (85%), dismissed (13%) or marked wrongly routed (2%);
10% carry a note; the last 12 hours are mostly new or claimed. A fifth of the queued mentions reply to an
earlier one. The store's clock is moved to each event's time, so every stored time is where it would be.
Agents wait a random think time between requests (mean --think seconds, default 1 s), as people do.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import TEXTS  # noqa: E402

from bot.mention import Author, Mention  # noqa: E402
from bot.store import Outcome, Store  # noqa: E402

LABELS = (("queue", 0.15), ("direct_other", 0.10), ("about", 0.45), ("irrelevant", 0.20), ("filtered", 0.10))
PRIORITIES = (("urgent", 0.03), ("high", 0.17), ("normal", 0.60), ("low", 0.20))
SLA_MINUTES = {"urgent": 15, "high": 60, "normal": 240, "low": 1440}
LANGS = (("nl", 0.60), ("en", 0.35), ("de", 0.03), ("fr", 0.02))
AGENTS = tuple(f"agent{i:02d}" for i in range(1, 21))
PASSWORD = "bench-password-1234"
CONFIG = """\
brand: {{name: Tulpair, handles: [Tulpair, TulpairHelp], names: [Tulpair, Tulp Air]}}
sources: {{replay: {{enabled: false, path: none.jsonl}}}}
classifier: {{kind: rules}}
storage: {{database: {db}}}
web: {{host: 127.0.0.1, port: {port}}}
"""
BATCH = 2_000


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


class Clock:
    """The store's clock during the build: `bot.store.*` modules read `now()`, which is pointed here."""

    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc)

    def now(self) -> str:
        return self.at.isoformat(timespec="microseconds")

    @contextmanager
    def installed(self) -> Iterator[Clock]:
        modules = [m for name, m in sys.modules.items() if name.startswith("bot.store") and hasattr(m, "now")]
        saved = [(m, m.now) for m in modules]
        for m in modules:
            m.now = self.now  # type: ignore[attr-defined]
        try:
            yield self
        finally:
            for m, f in saved:
                m.now = f  # type: ignore[attr-defined]


def build(path: Path, count: int, seed: int = 12) -> None:
    """A store of `count` mentions over the year before now, with queue work in every state."""
    from bot.web.accounts import add_user

    rng = random.Random(seed)
    end = datetime.now(timezone.utc)
    start = end - timedelta(days=365)
    step = (end - start) / count
    store = Store(path)
    for name in AGENTS:
        add_user(store, name, "agent", PASSWORD)
    add_user(store, "lead", "lead", PASSWORD)
    clock = Clock()
    queued_ids: list[str] = []
    started = time.perf_counter()
    with clock.installed():
        for first in range(0, count, BATCH):
            mentions, outcomes = [], []
            for i in range(first, min(first + BATCH, count)):
                at = start + step * i
                label = pick(rng, LABELS)
                frequent = rng.random() < 0.2
                author = rng.randrange(300) if frequent else 300 + rng.randrange(200_000)
                reply_to = rng.choice(queued_ids) if label == "queue" and queued_ids and rng.random() < 0.2 else None
                mentions.append(Mention(
                    platform="x", id=str(10_000_000 + i), text=rng.choice(TEXTS).format(n=rng.randrange(10_000)),
                    author=Author(str(author), f"user{author}", f"User {author}"), created_at=at,
                    url=f"https://x.com/user{author}/status/{10_000_000 + i}", lang=pick(rng, LANGS),
                    in_reply_to_post_id=reply_to, raw={"id": str(10_000_000 + i)},
                ))
                priority = pick(rng, PRIORITIES) if label == "queue" else None
                due = at + timedelta(minutes=SLA_MINUTES[priority]) if priority else None
                outcomes.append(Outcome(
                    "filtered" if label == "filtered" else "queued" if label == "queue" else "not_queued",
                    label=None if label == "filtered" else label, probabilities={label: 0.9}, priority=priority,
                    reasons=("bench",), model_version="bench", config_version="bench", due_at=due,
                    filter_reason="excluded keyword" if label == "filtered" else "",
                ))
            clock.at = mentions[-1].created_at + timedelta(seconds=20)
            store.mentions.store_batch("x", mentions, checkpoint=mentions[-1].id)
            items = []
            with store.db.atomic():
                for m, o in zip(mentions, outcomes):
                    clock.at = m.created_at + timedelta(seconds=30)
                    item = store.decisions.record_outcome(m, o)
                    if item is not None:
                        items.append((item, m.created_at))
                        queued_ids.append(m.id)
                    elif o.label == "about" and rng.random() < 0.003:  # an agent sees it needs an answer
                        clock.at = m.created_at + timedelta(hours=2)
                        moved = store.queue.move_to_queue("x", m.id, rng.choice(AGENTS), "normal", clock.at)
                        items.append((moved.id, clock.at))
                for item_id, at in items:
                    work(store, clock, rng, item_id, at, end)
            done = min(first + BATCH, count)
            if done % 100_000 == 0 or done == count:
                print(f"  built {done:,} mentions ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    store.close()


def work(store: Store, clock: Clock, rng: random.Random, item_id: int, entered: datetime, end: datetime) -> None:
    """One item's life, as agents would live it; the last 12 hours are mostly still open."""
    recent = end - entered < timedelta(hours=12)
    fate = rng.random()
    if recent and fate < 0.55:
        return
    agent = rng.choice(AGENTS)
    clock.at = entered + timedelta(minutes=rng.uniform(1, 180 if not recent else 30))
    store.queue.claim(item_id, agent)
    if rng.random() < 0.05:
        clock.at += timedelta(minutes=rng.uniform(1, 20))
        store.queue.release(item_id, agent)
        agent = rng.choice(AGENTS)
        clock.at += timedelta(minutes=rng.uniform(1, 20))
        store.queue.claim(item_id, agent)
    if rng.random() < 0.10:
        clock.at += timedelta(minutes=rng.uniform(1, 10))
        store.queue.add_note(item_id, agent, "called the customer back; waiting for the baggage desk")
    if recent and fate < 0.85:
        return
    clock.at += timedelta(minutes=rng.uniform(3, 60))
    close = rng.random()
    if close < 0.85:
        store.queue.resolve(item_id, agent)
    elif close < 0.98:
        store.queue.dismiss(item_id, agent, "answered elsewhere")
    else:
        store.queue.mark_wrongly_routed(item_id, agent, "about", "a complaint to friends, not to us")


def serve(db: Path, port_file: Path) -> int:
    """The server process: the review app with the ops endpoints mounted, exactly as the daemon serves them."""
    from bot.config.settings import parse_settings
    from bot.ops.app import wsgi_app
    from bot.ops.state import ServiceState
    from bot.web import WebServer

    settings = parse_settings(CONFIG.format(db=db, port=0), base_dir=db.parent)
    store = Store(db)
    state = ServiceState()

    class Running:  # the daemon's scheduler, as /healthz sees it: this process serves, it does not poll
        running = True

    state.attach(Running())
    ops = wsgi_app(store, state)
    server = WebServer(store, lambda: settings, mounts={"/healthz": ops, "/metrics": ops})
    port_file.write_text(server.address)
    server.serve_forever()  # until the benchmark's SIGTERM ends the process
    return 0


class Agent(threading.Thread):
    """A logged-in agent: a page, a think time, another page, until the deadline."""

    def __init__(self, name: str, base: str, pages: list[tuple[str, float, Callable[[Agent], str]]],
                 new_items: list[int], lock: threading.Lock, deadline: float, think: float, seed: int,
                 times: dict[str, list[float]], errors: dict[str, int]) -> None:
        super().__init__(daemon=True)
        import requests

        self.name_, self.base, self.pages = name, base, pages
        self.new_items, self.lock, self.deadline, self.think = new_items, lock, deadline, think
        self.rng = random.Random(seed)
        self.times, self.errors = times, errors
        self.session = requests.Session()
        self.token = ""

    def login(self) -> None:
        page = self.session.get(f"{self.base}/login", timeout=30).text
        self.token = _token(page)
        r = self.session.post(f"{self.base}/login", data={"csrf_token": self.token, "name": self.name_,
                                                          "password": PASSWORD}, timeout=30)
        if "webcare_session" not in self.session.cookies:
            raise SystemExit(f"{self.name_} could not log in: HTTP {r.status_code}")
        self.token = _token(self.session.get(f"{self.base}/queue", timeout=60).text)

    def run(self) -> None:
        weights = [w for _, w, _ in self.pages]
        while time.monotonic() < self.deadline:
            key, _, request = self.rng.choices(self.pages, weights)[0]
            t0 = time.perf_counter()
            outcome = request(self)
            elapsed = time.perf_counter() - t0
            with self.lock:
                if outcome == "ok":
                    self.times[key].append(elapsed)
                elif outcome != "skip":
                    self.errors[f"{key}: {outcome}"] += 1
            time.sleep(min(self.rng.expovariate(1 / self.think), 5 * self.think))

    def get(self, path: str, ok: tuple[int, ...] = (200,)) -> str:
        r = self.session.get(self.base + path, timeout=120)
        return "ok" if r.status_code in ok else f"HTTP {r.status_code}"

    def claim_and_resolve(self) -> str:
        with self.lock:
            if not self.new_items:
                return "skip"
            item = self.new_items.pop()
        headers = {"HX-Request": "true"}
        for action in ("claim", "resolve"):
            t0 = time.perf_counter()
            r = self.session.post(f"{self.base}/items/{item}/{action}", data={"csrf_token": self.token},
                                  headers=headers, timeout=120)
            with self.lock:
                if r.status_code == 200:
                    self.times[f"POST /items/<id>/{action}"].append(time.perf_counter() - t0)
                else:
                    self.errors[f"POST /items/<id>/{action}: HTTP {r.status_code}"] += 1
        return "skip"  # timed per action above


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1)


def load_pages(store: Store, deep: int, item_ids: list[int]) -> list[tuple[str, float, Callable[[Agent], str]]]:
    """What agents ask for, with how often, as (key, weight, request)."""
    def page(path: str, weight: float = 1.0, ok: tuple[int, ...] = (200,)) -> tuple[str, float, Callable[[Agent], str]]:
        return path, weight, lambda a: a.get(path, ok)

    pages = [
        page("/queue", 6), page("/queue/items", 6), page(f"/queue?status=all&page={deep}", 2),
        *(page(f"/queue?status={s}") for s in ("new", "claimed", "resolved", "dismissed", "all")),
        *(page(f"/queue?priority={p}") for p in ("urgent", "high", "normal", "low")),
        page("/queue?assignee=me"), page("/queue?lang=en"), page("/queue?status=resolved&assignee=me&page=2"),
        page("/search?q=koffer", 2), page("/search?label=about"), page("/search"),
        page("/search?q=refund&since={0}&until={0}".format((datetime.now(timezone.utc) - timedelta(days=30)).date())),
        page("/listening", 1), page("/stats", 1), page("/stats?days=90", 0.5),
        page("/healthz", 1), page("/metrics", 1),
        ("POST /items/<id>/claim", 3, lambda a: a.claim_and_resolve()),
    ]
    rng = random.Random(5)
    pages.append(("/items/<id>", 4, lambda a: a.get(f"/items/{rng.choice(item_ids)}")))
    return pages


def figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "n": len(ordered)}


def drive(db: Path, agents: int, seconds: float, think: float) -> tuple[dict[str, list[float]], dict[str, int], int]:
    work_dir = Path(tempfile.mkdtemp(prefix="webcare-bench-web-"))
    port_file = work_dir / "address"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(db), str(port_file)])
    try:
        for _ in range(600):
            if port_file.exists() and port_file.read_text():
                break
            if server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        base = port_file.read_text()
        store = Store(db)
        open_items = [i.id for i in store.queue.list_queue("new", limit=5_000)]
        sample = [i.id for i in store.queue.list_queue(None, limit=2_000, offset=store.queue.count_queue(None) // 2)]
        deep = max(1, store.queue.count_queue(None) // 100 // 2)
        pages = load_pages(store, deep, sample + open_items[:200])
        store.close()
        times: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        crew = [Agent(AGENTS[i % len(AGENTS)], base, pages, open_items, lock, 0.0, think, i, times, errors)
                for i in range(agents)]
        for a in crew:
            a.login()
        queue_size = len(crew[0].session.get(base + "/queue", timeout=60).content)
        deadline = time.monotonic() + seconds
        for a in crew:
            a.deadline = deadline
            a.start()
        for a in crew:
            a.join(seconds + 300)
        return times, errors, queue_size
    finally:
        stop(server)
        shutil.rmtree(work_dir, ignore_errors=True)


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes], wait: float = 60.0) -> None:
    """SIGTERM, as a service manager stops it; killed only if it does not end in time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cli(db: Path, runs: int) -> dict[str, list[float]]:
    """The CLI commands that read the store, each run `runs` times as its own process (start-up included)."""
    work_dir = Path(tempfile.mkdtemp(prefix="webcare-bench-cli-"))
    config = work_dir / "bench.yaml"
    config.write_text(CONFIG.format(db=db, port=0))
    changed = work_dir / "changed.yaml"
    changed.write_text(CONFIG.format(db=db, port=0) + "filters: {exclude_keywords: [giveaway]}\n")
    store = Store(db)
    item = store.queue.list_queue(None, limit=1, offset=store.queue.count_queue(None) // 2)[0]
    store.close()
    webcare = [str(Path(sys.executable).with_name("webcare")), "--config", str(config)]
    commands = {
        "webcare queue list": lambda n: ["queue", "list"],
        "webcare why": lambda n: ["why", item.key],
        "webcare config diff --since 30d": lambda n: ["config", "diff", str(changed), "--since", "30d"],
        "webcare db backup": lambda n: ["db", "backup", str(work_dir / f"backup-{n}.db")],
        "webcare forget": lambda n: ["forget", f"user{1000 + n}", "--yes"],
    }
    out: dict[str, list[float]] = defaultdict(list)
    try:
        for name, args in commands.items():
            for n in range(runs):
                t0 = time.perf_counter()
                done = subprocess.run([*webcare, *args(n)], capture_output=True, text=True, timeout=600)
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed: {done.stderr.strip()[-500:]}")
                out[name].append(time.perf_counter() - t0)
                (work_dir / f"backup-{n}.db").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return out


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        return serve(Path(sys.argv[2]), Path(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="mentions in the store")
    parser.add_argument("--db", type=Path, help="build the store here, or reuse it when it is there")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the agents work")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds an agent waits between requests")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of each CLI command (0: none)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args()
    temp = None
    db = args.db
    if db is None:
        temp = Path(tempfile.mkdtemp(prefix="webcare-bench-db-"))
        db = temp / "bench.db"
    try:
        if not db.exists():
            t0 = time.perf_counter()
            build(db, args.count)
            print(f"built {db} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        times, errors, queue_size = drive(db, args.agents, args.seconds, args.think)
        commands = cli(db, args.cli_runs) if args.cli_runs else {}
        pages = {k: figures(v) for k, v in sorted(times.items())}
        pages.update({k: figures(v) for k, v in commands.items()})
        if args.json:
            print(json.dumps({"count": args.count, "pages": {k: {m: v[m] for m in ("p50_ms", "p95_ms", "max_ms")}
                                                              for k, v in pages.items()}}))
        else:
            print(f"{args.count:,} mentions, {args.agents} agents for {args.seconds:.0f} s "
                  f"(think time {args.think} s); queue page {queue_size / 1000:.0f} KB")
            print(f"{'page':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for k, v in pages.items():
                print(f"{k:<44} {v['n']:>5} {v['p50_ms']:>8.1f} {v['p95_ms']:>8.1f} {v['max_ms']:>8.1f}")
        for k, n in sorted(errors.items()):
            print(f"error: {k} x{n}", file=sys.stderr)
        print(f"queue page: {queue_size:,} bytes", file=sys.stderr)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
