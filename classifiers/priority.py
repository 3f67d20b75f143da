"""How pressing a request is: urgent / high / normal / low, with reasons that name the cue in words ("a child is
involved (kids)", "time pressure (tomorrow)"), in Dutch and English. It follows LABELING.md's priority rules:

- urgent: safety or health at stake, a security breach or fraud, someone stranded, or a vulnerable person (a
  child, medicine, a wheelchair, a wedding or funeral at stake) caught in a problem or asking for help;
- high: strong anger or a threat to leave, money lost or charged wrongly, a repeat contact or long wait, a trip
  or delivery failing right now;
- low: a suggestion, or a question that says it is minor ("quick question", "no rush");
- normal: everything else.

A cue alone does not make a post pressing: a child's drawing for the crew mentions a child but reports no
problem, so it stays as it is. Config can add keywords; the router applies those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text.folding import fold
from bot.text.phrases import word_pattern
from classifiers.decision import Priority
from classifiers.features import COMPLAINT, REQUEST

__all__ = ["assess_priority"]

SAFETY = word_pattern(
    "emergency", "ambulance", "unsafe", "danger", "dangerous", "fire", "on fire", "smoke", "gas leak", "smell gas",
    "heart attack", "seizure", "allergic reaction", "anaphylactic", "unconscious", "bleeding", "injured", "injury",
    "threatened", "assault", "assaulted", "harassed", "suicide", "collapsed", "fainted", "choking",
    "noodgeval", "nood", "onveilig", "gevaar", "gevaarlijk", "in brand", "rook", "gaslek", "ruik gas",
    "hartaanval", "allergische reactie", "bewusteloos", "bloedt", "gewond", "bedreigd", "aangerand",
    "lastiggevallen", "flauwgevallen",
)
BREACH = word_pattern(
    "hacked", "data breach", "data leak", "breach", "identity theft", "fraud", "fraudulent", "scammed", "phishing",
    "someone logged into my account", "account taken over", "unauthorised", "unauthorized", "stolen card",
    "gehackt", "datalek", "fraude", "opgelicht", "identiteitsfraude", "phishing", "onbevoegd",
)
MEDICINE = word_pattern(
    "medicine", "medicines", "medication", "meds", "insulin", "inhaler", "epipen", "oxygen", "dialysis",
    "prescription", "medicijnen", "medicatie", "insuline", "puffer", "zuurstof", "dialyse", "recept",
)
CHILD = word_pattern(
    "baby", "babies", "newborn", "infant", "toddler", "child", "children", "kid", "kids", "my son", "my daughter",
    "my boy", "my girl", "kinderen", "kind", "kindje", "peuter", "mijn zoon", "mijn dochter", "zoontje", "dochtertje",
)
VULNERABLE = word_pattern(
    "wheelchair", "disabled", "disability", "elderly", "pregnant", "blind", "deaf", "mobility", "carer",
    "my mum", "my mom", "my dad", "my grandmother", "my grandma", "grandpa", "90 year old", "rolstoel",
    "gehandicapt", "beperking", "bejaard", "bejaarde", "zwanger", "slechtziend", "doof", "mijn moeder", "mijn vader",
    "oma", "opa",
)
LIFE_EVENT = word_pattern(
    "wedding", "funeral", "passed away", "died", "dying", "hospital", "cancer", "chemo", "honeymoon", "rings",
    "wedding dress", "bruiloft", "trouwen", "trouwjurk", "trouwringen", "begrafenis", "uitvaart", "overleden",
    "ziekenhuis", "kanker", "huwelijksreis", "sick", "ill", "fever", "ziek", "koorts",
)
STRANDED = word_pattern(
    "stranded", "stuck at the airport", "stuck at the station", "stuck at", "nowhere to sleep", "no hotel",
    "sleeping at the airport", "sleep at the airport", "left behind", "gestrand", "vast op", "vast in",
    "nergens om te slapen", "geen hotel", "slapen op het vliegveld", "achtergelaten",
)
MONEY = word_pattern(
    "charged twice", "double charged", "charged me twice", "overcharged", "charged me", "refund", "refunded",
    "money back", "my money", "debited twice", "billed twice", "wrong amount", "stole my money", "compensation",
    "dubbel afgeschreven", "twee keer afgeschreven", "2x afgeschreven", "teveel betaald", "te veel betaald",
    "geld terug", "mijn geld", "terugbetaling", "terugbetaald", "incasso", "deurwaarder", "debt collector",
    "compensatie", "vergoeding",
)
REPEAT = word_pattern(
    "again", "third time", "3rd time", "second time", "fourth time", "still", "still waiting", "for days",
    "for weeks", "weeks", "days", "every time", "everytime", "nobody answers", "no response", "no reply",
    "no answer", "ignored", "ignoring", "how many times", "times now", "keep calling", "on hold",
    "alweer", "weer", "derde keer", "3e keer", "tweede keer", "nog steeds", "nog altijd", "al dagen", "al weken",
    "dagen", "weken", "elke keer", "geen reactie", "geen antwoord", "genegeerd", "negeren", "hoe vaak nog",
    "in de wacht",
)
ANGER = word_pattern(
    "wtf", "fuck", "fucking", "fucked", "shit", "shitty", "bullshit", "crap", "disgrace", "disgraceful",
    "disgusting", "pathetic", "furious", "livid", "angry", "unacceptable", "ridiculous", "joke", "a joke",
    "worst", "appalling", "outrageous", "shocking", "terrible", "horrible", "awful", "incompetent", "idiots",
    "kut", "klote", "godver", "tering", "belachelijk", "schandalig", "onacceptabel", "woedend", "boos",
    "pissed", "bagger", "waardeloos", "bizar", "slechtste", "kansloos", "triest",
)
LEAVING = word_pattern(
    "never again", "never flying", "never using", "never buying", "switching to", "switch to", "cancel my",
    "cancelling my", "canceling my", "lost me as a customer", "lost a customer", "taking my business",
    "going elsewhere", "leaving you", "done with you", "i'm done", "im done", "see you in court", "lawyer",
    "nooit meer", "ik stap over", "overstappen", "opzeggen", "zeg mijn", "advocaat", "klaar mee",
)
TIME_CRITICAL = word_pattern(
    "today", "tonight", "tomorrow", "tomorrow morning", "this morning", "this afternoon", "this evening",
    "right now", "asap", "urgent", "urgently", "boarding now", "is boarding", "now boarding", "at the gate", "departs", "departure", "in an hour",
    "in 2 hours", "in two hours", "my flight is at", "leaving in", "vandaag", "vanavond", "vannacht", "morgen",
    "morgenochtend", "vanochtend", "nu meteen", "nu direct", "zsm", "z.s.m.", "meteen", "direct", "dringend", "spoed", "vertrek",
    "over een uur", "bij de gate", "aan het boarden",
)
SUGGESTION = word_pattern(
    "you should", "you guys should", "it would be nice", "would be nice", "it'd be nice", "would be great",
    "would love", "please add", "can you add", "could you add", "why not", "feature request", "suggestion",
    "i suggest", "idea:", "consider", "i wish", "wish you", "bring back", "zou fijn zijn", "zou mooi zijn",
    "zou handig zijn", "voeg", "toevoegen", "suggestie", "tip", "idee", "waarom niet", "kunnen jullie niet",
    "overweeg",
)
MINOR = word_pattern(
    "just wondering", "quick question", "small question", "no rush", "when you have time", "curious",
    "out of interest", "by the way", "vraagje", "kleine vraag", "geen haast", "benieuwd", "even vragen",
    "wondering", "uit nieuwsgierigheid",
)
# Words that say something is wrong, beside the classifier's complaint vocabulary.
_PROBLEM = re.compile(
    r"(?<!\w)(?:can'?t|cannot|won'?t|didn'?t|doesn'?t|isn'?t|wasn'?t|aren'?t|haven'?t|hasn'?t|not|no|never|"
    r"niet|geen|kan niet|lukt niet|problem|problems|issue|issues|probleem|problemen)(?!\w)"
)
_WAIT_FOR = re.compile(r"\b\d+\s*(?:hours?|hrs?|days?|weeks?|months?|uur|uren|dagen|weken|maanden)\b")


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    reason: str  # "{}" is the words that matched


def _found(cue: _Cue, body: str) -> str | None:
    match = cue.pattern.search(body)
    return cue.reason.format(match.group(0)) if match else None


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6


def assess_priority(text: str) -> tuple[Priority, tuple[str, ...]]:
    """The priority of a request's text and the reasons for it, each naming its cue. Only meaningful for
    queued mentions."""
    body = fold(text)
    problem = bool(COMPLAINT.search(body) or _PROBLEM.search(body) or STRANDED.search(body))
    needs_help = bool(REQUEST.search(body))
    level = Priority.NORMAL
    reasons: list[str] = []

    def raise_to(to: Priority, reason: str | None) -> None:
        nonlocal level
        if reason:
            level = level.raised_to(to)
            reasons.append(reason)

    raise_to(Priority.URGENT, _found(_Cue(SAFETY, "safety or health at risk ({})"), body))
    raise_to(Priority.URGENT, _found(_Cue(BREACH, "a security breach or fraud ({})"), body))
    raise_to(Priority.URGENT, _found(_Cue(STRANDED, "someone is stranded ({})"), body))
    time_pressure = _found(_Cue(TIME_CRITICAL, "time pressure ({})"), body)
    for cue in (_Cue(MEDICINE, "medicine at stake ({})"), _Cue(CHILD, "a child is involved ({})"),
                _Cue(VULNERABLE, "a vulnerable person ({})"),
                _Cue(LIFE_EVENT, "a wedding, funeral or illness at stake ({})")):
        vulnerable = _found(cue, body)
        if vulnerable and (problem or needs_help):
            # A vulnerable person caught in a problem or asking for help is urgent; named in passing, not.
            raise_to(Priority.URGENT, vulnerable)
    raise_to(Priority.HIGH, _found(_Cue(LEAVING, "threatens to leave ({})"), body))
    anger = _found(_Cue(ANGER, "strong anger ({})"), body)
    if anger is None and (_shouting(text) or "!!!" in text):
        anger = "strong anger (shouting)"
    raise_to(Priority.HIGH, anger)
    raise_to(Priority.HIGH, _found(_Cue(MONEY, "money at stake ({})"), body))
    waiting = _found(_Cue(REPEAT, "has been waiting or asks again ({})"), body)
    if waiting is None and (wait := _WAIT_FOR.search(body)):
        waiting = f"has been waiting ({wait.group(0)})"
    raise_to(Priority.HIGH, waiting)
    if time_pressure and problem:
        raise_to(Priority.HIGH, f"{time_pressure}: failing right now")
    if level is Priority.NORMAL:
        suggestion = _found(_Cue(SUGGESTION, "a suggestion ({})"), body)
        minor = _found(_Cue(MINOR, "a minor question, no rush ({})"), body)
        if suggestion or minor:
            level = Priority.LOW
            reasons.append(suggestion or minor or "")
    if not reasons:
        reasons.append("an ordinary problem or question")
    return level, tuple(reasons)
