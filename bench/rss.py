"""Daemon memory benchmark: runs the real daemon (`webcare run`) with the trained classifier and the web app on a
store, replays a generated stream through it, and prints the daemon's resident memory (now and at its peak)
once the stream is decided, and again after the review app has answered a round of pages.

    python bench/rss.py                          # a fresh store, 5,000 mentions
    python bench/rss.py --db /tmp/web.db         # on a big store (bench/web.py --db builds one); it adds to it
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate  # noqa: E402
from web import stop  # noqa: E402

CONFIG = """\
brand: {{name: Tulpair, handles: [Tulpair, TulpairHelp], names: [Tulpair, Tulp Air]}}
sources: {{replay: {{enabled: true, path: {stream}, batch_size: 500, interval_seconds: 1}}}}
classifier: {{kind: trained}}
storage: {{database: {db}}}
web: {{host: 127.0.0.1, port: {port}}}
"""


def memory(pid: int) -> tuple[float, float]:
    """(resident MB now, peak resident MB) of a process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="the store (default: a fresh one)")
    parser.add_argument("--count", type=int, default=5_000, help="mentions to replay")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the stream")
    args = parser.parse_args()
    import requests

    from bot.store import Store

    work = Path(tempfile.mkdtemp(prefix="webcare-bench-rss-"))
    db = args.db or work / "rss.db"
    stream = work / "stream.jsonl"
    store = Store(db)
    before = store.mentions.count_mentions()
    # A store that replayed before resumes its replay checkpoint (a line number): the lines up to it are
    # skipped, the `count` after it are new mentions (ids above any stored).
    skip = int(store.mentions.checkpoint("replay") or 0)
    generate(stream, skip + args.count, first_id=70_000_000 + before)
    port = free_port()
    config = work / "rss.yaml"
    config.write_text(CONFIG.format(stream=stream, db=db, port=port))
    webcare = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]  # this checkout's
    daemon = subprocess.Popen([*webcare, "--config", str(config), "run"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        started = time.monotonic()
        while time.monotonic() - started < args.timeout:
            if daemon.poll() is not None:
                raise SystemExit(f"the daemon stopped: {daemon.stderr.read()[-2000:] if daemon.stderr else ''}")
            if store.mentions.count_mentions() - before >= args.count and not store.mentions.pending_mentions(limit=1):
                break
            time.sleep(2)
        else:
            raise SystemExit(f"the stream was not decided within {args.timeout:.0f} s")
        seconds = time.monotonic() - started
        decided_rss, decided_peak = memory(daemon.pid)
        base = f"http://127.0.0.1:{port}"
        for path in ("/healthz", "/metrics", "/login"):
            requests.get(base + path, timeout=120)
        rss, peak = memory(daemon.pid)
        print(f"{args.count:,} mentions decided by the trained classifier in {seconds:.0f} s on a store of "
              f"{before + args.count:,} mentions")
        print(f"daemon RSS after the stream: {decided_rss:.0f} MB (peak {decided_peak:.0f} MB); "
              f"after web requests: {rss:.0f} MB (peak {peak:.0f} MB)")
    finally:
        store.close()
        stop(daemon)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
