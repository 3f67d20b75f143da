"""Small edges found by attacking the product: a CR/LF in a redirect target, a date at the end of the calendar,
a database that cannot be opened or is locked when `--once` starts, the Secure flag of the session cookie, a port
in use, and the web package without an import circle."""

from __future__ import annotations

import ast
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.config.settings import Settings, load_settings
from bot.errors import CannotListen
from bot.ops import OpsServer
from bot.store import Store, database
from bot.web import WebServer
from tests.conftest import ROOT, webcare
from tests.web_support import AGENT, AGENT_PASSWORD, csrf_token, fill, log_in, serving


@pytest.fixture
def web(write_config: Callable[..., Path]) -> Iterator[tuple[str, Store]]:
    with serving(fill(write_config())) as running:
        yield running


def test_a_line_break_in_back_or_next_redirects_to_the_queue_instead_of_a_500(web: tuple[str, Store]) -> None:
    base_url, store = web
    session = log_in(base_url, AGENT, AGENT_PASSWORD)
    item = store.queue.list_queue()[0]
    token = csrf_token(session.get(f"{base_url}/items/{item.id}", timeout=10).text)
    for back in ("/queue\r\nSet-Cookie: x=1", "/queue\nLocation: //evil.example", "/\\evil.example"):
        r = session.post(f"{base_url}/items/{item.id}/note", data={"csrf_token": token, "note": "called back",
                                                                   "back": back}, allow_redirects=False, timeout=10)
        assert (r.status_code, r.headers["Location"]) == (302, "/queue"), back
    stranger = requests.Session()
    login = csrf_token(stranger.get(f"{base_url}/login", timeout=10).text)
    r = stranger.post(f"{base_url}/login", params={"next": "/stats\r\nX-Evil: 1"}, allow_redirects=False,
                      data={"csrf_token": login, "name": AGENT, "password": AGENT_PASSWORD}, timeout=10)
    assert (r.status_code, r.headers["Location"]) == (302, "/queue")


@pytest.mark.parametrize("page", ["/listening", "/stats", "/search"])
def test_a_date_at_the_end_of_the_calendar_is_a_400_with_a_message(web: tuple[str, Store], page: str) -> None:
    base_url, _ = web
    session = log_in(base_url, AGENT, AGENT_PASSWORD)
    for until in ("0001-01-01", "9999-12-31"):
        r = session.get(f"{base_url}{page}", params={"until": until}, timeout=10)
        assert r.status_code == 400, (page, until)
        field = "To" if page == "/search" else "until"
        assert f"{field}: {until} is out of range; give a date from 1900-01-01 to 9000-12-31." in r.text


def test_once_with_a_database_that_cannot_be_created_prints_a_message(
        write_config: Callable[..., Path], capfd: pytest.CaptureFixture[str]) -> None:
    config = write_config()
    config.write_text(config.read_text().replace(f"database: {config.parent / 'webcare.db'}",
                                                 "database: /proc/webcare-cannot-be-here/webcare.db"))
    assert webcare("--config", str(config), "run", "--once") == 1
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert err.endswith("Error: /proc/webcare-cannot-be-here/webcare.db: cannot open the database (No such file or "
                        "directory); check that its folder exists and is writable by this user, or set "
                        "storage.database to a path that is\n")


def test_once_with_a_database_locked_by_another_process_prints_a_message(
        write_config: Callable[..., Path], tmp_path: Path, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config()
    Store(tmp_path / "webcare.db").close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import sqlite3, sys, time
        conn = sqlite3.connect({str(tmp_path / 'webcare.db')!r}, isolation_level=None)
        conn.execute("begin exclusive")
        print("locked", flush=True)
        sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.5)  # the wait itself is not what is tested
        assert webcare("--config", str(config), "run", "--once") == 1
    finally:
        holder.communicate("")
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert ("poll of replay failed: StoreError: the database is busy (database is locked, after waiting 0.5s for "
            "another process's write); it is tried again at the next poll. Is a second daemon, a backup or an open "
            "SQLite shell holding it?\n") in err
    assert sqlite3.connect(tmp_path / "webcare.db").execute("select count(*) from mentions").fetchone() == (0,)


def session_cookie(base_url: str, **headers: str) -> str:
    r = requests.get(f"{base_url}/login", headers=headers, timeout=10)
    [cookie] = [v for k, v in r.raw.headers.items() if k.lower() == "set-cookie" and v.startswith("webcare_session=")]
    return cookie


def test_the_session_cookie_is_secure_behind_a_tls_proxy_and_by_setting(write_config: Callable[..., Path]) -> None:
    settings = fill(write_config())

    def web(**changes: object) -> Settings:
        return settings.model_copy(update={"web": settings.web.model_copy(update=changes)})

    https = {"X-Forwarded-Proto": "https"}
    with serving(settings) as (base_url, _):
        assert "Secure" not in session_cookie(base_url)
        assert "Secure" not in session_cookie(base_url, **https)  # nobody said a proxy is in front: not believed
    with serving(web(trusted_proxy="127.0.0.1")) as (base_url, _):
        assert "Secure" in session_cookie(base_url, **https)
    with serving(web(secure_cookies=True)) as (base_url, _):
        assert "Secure" in session_cookie(base_url)
    with serving(web(trusted_proxy="127.0.0.1", secure_cookies=False)) as (base_url, _):
        assert "Secure" not in session_cookie(base_url, **https)


def test_a_taken_port_gets_one_message_from_the_web_and_the_ops_server(write_config: Callable[..., Path]) -> None:
    settings = load_settings(write_config())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        store = Store(settings.database_path)
        try:
            web = settings.web.model_copy(update={"host": "127.0.0.1", "port": port})
            with pytest.raises(CannotListen) as refused:
                WebServer(store, lambda: settings.model_copy(update={"web": web}))
            assert str(refused.value) == (f"web.port: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                          "choose a free port or 0 for any")
        finally:
            store.close()
        with pytest.raises(CannotListen) as refused:
            OpsServer(lambda environ, start_response: [], "127.0.0.1", port)
        assert str(refused.value) == (f"ops.port: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                      "choose a free port or 0 for any")


def test_no_module_of_the_web_package_imports_its_factory_back() -> None:
    """The views reach the store and settings through bot.web.context; only the package's front door and the
    server that runs the app import the factory (bot.web.app), which imports the views."""
    importers = set()
    for path in sorted((ROOT / "bot" / "web").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if "bot.web.app" in names or (isinstance(node, ast.ImportFrom) and node.module == "bot.web"
                                          and any(a.name == "app" for a in node.names)):
                importers.add(path.name)
    assert importers == {"__init__.py", "server.py"}
