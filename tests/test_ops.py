"""Ops endpoints and data care: /healthz and /metrics over real HTTP on 127.0.0.1, the metrics of a real daemon
run checked against its database, secret redaction in log lines, and `webcare db backup|purge` and `forget`."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import sqlite3
import stat
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from bot.config.settings import Settings, load_settings
from bot.logs import configure_logging
from bot.ops import OpsServer, ServiceState, wsgi_app
from bot.pipeline import Pipeline
from bot.sources.replay import ReplaySource
from bot.store import AlertRecord, Store
from classifiers import RuleClassifier
from tests.conftest import FIXTURES, ROOT, STREAM, WEBCARE
from tests.fake_x import RefusingProxy
from tests.test_daemon import start_daemon, wait_for


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def logged(proc: subprocess.Popen[str], pattern: str, lines: list[str]) -> re.Match[str]:
    """Read the daemon's log (stderr) into `lines` until `pattern` matches what was read."""
    assert proc.stderr is not None
    while not (match := re.search(pattern, "".join(lines))):
        line = proc.stderr.readline()
        assert line, "".join(lines)
        lines.append(line)
    return match


def run_pipeline(settings: Settings, state: ServiceState) -> Store:
    store = Store(settings.database_path)
    pipeline = Pipeline(store, lambda: settings, RuleClassifier().load(), on_decision=state.metrics.observe_decision)
    state.metrics.observe_poll(pipeline.poll(ReplaySource(settings.resolve(settings.sources.replay.path), 100)))
    return store


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Store, ServiceState]]:
    state = ServiceState()
    store = run_pipeline(settings, state)
    server = OpsServer(wsgi_app(store, state), "127.0.0.1", 0).start()
    yield server.url, store, state
    server.stop()
    store.close()


def test_healthz_is_503_until_the_scheduler_runs_and_lists_each_source(
        served: tuple[str, Store, ServiceState]) -> None:
    url, _, state = served
    status, body = get(url + "/healthz")
    report = json.loads(body)
    assert (status, report["status"], report["scheduler"]["alive"]) == (503, "failing", False)
    scheduler = BackgroundScheduler()
    scheduler.start()
    state.attach(scheduler)
    try:
        status, body = get(url + "/healthz")
    finally:
        scheduler.shutdown()
    report = json.loads(body)
    assert (status, report["status"], report["database"]) == (200, "ok", {"writable": True, "error": None})
    [source] = report["sources"]
    assert (source["source"], source["ok"], source["polls"], source["errors"]) == ("replay", True, 1, 0)
    assert source["last_success_at"] and source["last_error_at"] is None
    assert get(url + "/nope") == (404, "no page /nope; try /healthz or /metrics\n")


def test_healthz_reports_the_database_unwritable_while_another_process_holds_the_lock(
        served: tuple[str, Store, ServiceState]) -> None:
    url, store, _ = served
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("begin exclusive")
    try:
        status, body = get(url + "/healthz")
    finally:
        holder.execute("rollback")
        holder.close()
    assert status == 503
    assert json.loads(body)["database"] == {"writable": False, "error": f"{store.path}: database is locked"}


