"""What the web tests share: a database filled through the real pipeline, accounts, and the review app on a
real waitress server on 127.0.0.1 (port 0), plus a logged-in `requests` session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bot.config.settings import Settings, load_settings
from bot.daemon import Daemon
from bot.store import Store
from bot.web import WebServer
from bot.web.accounts import add_user

LEAD, LEAD_PASSWORD = "lena", "lead-password-1"
AGENT, AGENT_PASSWORD = "arie", "agent-password-1"
AGENT2, AGENT2_PASSWORD = "bo", "agent-password-2"


def fill(config: Path) -> Settings:
    """Run the real pipeline once over the config's replay file, then add a lead and two agents."""
    settings = load_settings(config)
    daemon = Daemon(config, settings)
    daemon.run_once()
    daemon.store.close()
    store = Store(settings.database_path)
    add_user(store, LEAD, "lead", LEAD_PASSWORD)
    add_user(store, AGENT, "agent", AGENT_PASSWORD)
    add_user(store, AGENT2, "agent", AGENT2_PASSWORD)
    store.close()
    return settings


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, Store]]:
    store = Store(settings.database_path)
    server = WebServer(store, lambda: settings).start()
    try:
        yield server.address, store
    finally:
        server.stop()
        store.close()


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(base: str, name: str, password: str) -> requests.Session:
    session = requests.Session()
    token = csrf_token(session.get(f"{base}/login", timeout=10).text)
    r = session.post(f"{base}/login", data={"csrf_token": token, "name": name, "password": password}, timeout=10,
                     allow_redirects=False)
    assert r.status_code == 302, r.text
    return session
