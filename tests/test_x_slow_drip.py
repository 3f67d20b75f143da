"""A slow-drip server on 127.0.0.1 (one byte every 0.3 s, so no single read ever times out) cannot hold a poll
longer than `timeout_seconds`, nor an alert webhook longer than its time-out, and SIGTERM stops the daemon
within 10 seconds while a request is in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.alerts.webhook import deliver
from bot.config.settings import Settings, load_settings
from bot.daemon import Daemon
from bot.errors import SourceUnavailable
from bot.sources.x.client import build_client
from bot.sources.x.source import build_x_sources
from bot.wiring import Scheduled
from tests.conftest import run_forever_here
from tests.fake_x import TOKEN, forward

BODY = json.dumps({"data": [{"id": "90001", "username": "Tulpair", "name": "Tulpair"}]}).encode()
ANSWER = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + str(len(BODY)).encode()
          + b"\r\n\r\n" + BODY)


class SlowDrip:
    """Answers every request correctly, one byte every `pause` seconds, headers and body alike."""

    def __init__(self, pause: float = 0.3) -> None:
        self.pause = pause
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.closed = threading.Event()
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        self.requests += 1
        with conn:
            conn.recv(65536)
            for i in range(len(ANSWER)):
                if self.closed.wait(self.pause):
                    return
                try:
                    conn.sendall(ANSWER[i:i + 1])
                except OSError:
                    return

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


@pytest.fixture
def drip() -> Iterator[SlowDrip]:
    server = SlowDrip()
    yield server
    server.close()


def x_config(write_config: Callable[..., Path], timeout: float) -> Settings:
    section = {"enabled": True, "accounts": ["Tulpair"], "interval_seconds": 60, "jitter_seconds": 0,
               "timeout_seconds": timeout}
    return load_settings(write_config(sources=f"x: {json.dumps(section)}\n", name="x.yaml"))


def test_a_slow_drip_answer_is_cut_off_after_timeout_seconds(write_config: Callable[..., Path],
                                                              drip: SlowDrip) -> None:
    settings = x_config(write_config, timeout=2)
    [source] = build_x_sources(settings, client=forward(build_client(settings.sources.x, {"X_BEARER_TOKEN": TOKEN}),
                                                        drip))  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as e:
        source.fetch(None)
    assert time.monotonic() - started < 4
    assert str(e.value).startswith("x:mentions:Tulpair: no answer from X within 2s; retrying in ")


def test_sigterm_stops_the_daemon_within_ten_seconds_while_x_drips(
        write_config: Callable[..., Path], drip: SlowDrip, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    settings = x_config(write_config, timeout=120)
    config = settings.base_dir / "x.yaml"
    daemon = Daemon(config, settings.model_copy(update={"web": settings.web.model_copy(update={"enabled": False})}))
    client = forward(build_client(settings.sources.x, {"X_BEARER_TOKEN": TOKEN}, daemon.stopping), drip)  # type: ignore[arg-type]
    daemon.scheduled = [Scheduled(s, 60, 0) for s in build_x_sources(settings, daemon.store.x_users, client=client)]
    sent: list[float] = []

    def terminate_once_polling() -> None:  # X is asked only once run_forever has set its signal handlers
        deadline = time.monotonic() + 30
        while drip.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # well inside the dripping answer
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_polling, daemon=True).start()
    assert run_forever_here(daemon) == 0
    assert sent and time.monotonic() - sent[0] < 10
    [status] = daemon.store.mentions.source_status()
    assert status.last_error == ("x:mentions:Tulpair: the daemon is stopping; this poll was cut short and the "
                                    "checkpoint did not move")


def test_an_alert_webhook_that_drips_its_answer_is_given_up_after_its_time_out(drip: SlowDrip) -> None:
    started = time.monotonic()
    assert deliver(f"{drip.url}/hook", {"text": "a test alert"}, timeout=2) == "no answer within 2s"
    assert time.monotonic() - started < 4