def test_metrics_show_queue_size_by_status_and_priority_and_the_oldest_unclaimed_age(
        served: tuple[str, Store, ServiceState]) -> None:
    url, store, _ = served
    store.db.execute("update queue_items set created_at = ? where id = 1",
                     [(datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()])
    store.queue.claim(2, "ann")
    status, body = get(url + "/metrics")
    assert status == 200
    got = samples(body)
    for (s, p), n in store.queue.queue_counts().items():
        assert got[("webcare_queue_items", (("priority", p), ("status", s)))] == n
    assert got[("webcare_queue_items", (("priority", "urgent"), ("status", "dismissed")))] == 0
    assert 600 <= got[("webcare_queue_oldest_unclaimed_age_seconds", ())] < 660
    assert got[("webcare_mentions_fetched_total", (("source", "replay"),))] == 10
    assert got[("webcare_scheduler_up", ())] == 0


def test_metrics_show_what_the_alerts_watch(served: tuple[str, Store, ServiceState]) -> None:
    url, store, _ = served
    late = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    store.db.execute("update queue_items set due_at = ? where id in (1, 2)", [late])
    urgent_late = sum(1 for i in store.queue.list_queue(None) if i.id in (1, 2) and i.priority == "urgent")
    for _ in range(3):
        store.mentions.record_poll("x:mentions:Tulpair", RuntimeError("503"), "unavailable")
    store.alerts.save_alert(AlertRecord("overdue:urgent", "overdue", "critical", "firing", "1 urgent item past due", "",
                                 first_at=late, last_seen_at=late))
    got = samples(get(url + "/metrics")[1])
    assert got[("webcare_queue_overdue_items", (("priority", "urgent"),))] == urgent_late
    assert sum(got[("webcare_queue_overdue_items", (("priority", p),))]
               for p in ("urgent", "high", "normal", "low")) == 2
    assert got[("webcare_source_consecutive_errors", (("source", "x:mentions:Tulpair"),))] == 3
    assert got[("webcare_source_consecutive_errors", (("source", "replay"),))] == 0
    assert got[("webcare_source_last_mention_timestamp_seconds", (("source", "replay"),))] > 0
    assert got[("webcare_alerts_firing", (("kind", "overdue"),))] == 1
    assert got[("webcare_alerts_firing", (("kind", "spike"),))] == 0


@pytest.mark.slow
def test_metrics_scraped_after_a_daemon_run_match_the_store(write_config: Callable[..., Path],
                                                            tmp_path: Path) -> None:
    config = write_config("ops:\n  port: 0\n", batch_size=4)
    proc = start_daemon(config)
    lines: list[str] = []
    url = logged(proc, r"ops endpoints on (http://127\.0\.0\.1:\d+)/healthz", lines).group(1)
    web = logged(proc, r"web app listening on (http://127\.0\.0\.1:\d+)", lines)
    try:
        db = load_settings(config).database_path
        store = Store(db)
        wait_for(lambda: store.mentions.checkpoint("replay") == "12" and store.mentions.source_status()[0].polls >= 4)
        wait_for(lambda: store.db.execute("select count(*) from mentions where state = 'pending'").fetchone()[0] == 0)
        polls_before = store.mentions.source_status()[0].polls
        status, body = get(url + "/metrics")
        polls_after = store.mentions.source_status()[0].polls  # the daemon keeps polling (an empty stream) meanwhile
        health_status, _ = get(url + "/healthz")
        # The same endpoints on the web app's port, without a login.
        web_health, web_report = get(web.group(1) + "/healthz")
        web_metrics, web_body = get(web.group(1) + "/metrics")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert (status, health_status, proc.returncode) == (200, 200, 0)
    assert (web_health, json.loads(web_report)["status"], web_metrics) == (200, "ok", 200)
    assert samples(web_body)[("webcare_mentions_stored_total", (("source", "replay"),))] == 10
    got = samples(body)
    db_ = store.db
    replay = (("source", "replay"),)
    assert got[("webcare_mentions_fetched_total", replay)] == store.mentions.count_mentions() == 10
    assert got[("webcare_mentions_stored_total", replay)] == 10
    assert got[("webcare_mentions_rejected_total", replay)] == db_.execute("select count(*) from rejects").fetchone()[0] == 2
    counts = store.decisions.outcome_counts()
    assert got[("webcare_mentions_filtered_total", ())] == counts.pop("filtered")
    for label, n in counts.items():
        assert got[("webcare_mentions_classified_total", (("label", label),))] == n
    queued = dict(db_.execute("select d.label, count(*) from queue_items q join decisions d on d.id = q.decision_id "
                              "group by 1").fetchall())
    assert queued and {label: got[("webcare_mentions_queued_total", (("label", label),))] for label in queued} == queued
    assert got[("webcare_classification_seconds_count", ())] == sum(counts.values())
    # A poll in progress is already in the store (record_poll) but not yet counted (observe_poll).
    assert polls_before - 1 <= got[("webcare_polls_total", replay)] <= polls_after
    for (s, p), n in store.queue.queue_counts().items():
        assert got[("webcare_queue_items", (("priority", p), ("status", s)))] == n
    assert got[("webcare_scheduler_up", ())] == 1
    store.close()


def test_log_lines_mask_bearer_tokens_and_the_values_of_configured_env_vars(
        write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "AAAAsecret-x-token")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2hunter2")
    settings = load_settings(write_config("logging:\n  format: json\n  redact_env: [SMTP_PASSWORD]\n"))
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(settings, stream=out)
    try:
        log = logging.getLogger("bot.test")
        log.warning("GET /2/users failed with headers %s", {"Authorization": "Bearer AAAAsecret-x-token"})
        log.info("mail login with hunter2hunter2 via https://mail.example/?token=abcdef123&x=1")
        try:
            raise RuntimeError("refused token AAAAsecret-x-token")
        except RuntimeError:
            log.exception("poll failed")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["message"] for r in records] == [
        "GET /2/users failed with headers {'Authorization': 'Bearer ***'}",
        "mail login with *** via https://mail.example/?token=***&x=1",
        "poll failed",
    ]
    assert "RuntimeError: refused token ***" in records[2]["exc_info"]
    assert "secret" not in out.getvalue() and "hunter2" not in out.getvalue()


