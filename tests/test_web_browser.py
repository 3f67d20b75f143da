"""The review app in a real browser: Debian's chromium driven by Playwright (never a downloaded browser), against
the app on a real waitress server over the demo stream (config/demo/mentions.jsonl, rule classifier).
Screenshots go to test-output/web/ for a human to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store import Store
from web_support import AGENT, AGENT2, AGENT_PASSWORD, LEAD, LEAD_PASSWORD, fill, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "web"
DEMO = ROOT / "config" / "demo" / "mentions.jsonl"
STREAM = Path(__file__).resolve().parent / "fixtures" / "stream.jsonl"
THREAD = Path(__file__).resolve().parent / "fixtures" / "conversation.jsonl"

if not CHROMIUM.exists():  # `make test` installs it; a bare pytest run says what is missing
    pytest.skip("Debian's chromium is not installed: apt-get install -y chromium (make test does it)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        # Never under libfaketime (make test-dates): the web app's clock is the server's, and the preloaded
        # library breaks chromium's crash handler.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, env=env, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield b
        b.close()


def _log_in(page: object, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/queue")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/queue")  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)  # type: ignore[attr-defined]


def _selected(page: object) -> list[str]:
    return page.eval_on_selector_all("#items li.row.selected", "els => els.map(e => e.dataset.id)")  # type: ignore[attr-defined,no-any-return]


def test_an_agent_works_the_demo_queue_in_the_browser(browser: object, write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=DEMO, batch_size=500))
    with serving(settings) as (base, store):
        page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        _log_in(page, base, LEAD, LEAD_PASSWORD)
        rows = page.locator("#items li.row")
        open_items = store.queue.list_queue("open")
        assert rows.count() == len(open_items) > 8
        assert rows.first.get_attribute("id") == f"row-{open_items[0].id}"  # most urgent first
        # At 1366x768 at least 8 rows are wholly in view without scrolling.
        bottoms = page.eval_on_selector_all("#items li.row", "els => els.map(e => e.getBoundingClientRect().bottom)")
        assert sum(b <= 768 for b in bottoms) >= 8, bottoms
        assert page.locator("#pane-item").get_attribute("data-id") == str(open_items[0].id)
        _shot(page, "01-queue")

        first, second, third, fourth = (page.locator(f"#row-{i.id}") for i in open_items[:4])
        pane = page.locator("#pane-item")
        pane.get_by_role("button", name="Claim").click()
        first.locator(".holder", has_text=LEAD).wait_for()
        assert pane.locator(".holder").text_content() == LEAD
        _shot(page, "02-claimed")
        pane.get_by_role("button", name="Resolve").click()
        page.locator(f"#row-{open_items[0].id}.closed.status-resolved").wait_for()

        second.click()
        page.locator(f"#pane-item[data-id='{open_items[1].id}']").wait_for()
        pane.locator("input[name=reason]").fill("answered by phone")
        pane.get_by_role("button", name="Dismiss").click()
        page.locator(f"#row-{open_items[1].id}.closed.status-dismissed").wait_for()

        third.click()
        page.locator(f"#pane-item[data-id='{open_items[2].id}']").wait_for()
        pane.locator("select[name=label]").select_option("about")
        pane.get_by_role("button", name="Wrongly routed").click()
        page.locator(f"#row-{open_items[2].id}.closed.status-dismissed").wait_for()

        fourth.click()  # select it, then the keyboard: c claims
        page.locator(f"#pane-item[data-id='{open_items[3].id}']").wait_for()
        page.keyboard.press("c")
        fourth.locator(".holder").wait_for()
        assert _selected(page) == [str(open_items[3].id)]
        _shot(page, "03-actions")

        assert [store.queue.get_item(i.id).status.value for i in open_items[:4]] == ["resolved", "dismissed", "dismissed",
                                                                            "claimed"]
        assert store.queue.get_item(open_items[1].id).dismissed_reason == "answered by phone"
        assert [(f.kind, f.label) for f in store.queue.feedback()] == [("wrongly_routed", "about")]

        page.click("nav >> text=Search")
        left_out = store.insights.search_left_out()
        word = max(left_out[0].text.split(), key=len)
        page.fill("input[name=q]", word)
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search?*")
        results = page.locator("article.left-out")
        assert results.count() >= 1
        _shot(page, "04-search")
        results.first.get_by_role("button", name="Move to queue").click()
        page.locator(".flash", has_text="to the queue as item #").wait_for()
        assert left_out[0].key in {i.key for i in store.queue.list_queue("open")}

        page.click("nav >> text=Listening")
        page.locator("svg[aria-label='Mentions about the brand per day'] rect").first.wait_for()
        _shot(page, "05-listening")
        page.click("nav >> text=Stats")
        page.locator("svg[aria-label='Mentions per day by label'] rect").first.wait_for()
        assert page.locator("table.times tr", has_text="To first claim").locator("td").first.inner_text() == "2"
        assert page.locator("svg[aria-label='Mentions per day by label'] text.value").count() > 0  # values shown
        _shot(page, "06-stats")
        page.close()


def test_the_keyboard_keeps_one_selection_and_skips_closed_items(browser: object,
                                                                 write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=DEMO, batch_size=500))
    with serving(settings) as (base, store):
        page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        ids = [str(i.id) for i in store.queue.list_queue("open")]
        page.keyboard.press("/")  # focuses the queue's search box, on this page
        assert page.evaluate("document.activeElement.id") == "q" and "/queue" in page.url
        page.keyboard.press("Escape")
        page.keyboard.press("j")
        page.locator(f"#pane-item[data-id='{ids[1]}']").wait_for()
        assert _selected(page) == [ids[1]]
        assert page.evaluate("document.activeElement.closest('li.row').dataset.id") == ids[1]  # focus = selection
        page.keyboard.press("c")
        page.locator(f"#row-{ids[1]} .holder").wait_for()
        page.locator(f"#pane-item[data-id='{ids[1]}'] button[data-key='u']").wait_for()
        page.keyboard.press("u")  # release: the highlight stays, and keys still act on what is shown
        page.locator(f"#pane-item[data-id='{ids[1]}'] button[data-key='c']").wait_for()
        assert _selected(page) == [ids[1]]
        page.keyboard.press("n")
        page.keyboard.type("called her back")
        page.keyboard.press("Enter")
        page.locator("#pane-item .note", has_text="called her back").wait_for()
        assert _selected(page) == [ids[1]]
        assert store.queue.get_item(int(ids[1])).note == f"{AGENT}: called her back"
        page.keyboard.press("d")
        page.keyboard.type("answered by phone")
        page.keyboard.press("Enter")
        page.locator(f"#row-{ids[1]}.closed").wait_for()
        assert _selected(page) == [ids[1]]  # still highlighted, shown closed
        _shot(page, "08-keyboard-closed")
        page.keyboard.press("k")
        page.locator(f"#pane-item[data-id='{ids[0]}']").wait_for()
        page.keyboard.press("j")  # skips the closed item
        page.locator(f"#pane-item[data-id='{ids[2]}']").wait_for()
        assert _selected(page) == [ids[2]]
        page.keyboard.press("r")
        page.locator(f"#row-{ids[2]}.closed").wait_for()
        assert store.queue.get_item(int(ids[2])).closed_by == AGENT
        page.keyboard.press("k")  # back over two closed items to the first
        page.locator(f"#pane-item[data-id='{ids[0]}']").wait_for()
        assert _selected(page) == [ids[0]]
        page.close()


def test_another_agents_claim_is_shown_held_and_a_lead_takes_it_over(browser: object,
                                                                    write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=THREAD))
    with serving(settings) as (base, store):
        [item] = [i for i in store.queue.list_queue("open") if i.author_handle == "marieke"]
        store.queue.claim(item.id, AGENT2)
        page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        page.locator(f"#row-{item.id}").click()
        pane = page.locator(f"#pane-item[data-id='{item.id}']")
        pane.wait_for()
        assert pane.locator(".held").inner_text() == f"Claimed by {AGENT2}"
        assert pane.get_by_role("button", name="Resolve").count() == 0
        page.keyboard.press("r")  # nothing to press: the item stays with its holder
        page.keyboard.press("u")
        assert store.queue.get_item(item.id).assignee == AGENT2
        _shot(page, "15-held-by-another")
        page.close()

        page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        _log_in(page, base, LEAD, LEAD_PASSWORD)
        page.locator(f"#row-{item.id}").click()
        page.locator(f"#pane-item[data-id='{item.id}'] .held").wait_for()
        page.keyboard.press("t")
        page.locator("#pane-item .timeline li", has_text=f"taken over from {AGENT2}").wait_for()
        page.locator(f"#row-{item.id} .holder", has_text=LEAD).wait_for()
        page.keyboard.press("r")
        page.locator(f"#row-{item.id}.closed").wait_for()
        assert store.queue.get_item(item.id).closed_by == LEAD
        _shot(page, "16-taken-over")
        page.close()


def test_a_customer_thread_is_one_item_with_its_conversation(browser: object,
                                                             write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=THREAD))
    with serving(settings) as (base, store):
        page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        assert page.locator("#items li.row").count() == 2
        [item] = [i for i in store.queue.list_queue("open") if i.author_handle == "marieke"]
        row = page.locator(f"#row-{item.id}")
        assert row.locator(".msgs").inner_text() == "5"
        row.click()
        page.locator(f"#pane-item[data-id='{item.id}']").wait_for()
        messages = page.locator("#pane-item .conversation li.message")
        assert messages.count() == 5
        assert page.locator("#pane-item .conversation li.message:not(.ours)").count() == 4
        assert "our reply, @TulpairHelp" in messages.nth(2).inner_text()
        assert "reply to our reply" in messages.nth(3).inner_text()
        assert page.locator("#pane-item .timeline li").count() == 5
        _shot(page, "09-conversation")
        page.close()


def test_the_workspace_fits_a_phone_screen(browser: object, write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=DEMO, batch_size=500))
    with serving(settings) as (base, store):
        page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        _log_in(page, base, LEAD, LEAD_PASSWORD)
        item = store.queue.list_queue("open")[0].id
        for path, name in [("/queue", "10-phone-queue"), (f"/items/{item}", "11-phone-item"),
                           ("/stats", "12-phone-stats"), ("/search", "13-phone-search"),
                           ("/listening", "14-phone-listening")]:
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            # Nothing sticks out past the screen's right edge (a table scrolls inside its own box).
            wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && r.right > 390.5 && !e.closest('table');
            }).map(e => e.tagName + '.' + e.className)""")
            assert wide == [], (path, wide[:5])
            _shot(page, name)
        page.goto(base + "/queue")  # the filters beyond search and status fold away on a phone, and unfold
        assert not page.locator("input[name=author]").is_visible()
        page.get_by_role("button", name="More filters").click()
        assert page.locator("input[name=author]").is_visible()
        page.goto(base + "/queue?author=jdevries")  # a filter in use stays in view
        assert page.locator("input[name=author]").is_visible()
        page.close()


