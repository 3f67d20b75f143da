"""Ages and due times in words: one formatter (bot/text/due.py) for the review app and the terminal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import bot.cli.queue as cli_queue
from bot.text.due import ago, due_words, when
from bot.text.printable import one_line
from bot.web.context import FILTERS

NOW = datetime(2026, 11, 21, 8, 14, 30, tzinfo=timezone.utc)


def iso(delta: timedelta) -> str:
    return (NOW + delta).isoformat(timespec="microseconds")


def test_an_age_is_its_largest_unit_and_a_time_ahead_says_in() -> None:
    assert [ago(iso(-d), NOW) for d in (timedelta(seconds=42), timedelta(minutes=3, seconds=59),
                                        timedelta(hours=5, minutes=1), timedelta(days=2, hours=23))] == \
        ["42s", "3m", "5h", "2d"]
    assert ago(iso(timedelta(minutes=5)), NOW) == "in 5m"
    assert ago("2026-11-21T08:10:30", NOW) == "4m"  # a stored time without a zone is UTC
    assert [ago(None, NOW), ago("", NOW), ago("yesterday", NOW)] == ["-", "-", "-"]


def test_due_times_and_stamps_read_at_a_glance() -> None:
    assert due_words(iso(timedelta(minutes=12, seconds=30)), NOW) == "due in 12m"
    assert due_words(iso(-timedelta(hours=1, minutes=20)), NOW) == "overdue by 1h 20m"
    assert due_words(None, NOW) == ""
    assert when(iso(timedelta(0))) == "2026-11-21 08:14 UTC"


def test_the_web_and_the_terminal_use_the_same_formatters() -> None:
    assert FILTERS["age"] is ago is cli_queue.ago
    assert FILTERS["due"] is due_words is cli_queue.due_words
    assert FILTERS["first_line"] is one_line is cli_queue.one_line
    assert one_line("a  post\nover\tlines", 160) == "a post over lines"
    assert one_line("x" * 200, 10) == "xxxxxxxxx…"
