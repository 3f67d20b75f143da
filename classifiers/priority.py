"""How pressing a request is: urgent / high / normal / low, with the reasons, in Dutch and English.

Safety and health come first, then emotionally loaded situations (a wedding, a funeral, a hospital, a baby,
being stranded), then anger, money and waiting. Config can add keywords; the router applies those.
"""

from __future__ import annotations

import re

from classifiers.decision import Priority
from bot.mention import fold
from classifiers.features import word_pattern

__all__ = ["PRIORITY_CUES", "assess_priority", "priority_cues"]

SAFETY = word_pattern(
    "emergency", "ambulance", "unsafe", "danger", "dangerous", "fire", "smoke", "gas leak", "smell gas",
    "heart attack", "seizure", "allergic", "epipen", "insulin", "medication", "unconscious", "bleeding",
    "threat", "threatened", "assault", "harassed", "fraud", "hacked", "scammed", "identity theft", "stolen",
    "suicide", "noodgeval", "nood", "ambulance", "onveilig", "gevaar", "gevaarlijk", "in brand", "rook", "gaslek",
    "ruik gas", "hartaanval", "aanval", "allergisch", "medicijnen", "medicatie", "insuline", "bewusteloos",
    "bloedt", "bedreigd", "aangerand", "lastiggevallen", "fraude", "gehackt", "opgelicht", "identiteitsfraude",
    "gestolen", "beademing", "zuurstof", "oxygen", "dialysis", "dialyse",
)
EMOTIONAL = word_pattern(
    "wedding", "married", "funeral", "passed away", "died", "dying", "hospital", "baby", "newborn", "pregnant",
    "sick child", "sick kid", "my son", "my daughter", "kids", "stranded", "wheelchair", "disabled", "elderly",
    "my mum", "my mom", "my dad", "grandma", "cancer", "chemo", "rings", "honeymoon", "alone",
    "bruiloft", "trouwen", "trouwringen", "ringen", "begrafenis", "uitvaart", "overleden", "ziekenhuis",
    "zwanger", "ziek kind", "zieke", "ziek", "mijn zoon", "mijn dochter", "kinderen", "gestrand", "rolstoel",
    "gehandicapt", "bejaarde", "mijn moeder", "mijn vader", "oma", "opa", "kanker", "huwelijksreis",
    "sick", "fever", "koorts",
)
MONEY = word_pattern(
    "charged twice", "double charged", "charged me twice", "overcharged", "refund", "money back", "stolen money",
    "debited twice", "dubbel afgeschreven", "twee keer afgeschreven", "2x afgeschreven", "teveel betaald",
    "te veel betaald", "geld terug", "terugbetaling", "incasso", "deurwaarder", "debt collector", "boete",
)
REPEAT = word_pattern(
    "again", "third time", "3rd time", "second time", "still", "still waiting", "for days", "for weeks",
    "weeks", "days", "every time", "nobody answers", "no response", "no reply", "ignored", "ignoring",
    "alweer", "weer", "derde keer", "3e keer", "tweede keer", "nog steeds", "nog altijd", "al dagen", "al weken",
    "dagen", "weken", "elke keer", "geen reactie", "geen antwoord", "genegeerd", "negeren",
)
SWEAR = word_pattern(
    "wtf", "fuck", "fucking", "shit", "bullshit", "crap", "disgrace", "disgusting", "pathetic", "furious",
    "livid", "angry", "unacceptable", "ridiculous", "joke", "kut", "klote", "godver", "tering", "kanker",
    "belachelijk", "schandalig", "onacceptabel", "woedend", "boos", "pissed", "bagger", "waardeloos", "bizar",
    "never again", "nooit meer",
)
TIME_CRITICAL = word_pattern(
    "today", "tonight", "tomorrow", "now", "asap", "right now", "boarding", "gate", "departs", "in an hour",
    "vandaag", "vanavond", "morgen", "nu", "zsm", "z.s.m.", "meteen", "direct", "vertrek", "over een uur",
)
MINOR = word_pattern(
    "just wondering", "quick question", "small question", "no rush", "when you have time", "curious",
    "vraagje", "kleine vraag", "geen haast", "benieuwd", "even vragen", "wondering",
)


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6


def assess_priority(text: str) -> tuple[Priority, tuple[str, ...]]:
    """The priority of a request's text and the reasons for it. Only meaningful for queued mentions."""
    body = fold(text)
    reasons: list[str] = []
    level = Priority.NORMAL
    if SAFETY.search(body):
        level = level.raised_to(Priority.URGENT)
        reasons.append("safety, health or fraud")
    emotional = EMOTIONAL.search(body)
    if emotional:
        reasons.append(f"emotional situation ({emotional.group(0)})")
        urgent_now = TIME_CRITICAL.search(body) or "strand" in body or "gestrand" in body
        level = level.raised_to(Priority.URGENT if urgent_now else Priority.HIGH)
    anger = _shouting(text) or bool(SWEAR.search(body)) or "!!!" in text or text.count("!") >= 3
    if anger:
        level = level.raised_to(Priority.HIGH)
        reasons.append("strong anger")
    if MONEY.search(body):
        level = level.raised_to(Priority.HIGH)
        reasons.append("money at stake")
    if REPEAT.search(body) or re.search(r"\b\d+\s*(hours|hrs|uur|days|dagen|weeks|weken)\b", body):
        level = level.raised_to(Priority.HIGH)
        reasons.append("has been waiting or asks again")
    if level is Priority.NORMAL and MINOR.search(body):
        level = Priority.LOW
        reasons.append("minor question, no rush")
    return level, tuple(reasons)


PRIORITY_CUES: tuple[str, ...] = (
    "safety", "emotional", "money", "repeat", "swear", "time_critical", "minor", "shouting", "exclamations",
)


def priority_cues(text: str) -> list[float]:
    """The cues above as numbers, in PRIORITY_CUES order: the trained priority model reads them beside the
    text embedding."""
    body = fold(text)
    return [
        float(bool(SAFETY.search(body))), float(bool(EMOTIONAL.search(body))), float(bool(MONEY.search(body))),
        float(bool(REPEAT.search(body))), float(bool(SWEAR.search(body))), float(bool(TIME_CRITICAL.search(body))),
        float(bool(MINOR.search(body))), float(_shouting(text)), float(text.count("!") >= 2),
    ]
