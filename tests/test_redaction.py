"""Secrets never leave the process: /healthz (no login needed), metrics, web error pages and log lines all pass
through one mask, and it masks a secret whole, however the text around it breaks or escapes it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.config.settings import Settings, load_settings
from bot.errors import SourceAuthError
from bot.logs import configure_logging
from bot.ops import OpsServer, ServiceState, wsgi_app
from bot.pipeline import Pipeline
from bot.sources.x.client import build_client
from bot.sources.x.source import build_x_sources
from bot.store import Store
from classifiers import RuleClassifier
from tests.fake_x import TOKEN, FakeX, Reply, forward
from tests.web_support import LEAD, LEAD_PASSWORD, fill, log_in, serving


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_healthz_and_metrics_never_show_a_bearer_token_that_x_quotes_in_a_403(
        write_config: Callable[..., Path], fake: FakeX) -> None:
    settings = load_settings(write_config(sources='x: {"enabled": true, "accounts": ["Tulpair"], '
                                                  '"timeout_seconds": 2}\n'))
    fake.fail("users", Reply(403, {"title": "Forbidden", "type": "about:blank", "status": 403,
                                   "detail": f"the token {TOKEN} may not read this"}))
    store = Store(settings.database_path)
    state = ServiceState()
    [source] = build_x_sources(settings, store.x_users, client=forward(
        build_client(settings.sources.x, {"X_BEARER_TOKEN": TOKEN}), fake))
    result = Pipeline(store, lambda: settings, RuleClassifier().load()).poll(source)
    state.metrics.observe_poll(result)
    assert result.error_kind == "auth"
    server = OpsServer(wsgi_app(store, state), "127.0.0.1", 0).start()
    try:
        health = requests.get(f"{server.url}/healthz", timeout=10).text
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    finally:
        server.stop()
        store.close()
    [status] = json.loads(health)["sources"]
    assert status["last_error"] == ("x:mentions:Tulpair: X refused GET /2/users/by (403 Forbidden: the token *** "
                                    "may not read this); the app may need a higher access level (Basic or above)")
    assert TOKEN not in health and TOKEN not in metrics and "AAAA" not in health
    stored = store.db.execute("select last_error from source_status").fetchone()[0]
    assert TOKEN not in stored


def test_a_token_with_a_line_break_is_masked_whole_in_logs_and_refused_with_a_message(
        write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, restore_logging: None) -> None:
    token = "AAAAfirst-half-of-it\nsecond-half-of-it-BBBB"
    monkeypatch.setenv("X_BEARER_TOKEN", token)
    settings = load_settings(write_config())
    out = io.StringIO()
    configure_logging(settings, stream=out)
    log = logging.getLogger("bot.test")
    log.warning("request headers %s", {"Authorization": f"Bearer {token}"})  # the repr writes the break as \n
    log.warning("the token was %s", token)
    log.warning("as JSON: %s", json.dumps({"token": token}))
    text = out.getvalue()
    assert "first-half" not in text and "second-half" not in text, text
    with pytest.raises(SourceAuthError) as e:
        build_client(settings.sources.x)
    assert str(e.value) == ("X: the bearer token in X_BEARER_TOKEN holds a space or a line break; set it to the "
                            "token alone, as developer.x.com shows it (copied whole, on one line)")


def test_a_web_error_page_masks_a_secret_pasted_into_the_address(
        write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, restore_logging: None) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-hunter2")
    settings: Settings = fill(write_config("logging:\n  redact_env: [SMTP_PASSWORD]\n"))
    configure_logging(settings, stream=io.StringIO())
    with serving(settings) as (base, _store):
        session = log_in(base, LEAD, LEAD_PASSWORD)
        r = session.get(f"{base}/queue", params={"page": "hunter2-hunter2"}, timeout=10)
    assert r.status_code == 400
    assert "hunter2" not in r.text and "&#39;***&#39; is not a page number" in r.text
