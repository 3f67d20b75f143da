"""Config filters, applied after a mention is stored and before it is classified: pure functions of
(mention, settings) that say why a mention is not worth classifying. A filtered mention is stored with that
reason, never silently dropped."""

from __future__ import annotations

from bot.mention import Mention
from bot.settings import Settings

__all__ = ["filter_reason"]


def filter_reason(mention: Mention, settings: Settings) -> str | None:
    """None to keep the mention, or the reason it is filtered out, in words a marketer recognises."""
    author = mention.author.handle.casefold()
    if author in {h.casefold() for h in (*settings.brand.handles, *settings.brand.own_accounts)}:
        return f"posted by our own account @{mention.author.handle}"
    if author in {h.casefold() for h in settings.brand.staff_accounts}:
        return f"posted by staff account @{mention.author.handle}"
    return None
