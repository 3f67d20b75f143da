"""The config sections marketers tune most: `filters` (which stored mentions are worth classifying) and
`priority_rules` (words that raise a queued mention's priority). Part of the schema in `bot.config.settings`.

A leaf module like `bot.config.settings`: every keyword and pattern is checked here, so a bad regular expression is
refused with its file and line before it can take effect.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.vocabulary import Priority

__all__ = ["Filters", "PriorityRule"]

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _keyword(v: str) -> str:
    if not v.strip():
        raise ValueError("an empty keyword; remove the item or write a word or phrase")
    return " ".join(v.split())


def _pattern(v: str) -> str:
    try:
        re.compile(v, re.IGNORECASE)
    except re.error as e:
        raise ValueError(
            f"'{v}' is not a valid regular expression ({e.msg} at position {e.pos}); "
            "for plain words use keywords instead"
        ) from None
    return v


def _language(v: str) -> str:
    code = v.strip().lower()
    if not _LANGUAGE.match(code):
        raise ValueError(f"'{v}' is not a language code; write two letters as the platforms do (nl, en, de)")
    return code


# Checked one item at a time, so an error names the item and its own line.
Keyword = Annotated[str, AfterValidator(_keyword)]
Pattern = Annotated[str, AfterValidator(_pattern)]
Language = Annotated[str, AfterValidator(_language)]


class Filters(_Section):
    """Which stored mentions are classified. A filtered mention is stored with its reason, never dropped."""

    include_keywords: list[Keyword] = Field(
        default_factory=list,
        description="Keep only mentions with at least one of these words or phrases; empty keeps all.",
        examples=[["koffer", "bagage", "suitcase"]],
    )
    exclude_keywords: list[Keyword] = Field(
        default_factory=list,
        description="Filter out mentions with any of these words or phrases (whole words, any case or accents).",
        examples=[["giveaway", "winactie", "vacature"]],
    )
    include_patterns: list[Pattern] = Field(
        default_factory=list,
        description="Regular expressions: like include_keywords, for what words cannot say.",
        examples=[[r"\bKL\s?\d{3,4}\b"]],
    )
    exclude_patterns: list[Pattern] = Field(
        default_factory=list,
        description="Regular expressions: like exclude_keywords, for what words cannot say.",
        examples=[[r"\b(promo|kortings)code\b"]],
    )
    exclude_authors: list[str] = Field(
        default_factory=list,
        description="Handles (without @) whose mentions are filtered out: bots, partners, known spammers.",
        examples=[["dealbot", "tulpair_fanclub"]],
    )
    languages: list[Language] = Field(
        default_factory=list,
        description="Keep only mentions in these languages (nl, en); empty keeps all. "
        "A mention whose language is unknown is kept.",
        examples=[["nl", "en"]],
    )
    exclude_reposts: bool = Field(
        default=False, description="Filter out reposts (retweets): their authors rarely wait for an answer."
    )
    min_text_length: int = Field(
        default=0, ge=0, le=1000,
        description="Filter out mentions with fewer characters than this, not counting @handles and links.",
        examples=[3],
    )

    @field_validator("exclude_authors")
    @classmethod
    def _strip_at(cls, v: list[str]) -> list[str]:
        return [h.strip().lstrip("@") for h in v if h.strip()]


class PriorityRule(_Section):
    """Words that raise a queued mention's priority (never lower it): the brand's own emergencies."""

    name: str = Field(min_length=1, description="What the rule is about; agents see it as the reason.",
                      examples=["medical"])
    raise_to: Priority = Field(
        description="The priority a matching mention is raised to.", examples=[Priority.URGENT]
    )
    languages: list[Language] = Field(
        default_factory=list,
        description="Apply only to mentions in these languages; empty (or an unknown language) applies to all.",
        examples=[["nl"]],
    )
    keywords: list[Keyword] = Field(
        default_factory=list, description="Words or phrases (whole words, any case or accents).",
        examples=[["insuline", "rolstoel"]],
    )
    patterns: list[Pattern] = Field(
        default_factory=list, description="Regular expressions, for what words cannot say.",
        examples=[[r"\bvlucht\s+gemist\b"]],
    )

    @model_validator(mode="after")
    def _has_words(self) -> PriorityRule:
        if not (self.keywords or self.patterns):
            raise ValueError(f"rule '{self.name}' needs keywords or patterns (or both)")
        return self
