"""Mastodon sends a status's text as HTML (`content`): this turns it into the plain text an agent reads and the
classifier sees, and says where each @mention landed in it.

Paragraphs become blank lines, `<br>` a line break, a link its full address (Mastodon hides part of it in
`invisible` spans), a hashtag its `#tag`, and an @mention its qualified handle (`@tulpair@mastodon.social`), since
the displayed `@tulpair` does not say which server's tulpair was meant. Entities are decoded; scripts, styles and
every other tag are dropped (the web app escapes the text again when it shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

__all__ = ["Linked", "PlainText", "html_to_text"]


@dataclass(frozen=True)
class Linked:
    """An @mention in the plain text: `text[start:end]` is `@handle`; `href` is the profile link it had."""

    handle: str
    start: int
    end: int
    href: str


@dataclass(frozen=True)
class PlainText:
    text: str
    mentions: tuple[Linked, ...]


class _Reader(HTMLParser):
    def __init__(self, handle_of: Callable[[str, str], str | None]) -> None:
        super().__init__(convert_charrefs=True)
        self.handle_of = handle_of
        self.out: list[str] = []
        self.length = 0
        self.mentions: list[Linked] = []
        self._skip = 0  # inside <script> or <style>
        self._link: tuple[str, str] | None = None  # (href, class) of the <a> being read
        self._link_text: list[str] = []

    def _emit(self, text: str) -> None:
        if text:
            self.out.append(text)
            self.length += len(text)

    def _ends_with(self) -> str:
        return "".join(self.out[-2:])[-2:]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self._text("\n")
        elif tag == "p" and self.length and self._ends_with() != "\n\n":
            self._text("\n\n" if not self._ends_with().endswith("\n") else "\n")
        elif tag == "a" and self._link is None:
            values = dict(attrs)
            self._link = (values.get("href") or "", values.get("class") or "")
            self._link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._link is not None:
            href, cls = self._link
            shown = "".join(self._link_text)
            self._link = None
            classes = cls.split()
            if "mention" in classes and "hashtag" not in classes and shown.startswith("@"):
                handle = self.handle_of(href, shown[1:]) or shown[1:]
                start = self.length
                self._emit(f"@{handle}")
                self.mentions.append(Linked(handle, start, self.length, href))
            elif "hashtag" in classes or urlsplit(href).scheme not in ("http", "https"):
                self._emit(shown)
            else:
                self._emit(href)

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _text(self, data: str) -> None:
        if self._skip:
            return
        if self._link is not None:
            self._link_text.append(data)
        else:
            self._emit(data)


def html_to_text(html: str, handle_of: Callable[[str, str], str | None] = lambda href, shown: None) -> PlainText:
    """The plain text of a status's `content`. `handle_of(href, shown)` gives the qualified handle of a mention
    link (from the status's `mentions`), or None to keep the handle as shown."""
    reader = _Reader(handle_of)
    reader.feed(html)
    reader.close()
    raw = "".join(reader.out)
    lead = len(raw) - len(raw.lstrip())
    text = raw.strip()
    mentions = tuple(Linked(m.handle, m.start - lead, m.end - lead, m.href) for m in reader.mentions)
    return PlainText(text, mentions)
