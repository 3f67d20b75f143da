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
from web_support import AGENT, AGENT_PASSWORD, LEAD, LEAD_PASSWORD, fill, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "web"
DEMO = ROOT / "config" / "demo" / "mentions.jsonl"
STREAM = Path(__file__).resolve().parent / "fixtures" / "stream.jsonl"

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


def test_an_agent_works_the_demo_queue_in_the_browser(browser: object, write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=DEMO, batch_size=500))
    with serving(settings) as (base, store):
        page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        _log_in(page, base, LEAD, LEAD_PASSWORD)
        items = page.locator("#items article.item")
        open_items = store.list_queue("open")
        assert items.count() == len(open_items) > 3
        assert items.first.get_attribute("id") == f"item-{open_items[0].id}"  # most urgent first
        _shot(page, "01-queue")

        first, second, third, fourth = (page.locator(f"#item-{i.id}") for i in open_items[:4])
        first.get_by_role("button", name="Claim").click()
        first.locator(".holder").wait_for()
        assert first.locator(".holder").text_content() == LEAD
        _shot(page, "02-claimed")
        first.get_by_role("button", name="Resolve").click()
        first.locator(".badge.status", has_text="resolved").wait_for()

        second.locator("input[name=reason]").fill("answered by phone")
        second.get_by_role("button", name="Dismiss").click()
        second.locator(".badge.status", has_text="dismissed").wait_for()

        third.locator("select[name=label]").select_option("about")
        third.get_by_role("button", name="Wrongly routed").click()
        third.locator(".badge.status", has_text="dismissed").wait_for()

        fourth.click(position={"x": 5, "y": 5})  # select it, then the keyboard: c claims
        page.keyboard.press("c")
        fourth.locator(".holder").wait_for()
        _shot(page, "03-actions")

        assert [store.get_item(i.id).status.value for i in open_items[:4]] == ["resolved", "dismissed", "dismissed",
                                                                            "claimed"]
        assert store.get_item(open_items[1].id).dismissed_reason == "answered by phone"
        assert [(f["kind"], f["label"]) for f in store.feedback()] == [("wrongly_routed", "about")]

        page.click("nav >> text=Search")
        left_out = store.search_left_out()
        word = max(left_out[0].text.split(), key=len)
        page.fill("input[name=q]", word)
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search?*")
        results = page.locator("article.left-out")
        assert results.count() >= 1
        _shot(page, "04-search")
        results.first.get_by_role("button", name="Move to queue").click()
        page.locator(".flash", has_text="to the queue as item #").wait_for()
        assert left_out[0].key in {i.key for i in store.list_queue("open")}

        page.click("nav >> text=Listening")
        page.locator("svg[aria-label='Mentions about the brand per day'] rect").first.wait_for()
        _shot(page, "05-listening")
        page.click("nav >> text=Stats")
        page.locator("svg[aria-label='Mentions per day by label'] rect").first.wait_for()
        assert page.locator("table.times tr", has_text="To first claim").locator("td").first.inner_text() == "2"
        _shot(page, "06-stats")
        page.close()


def test_a_script_in_a_post_is_shown_as_text_and_never_runs(browser: object,
                                                           write_config: Callable[..., Path]) -> None:
    settings = fill(write_config(stream=STREAM))
    with serving(settings) as (base, store):
        page = browser.new_page()  # type: ignore[attr-defined]
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _log_in(page, base, AGENT, AGENT_PASSWORD)
        hostile = next(i for i in store.list_queue(None) if "<script>" in i.text)
        text = page.locator(f"#item-{hostile.id} .text").inner_text()
        assert "<script>alert('x')</script> <img src=x onerror=alert(1)> why is my booking gone? ␇␛[31m" in text
        assert page.locator(f"#item-{hostile.id} .text script, #item-{hostile.id} .text img").count() == 0
        assert "(<b>h4x</b>)" in page.locator(f"#item-{hostile.id} header").inner_text()
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
