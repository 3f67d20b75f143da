"""Config filters, applied after a mention is stored and before it is classified: pure functions of
(mention, settings) that say why a mention is not worth classifying. A filtered mention is stored with that
reason, never silently dropped.

Each filter reads one key of `filters:` (or `brand:`); the first that applies gives the reason, in words a
marketer recognises and with the key to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.config.settings import Settings
from bot.mention import Mention
from bot.text.phrases import matcher_of

__all__ = ["FILTERS", "filter_reason", "text_length"]

# A handle may be qualified: @tulpair@mastodon.social, @tulpair.bsky.social.
_HANDLE_OR_LINK = re.compile(r"(?<![\w@])@\w{1,50}(?:@[\w-]+(?:\.[\w-]+)+|(?:[\w-]*\.[\w-]+)+)?|https?://\S+|www\.\S+",
                             re.IGNORECASE)
# Platforms say "und" (undetermined) or nothing when they could not tell the language.
_UNKNOWN_LANGUAGES = {"", "und", "zxx", "qme", "qam", "qht", "qst"}


def text_length(text: str) -> int:
    """Characters the author wrote beyond @handles and links (an emoji counts as one)."""
    return len(" ".join(_HANDLE_OR_LINK.sub(" ", text).split()))


def own_account(mention: Mention, settings: Settings) -> str | None:
    author = mention.author.handle.casefold()
    b = settings.brand
    if author in {h.casefold() for h in (*b.handles, *b.mastodon_handles, *b.bluesky_handles, *b.own_accounts)}:
        return f"posted by our own account @{mention.author.handle}"
    if author in {h.casefold() for h in settings.brand.staff_accounts}:
        return f"posted by staff account @{mention.author.handle}"
    return None


def excluded_author(mention: Mention, settings: Settings) -> str | None:
    if mention.author.handle.casefold() in {h.casefold() for h in settings.filters.exclude_authors}:
        return f"author @{mention.author.handle} is in filters.exclude_authors"
    return None


def repost(mention: Mention, settings: Settings) -> str | None:
    if settings.filters.exclude_reposts and mention.is_repost:
        return "a repost (filters.exclude_reposts is on)"
    return None


def language(mention: Mention, settings: Settings) -> str | None:
    wanted = settings.filters.languages
    lang = (mention.lang or "").casefold()
    if not wanted or lang in _UNKNOWN_LANGUAGES or lang.split("-")[0] in wanted:
        return None
    return f"language '{mention.lang}' is not in filters.languages ({', '.join(wanted)})"


def too_short(mention: Mention, settings: Settings) -> str | None:
    minimum = settings.filters.min_text_length
    length = text_length(mention.text)
    if length < minimum:
        return f"text of {length} characters is shorter than filters.min_text_length {minimum}"
    return None


def excluded_words(mention: Mention, settings: Settings) -> str | None:
    f = settings.filters
    found = matcher_of(f.exclude_keywords).find(mention.text)
    if found is not None:
        return f"contains '{found}' from filters.exclude_keywords"
    found = matcher_of((), f.exclude_patterns).find(mention.text)
    if found is not None:
        return f"matches '{found}' from filters.exclude_patterns"
    return None


def missing_words(mention: Mention, settings: Settings) -> str | None:
    f = settings.filters
    wanted = matcher_of(f.include_keywords, f.include_patterns)
    if not wanted or wanted.find(mention.text) is not None:
        return None
    return "contains none of filters.include_keywords or filters.include_patterns"


# In this order: the first that applies gives the reason.
FILTERS: tuple[Callable[[Mention, Settings], str | None], ...] = (
    own_account, excluded_author, repost, language, too_short, excluded_words, missing_words,
)


def filter_reason(mention: Mention, settings: Settings) -> str | None:
    """None to keep the mention, or the reason it is filtered out, in words a marketer recognises."""
    for check in FILTERS:
        reason = check(mention, settings)
        if reason is not None:
            return reason
    return None
