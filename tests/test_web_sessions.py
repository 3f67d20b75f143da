"""Sessions and login throttling under attack, over real HTTP: a cookie copied before logout is dead after it,
a lead can end anyone's sessions, and simultaneous guesses cannot get more passwords checked than the limits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.store import Store
from bot.web import accounts
from tests.web_support import AGENT, AGENT_PASSWORD, LEAD, LEAD_PASSWORD, csrf_token, fill, log_in, serving


@pytest.fixture
def web(write_config: Callable[..., Path]) -> Iterator[tuple[str, Store]]:
    with serving(fill(write_config())) as running:
        yield running


def copy_of(session: requests.Session) -> requests.Session:
    """Another client holding a copy of the session's cookie (stolen, or a second tab kept open)."""
    thief = requests.Session()
    thief.cookies.update(session.cookies)
    return thief


def is_logged_in(session: requests.Session, base: str) -> bool:
    return session.get(f"{base}/queue", allow_redirects=False, timeout=10).status_code == 200


def test_a_cookie_copied_before_logout_no_longer_loads_the_queue_or_posts_a_note(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    item = store.queue.list_queue()[0]
    page = session.get(f"{base}/items/{item.id}", timeout=10).text
    token = csrf_token(page)
    thief = copy_of(session)
    assert is_logged_in(thief, base)
    session.post(f"{base}/logout", data={"csrf_token": token}, timeout=10)
    assert not is_logged_in(session, base) and not is_logged_in(thief, base)
    r = thief.post(f"{base}/items/{item.id}/note", data={"csrf_token": token, "note": "written after logout"},
                   allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert store.db.execute("select count(*) from audit_log where detail like '%written after logout%'"
                            ).fetchone()[0] == 0


def test_a_lead_logs_a_user_out_everywhere_and_removing_a_user_ends_their_sessions(web: tuple[str, Store]) -> None:
    base, _ = web
    agent_laptop, agent_phone = log_in(base, AGENT, AGENT_PASSWORD), log_in(base, AGENT, AGENT_PASSWORD)
    lead = log_in(base, LEAD, LEAD_PASSWORD)
    users = lead.get(f"{base}/users", timeout=10).text
    assert "Log out everywhere" in users
    r = lead.post(f"{base}/users/{AGENT}/logout", data={"csrf_token": csrf_token(users)}, timeout=10)
    assert f"Logged {AGENT} out everywhere (2 session(s) ended)." in r.text
    assert not is_logged_in(agent_laptop, base) and not is_logged_in(agent_phone, base)
    assert is_logged_in(lead, base)

    again = log_in(base, AGENT, AGENT_PASSWORD)
    lead.post(f"{base}/users/{AGENT}/remove", data={"csrf_token": csrf_token(users)}, timeout=10)
    assert not is_logged_in(again, base)


def guesses_at_once(base: str, names: list[str]) -> list[int]:
    """One wrong password per name, all sent at the same moment from one address; the status of each answer."""
    clients = [requests.Session() for _ in names]
    tokens = [csrf_token(c.get(f"{base}/login", timeout=10).text) for c in clients]
    start = threading.Barrier(len(names))
    statuses: list[int] = []

    def guess(client: requests.Session, token: str, name: str) -> None:
        start.wait()
        r = client.post(f"{base}/login", data={"csrf_token": token, "name": name, "password": "wrong-guess"},
                        timeout=60)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=guess, args=args) for args in zip(clients, tokens, names, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_simultaneous_wrong_passwords_for_one_name_get_at_most_five_checked(web: tuple[str, Store]) -> None:
    base, _ = web
    statuses = guesses_at_once(base, [AGENT] * 30)
    assert statuses.count(401) == accounts.MAX_FAILURES_PER_NAME
    assert statuses.count(429) == 30 - accounts.MAX_FAILURES_PER_NAME


def test_simultaneous_wrong_passwords_from_one_address_get_at_most_twenty_checked(web: tuple[str, Store]) -> None:
    base, _ = web
    statuses = guesses_at_once(base, [f"guess{i}" for i in range(40)])
    assert statuses.count(401) == accounts.MAX_FAILURES_PER_ADDRESS
    assert statuses.count(429) == 40 - accounts.MAX_FAILURES_PER_ADDRESS


def test_a_successful_login_does_not_reset_the_count_of_its_address(web: tuple[str, Store]) -> None:
    _, store = web
    address = "192.0.2.7"
    for i in range(accounts.MAX_FAILURES_PER_ADDRESS - 1):
        assert accounts.log_in(store, f"guess{i}", "wrong-guess", address).message == "Wrong name or password."
    assert accounts.log_in(store, AGENT, AGENT_PASSWORD, address).user is not None
    assert accounts.log_in(store, "guess-last", "wrong-guess", address).message == "Wrong name or password."
    refused = accounts.log_in(store, "one-more", "wrong-guess", address)
    assert refused.message == "Too many failed logins. Try again in 15 minutes."
    # A success clears the count of its own name.
    for _ in range(accounts.MAX_FAILURES_PER_NAME - 1):
        accounts.log_in(store, LEAD, "wrong-guess", "192.0.2.8")
    assert accounts.log_in(store, LEAD, LEAD_PASSWORD, "192.0.2.8").user is not None
    assert accounts.log_in(store, LEAD, "wrong-guess", "192.0.2.8").message == "Wrong name or password."