def test_backup_is_a_consistent_copy_and_refuses_to_overwrite(settings: Settings, tmp_path: Path) -> None:
    run_pipeline(settings, ServiceState()).close()
    config = str(settings.base_dir / "config.yaml")
    target = tmp_path / "backup.db"
    result = CliRunner().invoke(main, ["--config", config, "db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"backed up {settings.database_path} to {target} (")
    copy = Store(target)
    assert copy.mentions.count_mentions() == 10 and copy.mentions.checkpoint("replay") == "12"
    copy.close()
    again = CliRunner().invoke(main, ["--config", config, "db", "backup", str(target)])
    assert (again.exit_code, again.output) == (1, f"Error: {target}: already exists; give a new file name or remove it first\n")


def test_a_backup_is_readable_by_its_owner_only(settings: Settings, tmp_path: Path) -> None:
    run_pipeline(settings, ServiceState()).close()
    target = tmp_path / "backup.db"
    old_umask = os.umask(0o022)  # the usual umask, which leaves new files readable by everyone
    try:
        result = CliRunner().invoke(main, ["--config", str(settings.base_dir / "config.yaml"), "db", "backup",
                                           str(target)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data and password hashes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == ["backup.db"]


def test_purge_blanks_old_texts_keeps_counts_and_open_queue_items(settings: Settings) -> None:
    store = run_pipeline(settings, ServiceState())
    config = str(settings.base_dir / "config.yaml")
    result = CliRunner().invoke(main, ["--config", config, "db", "purge"])
    assert (result.exit_code, result.output) == (
        2, f"Error: {settings.base_dir / 'config.yaml'}: storage.retention_days is not set; set it or pass --days N\n")
    store.db.execute("update mentions set fetched_at = '2020-01-01T00:00:00+00:00'")
    store.db.execute("update rejects set at = '2020-01-01T00:00:00+00:00'")
    open_items = {r[0] for r in store.db.execute("select mention_id from queue_items where status = 'new'")}
    result = CliRunner().invoke(main, ["--config", config, "db", "purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert result.output == f"purged the text of {10 - len(open_items)} mention(s) and 2 reject(s) older than 30 days\n"
    rows = store.db.execute("select id, text, raw, purged_at from mentions").fetchall()
    assert len(rows) == 10  # counts kept
    for mention_id, text, raw, purged_at in rows:
        if mention_id in open_items:
            assert text and purged_at is None  # an agent may still answer it
        else:
            assert (text, raw) == ("", "{}") and purged_at
    assert store.db.execute("select count(*) from rejects where raw != ''").fetchone()[0] == 0
    assert store.decisions.outcome_counts() and sum(store.decisions.outcome_counts().values()) == 10
    store.close()


def test_forget_erases_one_persons_data_and_audits_that_not_what(settings: Settings) -> None:
    store = run_pipeline(settings, ServiceState())
    item = store.queue.list_queue()[0]
    handle = item.author_handle
    store.queue.claim(item.id, "ann")
    store.queue.mark_wrongly_routed(item.id, "ann", "about")
    theirs = store.db.execute("select count(*) from mentions where lower(author_handle) = lower(?)",
                              [handle]).fetchone()[0]
    result = CliRunner().invoke(main, ["--config", str(settings.base_dir / "config.yaml"), "forget",
                                       f"@{handle.upper()}", "--agent", "dpo", "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output == (f"erased {theirs} mention(s), {theirs} decision(s), 1 queue item(s), 1 feedback "
                             f"record(s), 0 reject(s) and 0 reply(s) of the brand; their handle masked in 0 "
                             f"post(s) of others for @{handle.upper()}\n")
    db = store.db
    for table, column in (("mentions", "id"), ("decisions", "mention_id"), ("queue_items", "mention_id"),
                          ("feedback", "mention_id"), ("audit_log", "mention_id")):
        assert db.execute(f"select count(*) from {table} where {column} = ?", [item.mention_id]).fetchone()[0] == 0
    last = db.execute("select actor, action, platform, mention_id, detail from audit_log order by id desc limit 1").fetchone()
    assert last == ("dpo", "forget", None, None, json.dumps({"mentions": theirs}))
    assert handle.lower() not in Path(store.path).read_bytes().decode("latin-1").lower()
    assert store.mentions.count_mentions() == 10 - theirs
    store.close()


@pytest.mark.slow
def test_a_once_run_with_another_config_on_the_same_database_leaves_the_daemons_health_as_it_was(
        write_config: Callable[..., Path], tmp_path: Path, proxy: RefusingProxy) -> None:
    # The daemon polls its replay source once (the next poll is an hour away), so its report stands still.
    config = write_config("ops:\n  port: 0\n", sources=f"replay: {{enabled: true, path: {STREAM}, interval_seconds: 3600}}\n")
    proc = start_daemon(config)
    lines: list[str] = []
    url = logged(proc, r"ops endpoints on (http://127\.0\.0\.1:\d+)/healthz", lines).group(1)
    try:
        wait_for(lambda: any(s["last_success_at"] for s in json.loads(get(url + "/healthz")[1])["sources"]))
        before = get(url + "/healthz")
        # Another config, the same database: its own replay file under the same source name, and X, unreachable.
        other = write_config(name="other.yaml", sources=(
            f"replay: {{enabled: true, path: {FIXTURES / 'malformed.jsonl'}}}\n"
            "x: {enabled: true, accounts: [Tulpair], timeout_seconds: 5}\n"))
        env = {**os.environ, "X_BEARER_TOKEN": "not-a-real-token", "HTTPS_PROXY": proxy.url}
        once = subprocess.run([*WEBCARE, "--config", str(other), "run", "--once"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        after = get(url + "/healthz")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert once.returncode == 1 and "poll of x:mentions:Tulpair failed: unavailable: " in once.stderr
    store = Store(load_settings(config).database_path)
    assert {r.source: r.polls for r in store.mentions.source_status()} == {"replay": 2, "x:mentions:Tulpair": 1}
    store.close()
    assert before[0] == after[0] == 200
    assert json.loads(after[1])["sources"] == json.loads(before[1])["sources"]
    [replay] = json.loads(after[1])["sources"]
    assert (replay["source"], replay["polls"], replay["errors"], replay["ok"]) == ("replay", 1, 0, True)
