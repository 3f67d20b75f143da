"""The review app over real HTTP: a waitress server on 127.0.0.1, a SQLite file filled by the real pipeline from
tests/fixtures/stream.jsonl (rule classifier), and `requests` as the browser."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from bot.cli import main
from bot.store import Store
from bot.web.app import CSRF_REFUSED
from web_support import AGENT, AGENT2, AGENT2_PASSWORD, AGENT_PASSWORD, LEAD, LEAD_PASSWORD, csrf_token, fill, \
    log_in, serving

PAGES = ["/", "/queue", "/queue/items", "/search", "/listening", "/stats", "/users"]


@pytest.fixture
def web(write_config: Callable[..., Path]) -> Iterator[tuple[str, Store]]:
    with serving(fill(write_config())) as running:
        yield running


def _item_of(store: Store, text: str) -> int:
    return next(i.id for i in store.list_queue(None) if text in i.text)


def test_every_page_but_login_redirects_a_stranger(web: tuple[str, Store]) -> None:
    base, _ = web
    for page in PAGES:
        r = requests.get(base + page, allow_redirects=False, timeout=10)
        assert r.status_code == 302, page
        assert r.headers["Location"].startswith("/login?next="), page
    assert requests.get(f"{base}/login", timeout=10).status_code == 200


def test_script_and_html_in_a_post_show_as_plain_text(web: tuple[str, Store]) -> None:
    base, _ = web
    html = log_in(base, AGENT, AGENT_PASSWORD).get(f"{base}/queue", timeout=10).text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in html
    assert "(&lt;b&gt;h4x&lt;/b&gt;)" in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>h4x</b>" not in html


def test_session_cookie_is_httponly_and_samesite(web: tuple[str, Store]) -> None:
    base, _ = web
    session = requests.Session()
    token = csrf_token(session.get(f"{base}/login", timeout=10).text)
    r = session.post(f"{base}/login", data={"csrf_token": token, "name": LEAD, "password": LEAD_PASSWORD},
                     allow_redirects=False, timeout=10)
    cookie = r.headers["Set-Cookie"]
    assert "webcare_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_a_post_without_the_csrf_token_is_refused(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    item = _item_of(store, "booking gone")
    r = session.post(f"{base}/items/{item}/claim", data={}, timeout=10)
    assert r.status_code == 400
    assert CSRF_REFUSED in r.text
    r = session.post(f"{base}/items/{item}/claim", data={"csrf_token": "forged"}, timeout=10)
    assert r.status_code == 400
    assert store.get_item(item).status.value == "new"


def test_an_agent_cannot_reach_user_management(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    page = session.get(f"{base}/queue", timeout=10).text
    assert 'href="/users"' not in page
    r = session.get(f"{base}/users", timeout=10)
    assert r.status_code == 403
    assert "Only a team lead can manage users. Ask a lead for help." in r.text
    r = session.post(f"{base}/users", timeout=10,
                     data={"csrf_token": csrf_token(page), "name": "mallory", "role": "lead", "password": "x" * 12})
    assert r.status_code == 403
    assert [u.name for u in store.list_users()] == [AGENT, AGENT2, LEAD]


def test_a_lead_adds_a_user_who_can_then_log_in(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, LEAD, LEAD_PASSWORD)
    token = csrf_token(session.get(f"{base}/users", timeout=10).text)
    r = session.post(f"{base}/users", data={"csrf_token": token, "name": "nina", "role": "agent",
                                             "password": "nina-password"}, timeout=10)
    assert "Added nina (agent)." in r.text
    assert store.get_user("nina").password_hash.startswith("$argon2id$")
    log_in(base, "nina", "nina-password")


def test_two_concurrent_claims_give_one_winner(web: tuple[str, Store]) -> None:
    base, store = web
    item = _item_of(store, "booking gone")
    agents = [log_in(base, AGENT, AGENT_PASSWORD), log_in(base, AGENT2, AGENT2_PASSWORD)]
    tokens = [csrf_token(s.get(f"{base}/queue", timeout=10).text) for s in agents]
    start = threading.Barrier(2)
    answers: dict[int, requests.Response] = {}

    def claim(i: int) -> None:
        start.wait()
        answers[i] = agents[i].post(f"{base}/items/{item}/claim", data={"csrf_token": tokens[i]},
                                    headers={"HX-Request": "true"}, timeout=10)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409]
    winner = store.get_item(item).assignee
    assert winner in (AGENT, AGENT2)
    loser = next(a for a in answers.values() if a.status_code == 409)
    assert f"queue item {item} is claimed by {winner}; cannot claim it" in loser.text
    claims = store.db.execute("select count(*) from audit_log where action = 'claim' and queue_item_id = ?",
                              [item]).fetchone()[0]
    assert claims == 1


def test_wrongly_routed_with_the_right_label_becomes_feedback(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
    item = _item_of(store, "booking gone")
    r = session.post(f"{base}/items/{item}/wrong", data={"csrf_token": token, "label": "irrelevant"}, timeout=10)
    assert r.status_code == 200
    assert store.get_item(item).status.value == "dismissed"
    assert [(f["kind"], f["label"], f["agent"]) for f in store.feedback()] == [("wrongly_routed", "irrelevant", AGENT)]


def test_dismiss_without_a_reason_is_refused_with_a_message(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
    item = _item_of(store, "booking gone")
    r = session.post(f"{base}/items/{item}/dismiss", data={"csrf_token": token, "reason": " "},
                     headers={"HX-Request": "true"}, timeout=10)
    assert r.status_code == 409
    assert "a dismissal needs a reason" in r.text
    assert store.get_item(item).status.value == "new"


def test_search_finds_a_left_out_mention_and_moves_it_to_the_queue(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    left_out = store.search_left_out()
    assert left_out and all(not store.list_queue(None) or m.key not in {i.key for i in store.list_queue(None)}
                            for m in left_out)
    target = left_out[0]
    word = max(target.text.split(), key=len)
    page = session.get(f"{base}/search", params={"q": word}, timeout=10).text
    assert target.key in page
    r = session.post(f"{base}/search/move", timeout=10, data={
        "csrf_token": csrf_token(page), "platform": target.platform, "mention_id": target.mention_id,
        "priority": "high"})
    assert f"Moved {target.key} to the queue as item #" in r.text
    moved = next(i for i in store.list_queue(None) if i.key == target.key)
    assert moved.priority == "high" and moved.due_at
    assert ("moved_to_queue", "queue") in [(f["kind"], f["label"]) for f in store.feedback()]
    assert target.key not in {m.key for m in store.search_left_out()}


def test_listening_and_stats_pages_draw_their_charts(web: tuple[str, Store]) -> None:
    base, _ = web
    session = log_in(base, LEAD, LEAD_PASSWORD)
    listening = session.get(f"{base}/listening", timeout=10).text
    assert "Mentions about the brand per day" in listening and "<svg" in listening
    stats = session.get(f"{base}/stats", timeout=10).text
    assert "Mentions per day by label" in stats and "To first claim" in stats and "Service levels" in stats


def test_login_is_throttled_after_five_wrong_passwords(web: tuple[str, Store]) -> None:
    base, _ = web
    session = requests.Session()
    for _ in range(5):
        token = csrf_token(session.get(f"{base}/login", timeout=10).text)
        r = session.post(f"{base}/login", data={"csrf_token": token, "name": AGENT, "password": "wrong-guess"},
                         timeout=10)
        assert r.status_code == 401 and "Wrong name or password." in r.text
    token = csrf_token(session.get(f"{base}/login", timeout=10).text)
    r = session.post(f"{base}/login", data={"csrf_token": token, "name": AGENT, "password": AGENT_PASSWORD},
                     timeout=10, allow_redirects=False)
    assert r.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in r.text
    log_in(base, AGENT2, AGENT2_PASSWORD)  # another name is not locked


def test_a_new_password_ends_the_old_sessions(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    result = CliRunner().invoke(main, ["--config", str(store.path.parent / "config.yaml"), "user", "password", AGENT,
                                       "--password-stdin"], input="a-brand-new-one\n")
    assert result.exit_code == 0, result.output
    assert session.get(f"{base}/queue", allow_redirects=False, timeout=10).status_code == 302
    log_in(base, AGENT, "a-brand-new-one")


def test_user_add_hashes_the_password_and_refuses_clear_mistakes(write_config: Callable[..., Path]) -> None:
    config = str(write_config())
    runner = CliRunner()
    ok = runner.invoke(main, ["-c", config, "user", "add", "ann", "--role", "lead", "--password-stdin"],
                       input="long-enough\n")
    assert ok.exit_code == 0 and ok.output == "Added ann (lead).\n"
    again = runner.invoke(main, ["-c", config, "user", "add", "ANN", "--password-stdin"], input="long-enough\n")
    assert again.exit_code == 1
    assert again.output == "Error: a user 'ANN' exists already; pick another name or remove that user first\n"
    short = runner.invoke(main, ["-c", config, "user", "add", "bob", "--password-stdin"], input="short\n")
    assert short.output == "Error: the password is too short: use at least 8 characters\n"
    prompted = runner.invoke(main, ["-c", config, "user", "add", "cas"], input="prompted-pw\nprompted-pw\n")
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(main, ["-c", config, "user", "list"])
    assert [line.split()[:2] for line in listed.output.splitlines()] == [["ann", "lead"], ["cas", "agent"]]
    store = Store(Path(config).parent / "webcare.db")
    assert store.get_user("ann").password_hash.startswith("$argon2id$")
    assert "long-enough" not in store.get_user("ann").password_hash
