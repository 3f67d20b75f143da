"""Reading page numbers and days from a query string, for the lists that page (queue, search). A number or
day a person typed into the address bar is checked here, so a bad one gets a message instead of a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from werkzeug.exceptions import BadRequest

__all__ = ["MAX_PAGE", "Page", "day", "page_number"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)
MAX_PAGE = 1_000_000  # far past any real list, and small enough that page * size stays an SQLite integer


@dataclass(frozen=True)
class Page:
    """One page of a list: its number (from 1), its size, and how many items the whole list has."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based position of the page's first item (0 when the page is empty)."""
        return self.offset + 1 if self.total > self.offset else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total


def page_number(raw: str | None) -> int:
    """The page asked for: absent or empty means 1. Raises BadRequest with a message for anything else."""
    if raw is None or raw.strip() == "":
        return 1
    text = raw.strip()
    # isascii: '²' is a digit to str.isdigit but not to int(); the length keeps int() off a huge string.
    if not (text.isascii() and text.isdigit() and len(text) <= 7 and 1 <= int(text) <= MAX_PAGE):
        raise BadRequest(f"'{raw[:40]}' is not a page number; use a whole number from 1 to {MAX_PAGE:,}.")
    return int(text)


def day(raw: str | None, field: str) -> str:
    """The day in `raw` as YYYY-MM-DD ('' when absent). Raises BadRequest naming `field` for anything else."""
    if raw is None or raw.strip() == "":
        return ""
    text = raw.strip()
    try:
        if not _DAY.fullmatch(text):  # fromisoformat alone takes 20260314 and 2026-W11-1 as well
            raise ValueError(text)
        asked = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{field}: '{raw[:40]}' is not a date; write it as YYYY-MM-DD, like 2026-03-14.") from None
    if not FIRST_DAY <= asked <= LAST_DAY:
        # Pages count days back and forth from the date asked: near year 1 or 9999 that arithmetic overflows.
        raise BadRequest(f"{field}: {asked.isoformat()} is out of range; give a date from {FIRST_DAY.isoformat()} "
                         f"to {LAST_DAY.isoformat()}.")
    return asked.isoformat()