def test_a_script_in_a_post_is_shown_as_text_and_never_runs(browser: object,
                                                           write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=STREAM))
    with serving(settings) as (base, store):
        page = browser.new_page()  # type: ignore[attr-defined]
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        hostile = next(i for i in store.queue.list_queue(None) if "<script>" in i.text)
        page.locator(f"#row-{hostile.id}").click()
        page.locator(f"#pane-item[data-id='{hostile.id}']").wait_for()
        text = page.locator("#pane-item .text").first.inner_text()
        assert "<script>alert('x')</script> <img src=x onerror=alert(1)> why is my booking gone? ␇␛[31m" in text
        assert page.locator("#pane-item .text script, #pane-item .text img, #items script").count() == 0
        assert "(<b>h4x</b>)" in page.locator("#pane-item header").inner_text()
        _shot(page, "07-hostile-text")
        page.close()
        assert dialogs == []
        assert isinstance(store, Store)


def test_a_spike_found_in_a_replayed_stream_shows_on_the_alerts_and_listening_pages(
        browser: object, write_config: Callable[..., Path], tmp_path: Path) -> None:
    from alert_streams import stream, utc_now, write_replay
    from bot.alerts import AlertEngine

    replay = write_replay(tmp_path / "spike.jsonl", stream(utc_now(), planted=14))
    settings = fill(write_config(stream=replay, batch_size=10_000))
    with serving(settings) as (base, store):
        AlertEngine(store, lambda: settings, lambda: ["replay"]).evaluate()
        page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        page.click("nav >> text=Alerts")  # type: ignore[attr-defined]
        spike = page.locator("article.alert").first  # type: ignore[attr-defined]
        assert "Rising:" in spike.locator("h3").inner_text() and "check-in app" in spike.inner_text()
        assert spike.locator("blockquote").count() == 3
        _shot(page, "20-alerts")
        page.click("nav >> text=Listening")  # type: ignore[attr-defined]
        assert "check-in app" in page.locator("article.alert").first.inner_text()  # type: ignore[attr-defined]
        page.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]
        page.goto(f"{base}/alerts")  # type: ignore[attr-defined]
        right = page.evaluate(  # type: ignore[attr-defined]
            "Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))")
        assert right <= 390, f"the alerts page's content reaches {right}px at 390px"
        _shot(page, "21-alerts-phone")
