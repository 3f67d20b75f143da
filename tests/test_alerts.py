"""Alerts end to end: the real pipeline stores a replayed stream in a real SQLite file, the engine evaluates it,
and a webhook server on 127.0.0.1 receives what a chat tool would. Time is injected, so nothing waits."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alert_streams import stream, utc_now, write_replay

from bot.alerts import AlertEngine, check_webhooks
from bot.alerts.webhook import Event, body
from bot.config.settings import Settings, load_settings
from bot.errors import ConfigError
from bot.pipeline import Pipeline
from bot.sources.replay import ReplaySource
from bot.store import AlertRecord, Store
from classifiers import RuleClassifier
from tests.test_daemon import count, start_daemon, wait_for


class Webhook:
    """A chat tool's incoming webhook on 127.0.0.1: keeps every JSON body; answers `status`."""

    def __init__(self, env: pytest.MonkeyPatch | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                data = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(json.loads(data))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        if env is not None:
            # Set before the server thread starts: under libfaketime (make test-dates) a setenv while another
            # thread reads the clock can crash the process.
            env.setenv("TEST_ALERT_WEBHOOK", self.url)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    hook = Webhook(monkeypatch)
    yield hook
    hook.close()


ALERTS = """\
alerts:
  clear_after_minutes: 0
  webhooks:
    - url_env: TEST_ALERT_WEBHOOK
      format: {fmt}
  quiet:
    no_success_minutes: 15
    no_mention_minutes: 0
"""


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


def replayed(write_config: Callable[..., Path], tmp_path: Path, planted: int, fmt: str = "json",
             extra: str = "") -> tuple[Settings, Store]:
    """A stream of two weeks (with `planted` posts of one problem in the last day) through the real pipeline."""
    replay = write_replay(tmp_path / "stream.jsonl", stream(utc_now(), planted=planted))
    settings = load_settings(write_config(ALERTS.format(fmt=fmt) + extra, stream=replay, batch_size=10_000))
    store = Store(settings.database_path)
    Pipeline(store, lambda: settings, RuleClassifier().load()).poll(ReplaySource(replay, 10_000))
    return settings, store


def engine(store: Store, settings: Settings, clock: Clock, sources: list[str] | None = None,
           failures: Callable[[], float] = lambda: 0.0) -> AlertEngine:
    return AlertEngine(store, lambda: settings, lambda: sources or [], classifier_failures=failures, clock=clock)


def test_a_planted_spike_is_one_alert_with_its_terms_and_examples_at_the_webhook(
        write_config: Callable[..., Path], tmp_path: Path, webhook: Webhook) -> None:
    settings, store = replayed(write_config, tmp_path, planted=14)
    run = engine(store, settings, Clock())
    run.evaluate()
    run.evaluate()  # still firing: not sent again (deduplicated)
    assert len(webhook.received) == 1
    sent = webhook.received[0]
    assert (sent["event"], sent["kind"], sent["status"], sent["brand"]) == ("firing", "spike", "firing", "Tulpair")
    terms = [t["term"] for t in sent["detail"]["terms"]]
    assert "check-in app" in terms and "app crashes" in terms
    assert len(sent["detail"]["examples"]) == 3
    assert all("crashes" in e["text"] and e["url"].startswith("https://x.com/") for e in sent["detail"]["examples"])
    [firing] = store.alerts.alerts(status="firing")
    assert firing.kind == "spike" and firing.sends == 1


def test_a_baseline_that_fills_after_the_first_evaluation_is_counted_again(
        write_config: Callable[..., Path], tmp_path: Path, webhook: Webhook) -> None:
    """The first evaluation can come while a backfill is still being stored: the cached baseline must not hide
    the spike for the rest of the hour."""
    replay = write_replay(tmp_path / "stream.jsonl", stream(utc_now(), planted=14))
    settings = load_settings(write_config(ALERTS.format(fmt="json"), stream=replay, batch_size=10_000))
    store = Store(settings.database_path)
    run = engine(store, settings, Clock())
    run.evaluate()  # nothing stored yet
    Pipeline(store, lambda: settings, RuleClassifier().load()).poll(ReplaySource(replay, 10_000))
    run.evaluate()
    assert [r["kind"] for r in webhook.received] == ["spike"]


def test_a_flat_stream_sends_nothing(write_config: Callable[..., Path], tmp_path: Path, webhook: Webhook) -> None:
    settings, store = replayed(write_config, tmp_path, planted=0)
    engine(store, settings, Clock()).evaluate()
    assert webhook.received == [] and store.alerts.alerts() == []


def test_a_source_without_a_good_poll_alerts_and_clears_after_recovery(
        write_config: Callable[..., Path], webhook: Webhook) -> None:
    # The store stamps polls with the real clock, so this test uses it too, with a limit of 1.2 seconds.
    settings = load_settings(write_config(ALERTS.format(fmt="json").replace("no_success_minutes: 15",
                                                                            "no_success_minutes: 0.02")))
    store = Store(settings.database_path)
    store.mentions.record_poll("x:mentions:Tulpair", stored=3)
    run = AlertEngine(store, lambda: settings, lambda: ["x:mentions:Tulpair"])
    run.evaluate()
    assert webhook.received == []
    time.sleep(1.5)
    run.evaluate()
    [fired] = webhook.received
    assert fired["key"] == "source_quiet:no_poll:x:mentions:Tulpair" and fired["severity"] == "critical"
    assert fired["title"] in ("x:mentions:Tulpair: no successful poll for 1s",
                              "x:mentions:Tulpair: no successful poll for 2s")
    store.mentions.record_poll("x:mentions:Tulpair", stored=1)  # it recovered
    run.evaluate()
    assert [r["event"] for r in webhook.received] == ["firing", "resolved"]
    assert store.alerts.alerts(status="firing") == [] and store.alerts.alerts(status="resolved")[0].resolved_at


def test_a_source_of_another_config_is_not_watched(write_config: Callable[..., Path], webhook: Webhook) -> None:
    settings = load_settings(write_config(ALERTS.format(fmt="json")))
    store, clock = Store(settings.database_path), Clock()
    store.mentions.record_poll("replay:other-config")  # a `webcare run --once` with another config, long ago
    clock.now += timedelta(days=2)
    engine(store, settings, clock, sources=[]).evaluate()
    assert webhook.received == []


def test_polls_failing_in_a_row_alert_and_a_good_poll_clears_it(
        write_config: Callable[..., Path], webhook: Webhook) -> None:
    settings = load_settings(write_config(ALERTS.format(fmt="json")))
    store, clock = Store(settings.database_path), Clock()
    run = engine(store, settings, clock, sources=["x:mentions:Tulpair"])
    for _ in range(5):
        store.mentions.record_poll("x:mentions:Tulpair", RuntimeError("503"), "unavailable")
    run.evaluate()
    assert [r["key"] for r in webhook.received] == ["poll_errors:x:mentions:Tulpair"]
    assert webhook.received[0]["title"] == "x:mentions:Tulpair: 5 polls failed in a row"
    store.mentions.record_poll("x:mentions:Tulpair", stored=1)
    run.evaluate()
    assert [r["event"] for r in webhook.received] == ["firing", "resolved"]


def test_urgent_items_past_due_alert_per_priority(write_config: Callable[..., Path], webhook: Webhook) -> None:
    settings = load_settings(write_config(ALERTS.format(fmt="json")))
    daemon_store = Store(settings.database_path)
    Pipeline(daemon_store, lambda: settings, RuleClassifier().load()).poll(
        ReplaySource(settings.resolve(settings.sources.replay.path), 100))
    items = {i.priority: i for i in daemon_store.queue.list_queue(None)}
    assert "urgent" in items, "the fixture stream has an urgent item"
    clock = Clock()
    clock.now += timedelta(days=3)  # every item is past due by then
    engine(daemon_store, settings, clock).evaluate()
    keys = {r["key"] for r in webhook.received}
    assert "overdue:urgent" in keys and "overdue:normal" not in keys  # normal is not in overdue.priorities


def test_a_failing_classifier_alerts(write_config: Callable[..., Path], webhook: Webhook) -> None:
    settings = load_settings(write_config(ALERTS.format(fmt="json")))
    store, clock, total = Store(settings.database_path), Clock(), [0.0]
    run = engine(store, settings, clock, failures=lambda: total[0])
    run.evaluate()
    total[0] = 4.0
    clock.now += timedelta(minutes=1)
    run.evaluate()
    assert [r["key"] for r in webhook.received] == ["classifier:failing"]
    assert webhook.received[0]["title"] == "The classifier failed 4 times in 15 minutes"


def test_a_failing_webhook_is_logged_and_tried_again_without_raising(
        write_config: Callable[..., Path], tmp_path: Path, webhook: Webhook, caplog: pytest.LogCaptureFixture) -> None:
    settings, store = replayed(write_config, tmp_path, planted=14)
    webhook.status = 500
    run = engine(store, settings, Clock())
    run.evaluate()
    assert "not delivered to webhooks[0]:TEST_ALERT_WEBHOOK: answered 500" in caplog.text
    assert webhook.url not in caplog.text  # the address is a secret
    assert store.alerts.alerts(status="firing")[0].sends == 0
    webhook.status = 200
    run.evaluate()  # delivered now, once
    assert len(webhook.received) == 2 and store.alerts.alerts(status="firing")[0].sends == 1
    run.evaluate()
    assert len(webhook.received) == 2


def test_an_unreachable_webhook_costs_no_exception(write_config: Callable[..., Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    hook = Webhook()
    url = hook.url
    hook.close()  # nothing listens there any more
    monkeypatch.setenv("TEST_ALERT_WEBHOOK", url)
    settings, store = replayed(write_config, tmp_path, planted=14)
    engine(store, settings, Clock()).evaluate()
    assert "cannot connect (ConnectionError)" in caplog.text
    assert store.alerts.alerts(status="firing")[0].kind == "spike"


def test_deliveries_over_the_hourly_limit_are_listed_not_sent(
        write_config: Callable[..., Path], webhook: Webhook) -> None:
    settings = load_settings(write_config(ALERTS.format(fmt="json") + "  max_per_hour: 2\n"))
    store, clock = Store(settings.database_path), Clock()
    names = ["a", "b", "c"]
    for n in names:
        for _ in range(5):
            store.mentions.record_poll(n, RuntimeError("down"), "unavailable")
    engine(store, settings, clock, sources=names).evaluate()
    assert len(webhook.received) == 2
    assert len(store.alerts.alerts(status="firing")) == 3  # all three are listed


def test_slack_messages_escape_the_post_text() -> None:
    record = AlertRecord("spike:x", "spike", "warning", "firing", "Rising: 'x'", "5 posts",
                         {"examples": [{"text": "<!channel> & <https://evil|click>"}]}, "2026-01-01T00:00:00+00:00")
    text = body(Event("firing", record, "Tulpair"), "slack")["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;" in text and "<!channel>" not in text
    assert text.startswith(":rotating_light: *Tulpair: Rising: 'x'* (firing)")


def test_a_missing_webhook_variable_is_refused_at_start(write_config: Callable[..., Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_ALERT_WEBHOOK", raising=False)
    settings = load_settings(write_config(ALERTS.format(fmt="slack")))
    with pytest.raises(ConfigError) as e:
        check_webhooks(settings)
    assert str(e.value) == ("alerts.webhooks[0].url_env: the environment variable TEST_ALERT_WEBHOOK is not set; "
                            "export the webhook's address in it, or remove the webhook")


def test_a_webhook_address_in_the_config_is_refused(write_config: Callable[..., Path]) -> None:
    path = write_config("alerts:\n  webhooks:\n    - url_env: https://hooks.example/T000/B000\n")
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    assert "alerts.webhooks[0].url_env must be the NAME of an environment variable" in str(e.value)


DAEMON_ALERTS = """\
alerts:
  evaluate_every_seconds: 1
  webhooks:
    - url_env: TEST_ALERT_WEBHOOK
"""


@pytest.mark.slow
def test_the_daemon_sends_a_planted_spike_once_and_keeps_polling(
        write_config: Callable[..., Path], tmp_path: Path, webhook: Webhook) -> None:
    replay = write_replay(tmp_path / "stream.jsonl", stream(utc_now(), planted=14))
    proc = start_daemon(write_config(DAEMON_ALERTS, stream=replay, batch_size=200))
    db = tmp_path / "webcare.db"
    try:
        wait_for(lambda: len(webhook.received) >= 1, timeout=120)
        polls = count(db, "select polls from source_status")
        wait_for(lambda: count(db, "select polls from source_status") > polls + 2, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [r["kind"] for r in webhook.received] == ["spike"]
    assert "alert firing: spike:" in err


@pytest.mark.slow
def test_a_dead_webhook_never_stops_the_daemon_polling(write_config: Callable[..., Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    hook = Webhook()
    hook.close()  # nothing listens at its address any more
    monkeypatch.setenv("TEST_ALERT_WEBHOOK", hook.url)
    posts = stream(utc_now(), planted=14)
    replay = write_replay(tmp_path / "stream.jsonl", posts)
    proc = start_daemon(write_config(DAEMON_ALERTS, stream=replay, batch_size=100))
    db = tmp_path / "webcare.db"
    try:
        wait_for(lambda: count(db, "select count(*) from alert_deliveries") >= 2, timeout=120)
        wait_for(lambda: count(db, "select count(*) from mentions where state = 'done'") == len(posts), timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "not delivered to webhooks[0]:TEST_ALERT_WEBHOOK: cannot connect (ConnectionError)" in err
    assert hook.url not in err


def test_a_wrong_alert_setting_is_refused_with_its_line(write_config: Callable[..., Path]) -> None:
    path = write_config("alerts:\n  spike:\n    window: week\n  repeat_minuts: 5\n")
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    lines = str(e.value).splitlines()
    assert lines[0].endswith("line 19: alerts.spike.window must be one of 'hour' or 'day', got 'week'")
    assert lines[1].endswith("line 20: unknown key 'alerts.repeat_minuts'; did you mean 'repeat_minutes'?")
