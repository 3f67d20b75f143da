"""The review app shows which network a queued post is on and links to it there, for posts read by the real
Mastodon and Bluesky sources from their fakes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from web_support import AGENT, AGENT_PASSWORD, fill, log_in, serving

from bot.config.settings import Settings
from tests.fake_bluesky import APP_PASSWORD, FakeBluesky
from tests.fake_mastodon import TOKEN, FakeMastodon
from tests.test_networks_daemon import config, fakes  # noqa: F401  (the fixture)


@pytest.fixture
def filled(write_config: Callable[..., Path], fakes: tuple[FakeMastodon, FakeBluesky],  # noqa: F811
           monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A database filled by one run of the real Mastodon and Bluesky sources against their fakes."""
    m, b = fakes
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", APP_PASSWORD)
    return fill(config(write_config, m, b, replay=False))


def test_the_queue_names_the_network_and_links_to_the_post_on_it(filled: Settings) -> None:
    with serving(filled) as (base, store):
        items = {i.platform: i for i in store.queue.list_queue(None)}
        assert {"mastodon", "bluesky"} <= set(items)
        session = log_in(base, AGENT, AGENT_PASSWORD)
        for platform, name in (("mastodon", "Mastodon"), ("bluesky", "Bluesky")):
            page = session.get(f"{base}/items/{items[platform].id}", timeout=10).text  # the item's pane, whole
            url = items[platform].url
            assert url.startswith({"mastodon": "https://", "bluesky": "https://bsky.app/profile/"}[
                platform])
            link = re.search(rf'<a href="{re.escape(html.escape(url))}"[^>]*>open on {name}</a>', page)
            assert link, f"no link to {url} on the item's page"
        assert requests.get(f"{base}/queue", timeout=10, allow_redirects=False).status_code == 302


def test_a_bluesky_post_has_its_own_page_under_its_at_uri(filled: Settings) -> None:
    with serving(filled) as (base, _):
        post = "at://did:plc:sanne000000000000000000/app.bsky.feed.post/3lbaaaaaaa001"
        session = log_in(base, AGENT, AGENT_PASSWORD)
        r = session.get(f"{base}/mentions/bluesky/{post}", timeout=10)
        assert r.status_code == 200, r.url
        assert "mijn koffer is weg sinds dinsdag" in r.text and ">open on Bluesky</a>" in r.text
