"""The review app over real HTTP: a waitress server on 127.0.0.1, a SQLite file filled by the real pipeline from
tests/fixtures/stream.jsonl (rule classifier), and `requests` as the browser."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from bot.cli import main
from bot.store import AlertRecord, Store
from bot.web.app import CSRF_REFUSED
from web_support import AGENT, AGENT2, AGENT2_PASSWORD, AGENT_PASSWORD, LEAD, LEAD_PASSWORD, csrf_token, fill, \
    log_in, serving

PAGES = ["/", "/queue", "/queue/items", "/search", "/listening", "/stats", "/alerts", "/users"]


@pytest.fixture
def web(write_config: Callable[..., Path]) -> Iterator[tuple[str, Store]]:
    with serving(fill(write_config())) as running:
        yield running


def _item_of(store: Store, text: str) -> int:
    return next(i.id for i in store.queue.list_queue(None) if text in i.text)


def test_every_page_but_login_redirects_a_stranger(web: tuple[str, Store]) -> None:
    base, _ = web
    for page in PAGES:
        r = requests.get(base + page, allow_redirects=False, timeout=10)
        assert r.status_code == 302, page
        assert r.headers["Location"].startswith("/login?next="), page
    assert requests.get(f"{base}/login", timeout=10).status_code == 200


def test_script_and_html_in_a_post_show_as_plain_text(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    hostile = _item_of(store, "<script>")
    for page in ("/queue", f"/queue?item={hostile}", f"/items/{hostile}", f"/items/{hostile}/pane"):
        html = session.get(f"{base}{page}", timeout=10).text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in html, page
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>h4x</b>" not in html, page
        if page != "/queue":
            assert "(&lt;b&gt;h4x&lt;/b&gt;)" in html, page


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
    assert store.queue.get_item(item).status.value == "new"


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
    assert [u.name for u in store.users.list_users()] == [AGENT, AGENT2, LEAD]


def test_a_lead_adds_a_user_who_can_then_log_in(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, LEAD, LEAD_PASSWORD)
    token = csrf_token(session.get(f"{base}/users", timeout=10).text)
    r = session.post(f"{base}/users", data={"csrf_token": token, "name": "nina", "role": "agent",
                                             "password": "nina-password"}, timeout=10)
    assert "Added nina (agent)." in r.text
    assert store.users.get_user("nina").password_hash.startswith("$argon2id$")
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
    winner = store.queue.get_item(item).assignee
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
    assert store.queue.get_item(item).status.value == "dismissed"
    assert [(f.kind, f.label, f.agent) for f in store.queue.feedback()] == [("wrongly_routed", "irrelevant", AGENT)]


def test_an_unknown_action_is_a_404_and_a_bad_wrong_label_or_an_empty_note_a_409(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
    item = _item_of(store, "booking gone")
    htmx = {"HX-Request": "true"}
    r = session.post(f"{base}/items/{item}/shred", data={"csrf_token": token}, headers=htmx, timeout=10)
    assert r.status_code == 404
    assert "There is no action &#39;shred&#39;." in r.text
    r = session.post(f"{base}/items/{item}/wrong", data={"csrf_token": token, "label": "queue"}, headers=htmx,
                     timeout=10)
    assert r.status_code == 409
    assert f"pick the right label for item {item}: one of direct_other, about, irrelevant" in r.text
    r = session.post(f"{base}/items/{item}/note", data={"csrf_token": token, "note": "  "}, headers=htmx, timeout=10)
    assert r.status_code == 409
    assert "the note is empty; write something first" in r.text


def test_dismiss_without_a_reason_is_refused_with_a_message(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
    item = _item_of(store, "booking gone")
    r = session.post(f"{base}/items/{item}/dismiss", data={"csrf_token": token, "reason": " "},
                     headers={"HX-Request": "true"}, timeout=10)
    assert r.status_code == 409
    assert "a dismissal needs a reason" in r.text
    assert store.queue.get_item(item).status.value == "new"


def test_search_finds_a_left_out_mention_and_moves_it_to_the_queue(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    left_out = store.insights.search_left_out()
    assert left_out and all(not store.queue.list_queue(None) or m.key not in {i.key for i in store.queue.list_queue(None)}
                            for m in left_out)
    target = left_out[0]
    word = max(target.text.split(), key=len)
    page = session.get(f"{base}/search", params={"q": word}, timeout=10).text
    assert target.key in page
    assert f'href="/search.csv?q={word}&amp;label=&amp;since=&amp;until=" class="export" download>' in page
    exported = list(csv.reader(io.StringIO(session.get(f"{base}/search.csv", params={"q": word}, timeout=10).text)))
    assert exported[0][:2] == ["platform", "mention_id"] and [target.platform, target.mention_id] in \
        [r[:2] for r in exported[1:]]
    r = session.post(f"{base}/search/move", timeout=10, data={
        "csrf_token": csrf_token(page), "platform": target.platform, "mention_id": target.mention_id,
        "priority": "high"})
    assert f"Moved {target.key} to the queue as item #" in r.text
    moved = next(i for i in store.queue.list_queue(None) if i.key == target.key)
    assert moved.priority == "high" and moved.due_at
    assert ("moved_to_queue", "queue") in [(f.kind, f.label) for f in store.queue.feedback()]
    assert target.key not in {m.key for m in store.insights.search_left_out()}


def test_listening_and_stats_pages_draw_their_charts(web: tuple[str, Store]) -> None:
    base, _ = web
    session = log_in(base, LEAD, LEAD_PASSWORD)
    listening = session.get(f"{base}/listening", timeout=10).text
    assert "Mentions about the brand per day" in listening and "<svg" in listening
    stats = session.get(f"{base}/stats", timeout=10).text
    assert "Mentions per day by label" in stats and "To first claim" in stats and "Service levels" in stats
    assert re.search(r'<text class="value" [^>]*>\d+</text>', stats)  # each column's total is written on it
    for table, header in [("volume", "day,queue,direct_other,about,irrelevant,filtered"),
                          ("times", "measure,items,median_seconds,p90_seconds"),
                          ("service", "priority,items,closed_on_time,closed_late,open_overdue")]:
        assert f'href="/stats.csv?table={table}&amp;days=14" download>' in stats
        r = session.get(f"{base}/stats.csv", params={"table": table, "days": 14}, timeout=10)
        assert r.headers["Content-Type"].startswith("text/csv") and r.text.splitlines()[0] == header, table
    volume = list(csv.reader(io.StringIO(session.get(f"{base}/stats.csv", timeout=10).text)))
    assert len(volume) == 15 and sum(int(v) for row in volume[1:] for v in row[1:]) > 0
    assert session.get(f"{base}/stats.csv", params={"table": "nope"}, timeout=10).status_code == 404
    assert 'Export rising terms CSV' in listening
    days = session.get(f"{base}/listening.csv", params={"table": "days"}, timeout=10).text.splitlines()
    assert days[0] == "day,about" and len(days) == 15
    rising = session.get(f"{base}/listening.csv", params={"table": "rising"}, timeout=10).text
    assert rising.splitlines()[0] == "term,this_week,week_before,expected,growth"


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
    try:
        assert store.users.get_user("ann").password_hash.startswith("$argon2id$")
        assert "long-enough" not in store.users.get_user("ann").password_hash
    finally:
        store.close()


def _post(post_id: str, text: str, handle: str = "reiziger", name: str = "Reiziger", **extra: object) -> str:
    return json.dumps({"platform": "x", "id": post_id, "url": f"https://x.com/{post_id}/status/{post_id}",
                       "author": {"id": f"u{post_id}", "handle": handle, "name": name}, "text": text, "lang": "en",
                       "created_at": "2026-11-21T08:00:00Z", **extra})


def _serve_posts(write_config: Callable[..., Path], tmp_path: Path, posts: list[str]) -> Iterator[tuple[str, Store]]:
    stream = tmp_path / "posts.jsonl"
    stream.write_text("\n".join(posts) + "\n", encoding="utf-8")
    with serving(fill(write_config(stream=stream, batch_size=1000))) as running:
        yield running


HIDDEN = "bell\x07 nul\x00 esc\x1b[31m rlo\u202egnp.exe zwsp\u200b end"
HIDDEN_SHOWN = "bell␇ nul␀ esc␛[31m rlo&lt;U+202E&gt;gnp.exe zwsp&lt;U+200B&gt; end"


def test_control_and_hidden_characters_show_as_symbols_in_every_place(write_config: Callable[..., Path],
                                                                      tmp_path: Path) -> None:
    posts = [_post("3001", f"@Tulpair where is my booking? parent {HIDDEN}"),
             _post("3002", f"@Tulpair why is my booking gone? {HIDDEN}", handle="ev\u200bil",
                   name="Ev\u202eil\x07", in_reply_to_post_id="3001"),
             _post("3003", f"nooit meer Tulp Air {HIDDEN}", lang="nl")]
    for base, store in _serve_posts(write_config, tmp_path, posts):
        session = log_in(base, AGENT, AGENT_PASSWORD)
        item = next(i.id for i in store.queue.list_queue(None) if i.mention_id == "3002")
        token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
        r = session.post(f"{base}/items/{item}/note", data={"csrf_token": token, "note": f"agent {HIDDEN}"},
                         timeout=10)
        assert r.status_code == 200
        assert store.queue.get_item(item).note == f"{AGENT}: agent {HIDDEN}"  # stored as it came
        for page in (f"/queue?item={item}", f"/items/{item}", f"/items/{item}/pane"):
            html = session.get(base + page, timeout=10).text
            assert f"why is my booking gone? {HIDDEN_SHOWN}</p>" in html, page
            assert f"<b>@ev&lt;U+200B&gt;il</b> (Ev&lt;U+202E&gt;il␇)" in html, page
            assert f"in reply to @reiziger:</span> @Tulpair where is my booking? parent {HIDDEN_SHOWN}</blockquote>" \
                in html, page
            assert f"{AGENT}: agent {HIDDEN_SHOWN}</pre>" in html, page
            assert not set(html) & set("\x00\x07\x1b\u202e\u200b"), page
        row = session.get(f"{base}/queue/items", timeout=10).text
        assert "<b class=\"author\">@ev&lt;U+200B&gt;il</b>" in row and "bell␇ nul␀ esc␛[31m" in row
        assert not set(row) & set("\x00\x07\x1b\u202e\u200b")
        # The same author's public "nooit meer" joined their open item; its text shows the same way there.
        first = next(i.id for i in store.queue.list_queue(None) if i.mention_id == "3001")
        assert f"nooit meer Tulp Air {HIDDEN_SHOWN}</p>" in session.get(f"{base}/items/{first}", timeout=10).text


def test_a_huge_post_is_cut_in_lists_and_shown_whole_on_its_own_page(write_config: Callable[..., Path],
                                                                    tmp_path: Path) -> None:
    # Kept under waitress's 1 MB output buffer: a bigger response is spooled to a temporary file that the test
    # server's stop() leaves open (a ResourceWarning). Cutting works the same for 5 MB.
    huge = "@Tulpair why is my booking gone? " + "lost bags " * 50_000
    left_out = "nooit meer Tulp Air " + "vertraging " * 50_000
    posts = [_post("3101", huge), _post("3102", left_out, handle="iemand", lang="nl")]
    for base, store in _serve_posts(write_config, tmp_path, posts):
        session = log_in(base, AGENT, AGENT_PASSWORD)
        item = next(i.id for i in store.queue.list_queue(None) if i.mention_id == "3101")
        cut = f"{huge[:2000]}… ({len(huge) - 2000:,} more characters)</p>"
        row = f'<span class="first">{huge[:159]}…</span>'
        for page in ("/queue", "/queue/items", f"/queue?item={item}", f"/items/{item}/pane"):
            r = session.get(base + page, timeout=10)
            assert (row if page == "/queue/items" else cut) in r.text, page
            assert len(r.content) < 100_000, page
            if page != "/queue/items":
                assert f'<a href="/items/{item}" class="whole">Show the whole item</a>' in r.text, page
        whole = session.get(f"{base}/items/{item}", timeout=30).text
        assert f'<p class="text">{huge}</p>' in whole
        # An action taken on the item's page re-draws it whole; in the list, cut.
        token = csrf_token(whole)
        r = session.post(f"{base}/items/{item}/claim", data={"csrf_token": token, "full": "1"},
                         headers={"HX-Request": "true"}, timeout=30)
        assert f'<p class="text">{huge}</p>' in r.text
        r = session.post(f"{base}/items/{item}/release", data={"csrf_token": token},
                         headers={"HX-Request": "true"}, timeout=30)
        assert cut in r.text and huge not in r.text
        search = session.get(f"{base}/search", params={"q": "nooit meer"}, timeout=10)
        assert f"{left_out[:2000]}… ({len(left_out) - 2000:,} more characters)</p>" in search.text
        assert len(search.content) < 100_000
        assert '<a href="/mentions/x/3102" class="whole">Show the whole post</a>' in search.text
        assert f'<p class="text">{left_out}</p>' in session.get(f"{base}/mentions/x/3102", timeout=30).text


def test_numbers_and_days_out_of_range_get_a_message_not_a_server_error(web: tuple[str, Store]) -> None:
    base, store = web
    session = log_in(base, AGENT, AGENT_PASSWORD)
    token = csrf_token(session.get(f"{base}/queue", timeout=10).text)
    huge = "99999999999999999999999"
    r = session.post(f"{base}/items/{huge}/claim", data={"csrf_token": token}, timeout=10)
    assert r.status_code == 404
    assert f"no queue item {huge}" in r.text
    r = session.post(f"{base}/items/{huge}/claim", data={"csrf_token": token}, headers={"HX-Request": "true"},
                     timeout=10)
    assert r.status_code == 404
    r = session.get(f"{base}/items/{huge}", timeout=10)
    assert r.status_code == 404 and f"no queue item {huge}" in r.text
    assert session.get(f"{base}/mentions/x/nope", timeout=10).text.count("no stored mention x:nope") == 1
    for page in ("99999999999999999999", "0", "-1", "2.5", "²"):
        r = session.get(f"{base}/search", params={"page": page}, timeout=10)
        assert r.status_code == 400, page
        assert f"&#39;{page}&#39; is not a page number; use a whole number from 1 to 1,000,000." in r.text, page
        r = session.get(f"{base}/queue", params={"page": page}, timeout=10)
        assert r.status_code == 400, page
        assert f"&#39;{page}&#39; is not a page number; use a whole number from 1 to 1,000,000." in r.text, page
    r = session.get(f"{base}/search", params={"q": "booking", "since": "2026-13-45", "until": "tomorrow"}, timeout=10)
    assert r.status_code == 400
    assert "From: &#39;2026-13-45&#39; is not a date; write it as YYYY-MM-DD, like 2026-03-14." in r.text
    assert "To: &#39;tomorrow&#39; is not a date; write it as YYYY-MM-DD, like 2026-03-14." in r.text
    assert 'name="since" value="2026-13-45"' in r.text and 'value="booking"' in r.text  # kept, to be corrected
    assert "the bot left out" not in r.text
    assert session.get(f"{base}/search", params={"since": "2026-11-20", "page": "1"}, timeout=10).status_code == 200
    assert store.queue.get_item(_item_of(store, "booking gone")).status.value == "new"


def test_the_queue_pages_through_every_item_and_keeps_the_filters(write_config: Callable[..., Path],
                                                                  tmp_path: Path) -> None:
    posts = [_post(str(4000 + n), f"@Tulpair why is my booking {n} gone?", handle=f"reiziger{n}") for n in range(230)]
    posts.append(_post("4999", "@Tulpair mijn koffer is niet aangekomen, waar is mijn boeking?", lang="nl"))
    for base, store in _serve_posts(write_config, tmp_path, posts):
        english = store.queue.list_queue("open", lang="en", limit=1000)
        assert len(english) == 230 and store.queue.count_queue("open") == 231
        session = log_in(base, AGENT, AGENT_PASSWORD)
        seen: list[int] = []
        html = session.get(f"{base}/queue", params={"lang": "en"}, timeout=10).text
        assert "showing 1-100 of 230 · most urgent first" in html
        assert len(html.encode()) < 100_000  # a compact list: no forms repeated per item
        assert 'rel="prev"' not in html
        assert '<a href="/queue?page=2&amp;status=open&amp;priority=&amp;lang=en&amp;assignee=&amp;q=&amp;author=&amp;since=&amp;until=" rel="next">' \
               'next 100</a>' in html
        seen += [int(i) for i in re.findall(r'<li class="row [^"]*" id="row-(\d+)"', html)]
        html = session.get(f"{base}/queue?page=2&status=open&priority=&lang=en&assignee=&q=&author=&since=&until=", timeout=10).text
        assert "showing 101-200 of 230" in html
        assert '<a href="/queue?page=1&amp;status=open&amp;priority=&amp;lang=en&amp;assignee=&amp;q=&amp;author=&amp;since=&amp;until=" rel="prev">' in html
        assert 'hx-get="/queue/items?page=2&amp;status=open&amp;priority=&amp;lang=en&amp;assignee=&amp;q=&amp;author=&amp;since=&amp;until="' in html
        seen += [int(i) for i in re.findall(r'<li class="row [^"]*" id="row-(\d+)"', html)]
        html = session.get(f"{base}/queue/items?page=3&status=open&priority=&lang=en&assignee=&q=&author=&since=&until=", timeout=10).text
        assert "showing 201-230 of 230" in html and 'rel="next"' not in html
        seen += [int(i) for i in re.findall(r'<li class="row [^"]*" id="row-(\d+)"', html)]
        assert seen == [i.id for i in english]
        assert "showing 1-100 of 231" in session.get(f"{base}/queue", timeout=10).text


def test_a_closed_item_is_shown_and_found_by_who_closed_it(web: tuple[str, Store]) -> None:
    base, store = web
    claimer, closer = log_in(base, AGENT, AGENT_PASSWORD), log_in(base, AGENT2, AGENT2_PASSWORD)
    item = _item_of(store, "booking gone")
    token = csrf_token(claimer.get(f"{base}/queue", timeout=10).text)
    claimer.post(f"{base}/items/{item}/claim", data={"csrf_token": token}, timeout=10)
    claimer.post(f"{base}/items/{item}/release", data={"csrf_token": token}, timeout=10)
    token = csrf_token(closer.get(f"{base}/queue", timeout=10).text)
    r = closer.post(f"{base}/items/{item}/dismiss", data={"csrf_token": token, "reason": "answered by phone"},
                    headers={"HX-Request": "true"}, timeout=10)
    assert f'dismissed by <b class="holder">{AGENT2}</b>' in r.text
    assert f"Dismissed by {AGENT2}: answered by phone" in r.text
    assert f'<li class="row prio-normal status-dismissed closed" id="row-{item}" data-id="{item}" ' \
           f'hx-swap-oob="outerHTML">' in r.text  # the row in the list, swapped in place
    by_closer = closer.get(f"{base}/queue", params={"status": "dismissed", "assignee": "me"}, timeout=10).text
    assert f'id="row-{item}"' in by_closer
    by_claimer = claimer.get(f"{base}/queue", params={"status": "dismissed", "assignee": "me"}, timeout=10).text
    assert f'id="row-{item}"' not in by_claimer
    assert (store.queue.get_item(item).assignee, store.queue.get_item(item).closed_by) == (None, AGENT2)


def test_another_agents_claim_is_refused_with_409_naming_the_holder(web: tuple[str, Store]) -> None:
    # Issue 17, item 11: any agent could release or resolve another agent's claim (both 200).
    base, store = web
    holder, other = log_in(base, AGENT, AGENT_PASSWORD), log_in(base, AGENT2, AGENT2_PASSWORD)
    item = _item_of(store, "booking gone")
    token = csrf_token(holder.get(f"{base}/queue", timeout=10).text)
    holder.post(f"{base}/items/{item}/claim", data={"csrf_token": token}, timeout=10)
    token = other_token = csrf_token(other.get(f"{base}/queue", timeout=10).text)
    refused = f"queue item {item} is claimed by {AGENT}; only {AGENT} can %s it (a lead can take it over first)"
    for action, data in [("release", {}), ("resolve", {}), ("dismiss", {"reason": "done"}),
                         ("wrong", {"label": "about"})]:
        for htmx in ({"HX-Request": "true"}, {}):
            r = other.post(f"{base}/items/{item}/{action}", data={"csrf_token": token, **data}, headers=htmx,
                           timeout=10)
            assert r.status_code == 409, (action, htmx)
            assert refused % ("dismiss" if action == "wrong" else action) in r.text.replace("&#39;", "'")
    assert (store.queue.get_item(item).status.value, store.queue.get_item(item).assignee) == ("claimed", AGENT)
    pane = other.get(f"{base}/items/{item}/pane", timeout=10).text
    assert f'<span class="held">Claimed by <b>{AGENT}</b></span>' in pane
    assert 'data-key="r"' not in pane and "Take over" not in pane  # no resolve for others; take-over is a lead's
    lead = log_in(base, LEAD, LEAD_PASSWORD)
    token = csrf_token(lead.get(f"{base}/queue", timeout=10).text)
    assert "Take over" in lead.get(f"{base}/items/{item}/pane", timeout=10).text
    r = lead.post(f"{base}/items/{item}/resolve", data={"csrf_token": token}, headers={"HX-Request": "true"},
                  timeout=10)
    assert r.status_code == 409
    r = lead.post(f"{base}/items/{item}/take-over", data={"csrf_token": token}, headers={"HX-Request": "true"},
                  timeout=10)
    assert r.status_code == 200 and f"{LEAD}</b>: taken over from {AGENT}</li>" in r.text
    r = lead.post(f"{base}/items/{item}/resolve", data={"csrf_token": token}, headers={"HX-Request": "true"},
                  timeout=10)
    assert r.status_code == 200 and store.queue.get_item(item).closed_by == LEAD
    r = other.post(f"{base}/items/{_item_of(store, 'koffer')}/take-over", data={"csrf_token": other_token},
                   headers={"HX-Request": "true"}, timeout=10)
    assert r.status_code == 403


def test_a_lead_assigns_and_the_queue_is_searched_and_exported(web: tuple[str, Store]) -> None:
    base, store = web
    lead = log_in(base, LEAD, LEAD_PASSWORD)
    item = _item_of(store, "booking gone")
    token = csrf_token(lead.get(f"{base}/queue", timeout=10).text)
    r = lead.post(f"{base}/items/{item}/assign", data={"csrf_token": token, "to": AGENT2},
                  headers={"HX-Request": "true"}, timeout=10)
    assert r.status_code == 200 and store.queue.get_item(item).assignee == AGENT2
    html = lead.get(f"{base}/queue", params={"q": "booking gone", "status": "all"}, timeout=10).text
    assert re.findall(r'id="row-(\d+)"', html) == [str(item)]
    assert '<a href="/queue.csv?status=all&amp;priority=&amp;lang=&amp;assignee=&amp;q=booking+gone&amp;author=' \
           '&amp;since=&amp;until=" class="export" download>Export CSV</a>' in html
    r = lead.get(f"{base}/queue.csv", params={"q": "booking gone", "status": "all"}, timeout=10)
    assert r.headers["Content-Type"].startswith("text/csv")
    assert [row[0] for row in csv.reader(io.StringIO(r.text))] == ["id", str(item)]
    r = lead.get(f"{base}/queue", params={"since": "yesterday"}, timeout=10)
    assert "From: &#39;yesterday&#39; is not a date; write it as YYYY-MM-DD, like 2026-03-14." in r.text


def test_the_alerts_and_listening_pages_show_a_firing_spike_as_plain_text(web: tuple[str, Store]) -> None:
    base, store = web
    store.alerts.save_alert(AlertRecord(
        "spike:check-in app", "spike", "warning", "firing", "Rising: 'check-in app', 'app crashes'",
        "14 posts in the last day with 'check-in app'",
        {"terms": [{"term": "check-in app", "posts": 14, "expected": 0.2, "p_value": 1e-20}],
         "examples": [{"key": "x:1", "text": "<script>alert(1)</script> app crashes", "url": "javascript:alert(1)"}]},
        first_at="2026-01-01T00:00:00+00:00", last_seen_at="2026-01-01T00:05:00+00:00"))
    session = log_in(base, AGENT, AGENT_PASSWORD)
    for page in ("/alerts", "/listening"):
        html = session.get(f"{base}{page}", timeout=10).text
        assert "Rising: &#39;check-in app&#39;, &#39;app crashes&#39;" in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; app crashes" in html and "<script>alert(1)" not in html
        assert "javascript:alert" not in html
        assert "14 posts, 0.2 expected" in html
    assert "Firing now (1)" in session.get(f"{base}/alerts", timeout=10).text
