"""`webcare mastodon check` and `webcare bluesky check`: is each open-network source set up right? Like
`webcare x check`, they verify the credential, name the account it belongs to and show the rate-limit window."""

from __future__ import annotations

from bot.cli.app import Context, handles_errors, main, pass_app, say
from bot.sources.bluesky import source as bluesky
from bot.sources.mastodon import source as mastodon


@main.group("mastodon")
def mastodon_group() -> None:
    """The Mastodon source."""


@mastodon_group.command("check")
@pass_app
@handles_errors
def check_mastodon(app: Context) -> None:
    """Verify the access token, name its account and print the rate-limit state."""
    for line in mastodon.check_mastodon(app.settings, mastodon.build_client(app.settings.sources.mastodon)):
        say(line)  # account names come from the platform: shown safely


@main.group("bluesky")
def bluesky_group() -> None:
    """The Bluesky source."""


@bluesky_group.command("check")
@pass_app
@handles_errors
def check_bluesky(app: Context) -> None:
    """Log in with the app password, name the account and print the rate-limit state."""
    for line in bluesky.check_bluesky(app.settings, bluesky.build_client(app.settings.sources.bluesky)):
        say(line)  # account names come from the platform: shown safely
