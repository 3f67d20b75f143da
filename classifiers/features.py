"""The signals a person would read in a mention: who it addresses (platform structure) and what it says (cues in
Dutch and English). Each signal has a name, a value and, when it fires, a reason in an agent's words.

The rule classifier decides on these alone; the trained classifier feeds them beside the text encoder.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.mention import Mention
from bot.text.folding import fold
from bot.text.phrases import word_pattern
from classifiers.decision import Brand

__all__ = ["FEATURE_NAMES", "PARENT_FEATURES", "Signals", "extract", "normalise_text", "word_pattern"]

_LINK = re.compile(r"https?://\S+|www\.\S+|\{link\}", re.I)
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")
# The same, with what may qualify it on Mastodon and Bluesky: @tulpair@mastodon.social, @tulpair.bsky.social.
_QUALIFIED_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})(@[\w-]+(?:\.[\w-]+)+|(?:[\w-]*\.[\w-]+)+)?")


SECOND_PERSON = word_pattern(
    "you", "your", "yours", "u", "ur", "ya", "y'all", "youre", "you're", "jullie", "je", "jij", "jou", "jouw",
    "uw", "julie", "jullie's", "ju",
)
THIRD_PERSON = word_pattern(
    "they", "them", "their", "theyre", "they're", "ze", "zij", "hun", "hen", "die lui", "dat bedrijf",
    "this company", "that company", "these guys", "those guys", "die gasten",
)
QUESTION_WORDS = word_pattern(
    "why", "when", "where", "how", "what", "who", "which", "is there", "can i", "do i", "should i", "will i",
    "waarom", "wanneer", "waar", "hoe", "wat", "wie", "welke", "kan ik", "moet ik", "mag ik", "krijg ik",
    "is er", "hoelang", "hoe lang",
)
REQUEST = word_pattern(
    "please", "pls", "plz", "plis", "can you", "could you", "would you", "can u", "could u", "help", "need",
    "i want", "fix", "sort this", "sort it", "refund", "call me", "dm me", "contact me", "get back to me",
    "kunnen jullie", "kun je", "kunt u", "kan je", "kan iemand van jullie", "graag", "svp", "aub", "alsjeblieft",
    "alstublieft", "help", "hulp", "bel me", "neem contact", "oplossen", "los dit op", "terugbetaling",
    "geld terug", "wil ik", "ik wil",
)
COMPLAINT = word_pattern(
    "not working", "doesnt work", "doesn't work", "does not work", "broken", "down", "outage", "delayed",
    "delay", "cancelled", "canceled", "missing", "lost", "never arrived", "still waiting", "still no", "no signal",
    "charged twice", "double charged", "overcharged", "wrong", "terrible", "worst", "awful", "useless",
    "unacceptable", "ridiculous", "disgrace", "joke", "rubbish", "crap", "shit", "scam", "no one", "nobody",
    "hours", "days", "weeks", "again", "error", "failed", "fails", "crash", "crashes", "stuck", "stranded",
    "werkt niet", "doet het niet", "kapot", "storing", "storingen", "vertraagd", "vertraging", "geannuleerd",
    "uitgevallen", "valt uit", "kwijt", "vermist", "niet aangekomen", "nog steeds", "nog altijd", "geen bereik",
    "geen internet", "geen signaal", "dubbel afgeschreven", "twee keer afgeschreven", "te veel betaald",
    "verkeerd", "slecht", "slechtste", "waardeloos", "belachelijk", "schandalig", "onacceptabel", "bagger",
    "klote", "kut", "uur", "dagen", "weken", "weer", "alweer", "foutmelding", "fout", "mislukt", "vast",
    "gestrand", "nooit", "niemand", "wachten", "wacht",
)
PRAISE = word_pattern(
    "thanks", "thank you", "thx", "thnx", "ty", "cheers", "great", "love", "loved", "awesome", "amazing",
    "brilliant", "excellent", "well done", "kudos", "best", "legend", "legends", "props", "appreciate",
    "bedankt", "dank", "dankje", "dankjewel", "dank je", "dank u", "merci", "top", "topper", "toppers", "super",
    "geweldig", "fantastisch", "goed geregeld", "chapeau", "complimenten", "held", "helden", "netjes", "fijn",
    "blij", "opgelost", "solved", "sorted", "fixed",
)
PEER_QUESTION = word_pattern(
    "anyone", "anybody", "does anyone", "has anyone", "is anyone", "anyone else", "is it just me", "just me",
    "who else", "any of you", "guys", "y'all", "iemand", "heeft iemand", "is er iemand", "iemand anders",
    "ligt het aan mij", "ligt het aan mn", "ligt het aan m'n", "wie nog meer", "wie heeft", "mensen", "jongens",
    "iedereen", "followers", "volgers", "tips", "aanrader", "recommend", "should i switch", "overstappen",
)
SPAM = word_pattern(
    "giveaway", "give away", "crypto", "bitcoin", "btc", "eth", "nft", "airdrop", "promo code", "promocode",
    "follow back", "follow me", "free iphone", "gratis iphone", "win", "winnen", "claim now", "claim your",
    "earn", "investment", "invest", "forex", "onlyfans", "dm for", "click here", "klik hier", "link in bio",
    "verdien", "casino", "betting", "100x", "giveaways",
)
NEWS = word_pattern(
    "breaking", "news", "nieuws", "report", "reports", "reported", "according to", "volgens", "announces",
    "announced", "kondigt aan", "maakt bekend", "strike", "staking", "shares", "aandeel", "ceo", "quarterly",
    "kwartaal", "fined", "boete", "investigation", "onderzoek", "press release", "persbericht",
)
# A greeting or address word right before the brand handle: "Dear @X", "hey @X", "Hoi @X", "thanks @X".
VOCATIVE_BEFORE = word_pattern(
    "dear", "hey", "hi", "hello", "hallo", "hoi", "beste", "geachte", "goedemorgen", "goedemiddag", "goedenavond",
    "morning", "good morning", "yo", "thanks", "thank you", "thx", "bedankt", "dank", "dankjewel", "oi",
    "please", "pls", "help", "hulp", "attn",
    at_end=True,
)
# Words that make a vocative only when the handle is set off after them ("so @x, why ...", "dus @x?"):
# "so @x crew are striking" uses the handle as a name.
WEAK_VOCATIVE_BEFORE = word_pattern(
    "ok", "come on", "kom op", "seriously", "serieus", "waarom", "why", "so", "dus", "ey", "he", "hé", "hee",
    at_end=True,
)
# A preposition right before the brand handle: the post talks ABOUT the brand to someone else.
ABOUT_BEFORE = word_pattern(
    "at", "with", "from", "by", "of", "via", "through", "about", "like", "than", "for", "bij", "met", "van",
    "door", "over", "dan", "als", "naar", "voor", "op", "to", "switched to", "overgestapt naar",
    at_end=True,
)

# A problem that is over, or a plain status: "works now", "already sorted", "never mind", "het werkt weer".
CLOSED = word_pattern(
    "works now", "working now", "it worked", "that worked", "this worked", "worked for me", "all good", "all sorted",
    "all fixed", "resolved", "already resolved", "already handled", "already sorted", "sorted now", "sorted it",
    "fixed now", "fixed it", "never mind", "nevermind", "no worries", "no problem", "got it", "found it",
    "it's fine", "its fine", "all fine", "done", "updated", "will do", "will try", "i'll try", "ill try",
    "werkt weer", "werkt nu", "het werkt", "is gelukt", "gelukt", "al opgelost", "al geregeld", "laat maar",
    "geen probleem", "geen zorgen", "komt goed", "ik probeer", "zal ik doen", "gevonden",
)
# A word before a closing phrase that turns it around: "not fixed", "still isn't resolved", "niet gelukt".
_NOT_BEFORE = re.compile(r"(?:\bnot|n't|\bnever|\bno|\bstill|\bniet|\bnog steeds|\bnog niet|\bgeen)\W*(?:\w+\W+)?$")
# Someone else's post passed on or quoted: RT/MT anywhere, a quoted post ("@someone: ...), "via @site".
_QUOTED = re.compile(r"(?:^|\s)(?:RT|MT)\s*:?\s*@\w+|[\"\u201c]\s*@\w+\s*:")
_VIA = re.compile(r"(?<!\w)(?:via|h/t|ht|cc)\s*:?\s*@\w+", re.I)
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# An old-style quote of a post: "@someone: <their words>" at the start of a post.
_LEADING_QUOTE = re.compile(r"\s*@\w+\s*:\s*[\"\u201c']")
# What may follow a tag at the end of a post: other handles, hashtags, links, emoji and punctuation
# ("... arrived broken. wtf @brand #fail https://t.co/x", "... anyone else? @store @brand").
_TAG_TAIL = re.compile(r"(?:https?://\S+|[@#]\w+|[\W_])*+")  # possessive: linear on any text
# Words of news and announcements with the leading handle as their subject: "@Brand buys rival for $2bn".
NEWS_VERB = word_pattern(
    "announces", "announced", "launches", "launched", "unveils", "unveiled", "buys", "bought", "acquires",
    "acquired", "to acquire", "to buy", "to launch", "to open", "to cut", "opens", "opened", "will be", "will launch",
    "will open", "will start", "plans", "reports", "reported", "posts", "raises", "cuts", "hires", "appoints",
    "partners with", "teams up", "releases", "released", "rolls out", "rolling out", "is rolling out", "expands",
    "introduces", "confirms", "confirmed", "kondigt", "lanceert", "koopt", "neemt over", "opent", "meldt",
    "introduceert", "breidt", "schrapt", "verhoogt", "verlaagt",
)

# A verb right after our handle inside a sentence: the handle is the subject of the author's sentence about us
# ("so apparently @brand put a cap on ..."), a name, not an address.
SUBJECT_VERB = word_pattern(
    "is", "was", "are", "were", "has", "had", "have", "will", "would", "should", "could", "can", "did", "does",
    "do", "just", "finally", "really", "still", "never", "always", "needs", "wants", "says", "said", "put", "made",
    "makes", "gave", "gives", "took", "takes", "sent", "sends", "lost", "loses", "charged", "charges", "cancelled",
    "canceled", "delayed", "keeps", "kept", "got", "gets", "decided", "changed", "added", "removed", "raised",
    "figures", "thinks", "knows", "heeft", "gaat", "ging", "zal", "wil", "moet", "kan", "doet", "deed", "zegt",
    "zei", "stuurt", "stuurde", "rekent", "laat", "blijft", "maakt", "krijgt", "wordt", "werd",
)

# What the post it replies to (its parent, when the source has it) says, mostly our own agents' replies: a reply
# to a question or a request for details usually gives them, so the problem is still open ("five times now"
# under "Have you tried restarting?"); a reply to "is everything ok now?" or "we'll be in touch" may close it.
PARENT_ASKS_DETAILS = word_pattern(
    "dm", "dm us", "direct message", "private message", "send us", "message us", "can you tell us", "could you tell us",
    "let us know", "which", "what", "booking reference", "booking ref", "order number", "account number",
    "reference number", "postcode", "post code", "email address", "details", "screenshot", "pb", "privébericht",
    "stuur ons", "stuur je", "laat ons weten", "kun je ons", "kunt u ons", "welke", "klantnummer", "bestelnummer",
    "ordernummer", "boekingsnummer", "gegevens",
)
PARENT_SUGGESTS_FIX = word_pattern(
    "have you tried", "did you try", "try", "restart", "reboot", "reinstall", "clear", "log out", "sign out",
    "update", "unplug", "switch off", "turn off", "heb je", "heeft u", "probeer", "probeert", "opnieuw opstarten",
    "herstarten", "herstart", "uit de stroom", "uitloggen", "opnieuw installeren", "wissen", "bijwerken",
)
PARENT_CHECKS_RESOLVED = word_pattern(
    "is everything", "is it all", "all sorted", "sorted now", "is it working", "working now", "working again",
    "back to normal", "resolved",
    "glad", "all good", "is het gelukt", "werkt het", "werkt alles", "opgelost", "fijn dat", "is alles",
    "let us know if", "laat maar weten of",
)
# "Anything else we can help with?": here "no" closes the conversation.
PARENT_ANYTHING_ELSE = word_pattern(
    "anything else", "something else", "nog iets", "nog ergens", "verder nog",
)
# A short yes or no at the start of a reply: its meaning is the parent's question's ("yes" to "have you tried
# restarting?" keeps the problem open; "yes" to "is everything working now?" closes it).
REPLY_YES = word_pattern(
    "yes", "yep", "yup", "yeah", "yea", "ya", "sure", "i did", "did that", "done", "already did", "tried", "ja",
    "jep", "jazeker", "zeker", "heb ik", "gedaan", "al gedaan", "geprobeerd", "klopt",
)
REPLY_NO = word_pattern(
    "no", "nope", "nah", "not really", "not yet", "still", "same", "didn't help", "didnt help", "didn't work",
    "didnt work", "no luck", "nee", "neen", "niet echt", "nog niet", "nog steeds", "helaas", "hielp niet",
    "zelfde", "hetzelfde",
)
# Words that say the problem is gone, whatever was asked ("works now", "found it"): narrower than CLOSED, whose
# "done" or "will try" after a request for details means the customer did their part and waits for ours.
SOLVED = word_pattern(
    "works now", "working now", "works again", "working again", "it worked", "that worked", "all good", "all sorted",
    "sorted", "fixed", "solved", "resolved", "found it", "never mind", "nevermind", "nvm", "no longer needed",
    "it's working", "its working", "it works", "it does", "it did", "working fine", "all fine", "that's everything",
    "thats everything", "that's all", "thats all", "that's it", "thats it",
    "werkt weer", "werkt nu", "het werkt", "gelukt", "opgelost", "gevonden", "laat maar", "hoeft niet meer",
)
PARENT_PROMISES = word_pattern(
    "will be in touch", "we'll be in touch", "we will", "we'll", "passed this on", "passed it on", "looking into",
    "our team", "within", "working on", "we hebben", "doorgegeven", "nemen contact", "we kijken", "we gaan",
    "ingepland", "binnen",
)

FEATURE_NAMES: tuple[str, ...] = (
    "is_direct_message", "is_reply_to_brand", "is_repost", "by_brand", "brand_handle_leading",
    "brand_handle_typed", "brand_handle_inherited_only", "brand_vocative", "brand_handle_after_preposition",
    "brand_name_in_text", "no_brand_reference", "second_person", "third_person", "question", "request",
    "complaint", "praise", "peer_question", "spam", "news", "other_handles", "has_link", "is_reply",
    "brand_handle_at_end", "repost_of_brand",
    "brand_in_leading_handles", "leading_other_handle", "quotes_a_post", "via_handle", "brand_hashtag",
    "hashtags", "closed", "many_handles", "handle_as_subject", "brand_handle_as_subject", "only_handles",
    "has_parent", "parent_question", "parent_asks_details", "parent_suggests_fix", "parent_checks_resolved",
    "parent_promises", "answer_keeps_open", "answer_closes",
)
# The signals read from the parent: zero for a post without one.
PARENT_FEATURES = FEATURE_NAMES[FEATURE_NAMES.index("has_parent"):]


@dataclass(frozen=True)
class Signals:
    values: dict[str, float]
    reasons: dict[str, str]  # feature name -> reason in an agent's words, for the features that fired

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def vector(self) -> list[float]:
        return [self.values[n] for n in FEATURE_NAMES]


def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    names = tuple(n for n in names if n.strip())
    if not names:
        return None
    return word_pattern(*names)


def normalise_text(text: str, brand: Brand) -> str:
    """The text as the text model sees it: our handles become @brand, our names BRAND, other handles @user,
    links http. One model then serves every brand and never learns a brand's name."""
    own = {h.casefold() for h in brand.handles}

    def handle(m: re.Match[str]) -> str:
        local, qualifier = m.group(1), m.group(2) or ""
        if qualifier and (local + qualifier).casefold() in own:  # a qualified handle of ours
            return "@brand"
        return ("@brand" if local.casefold() in own else "@user") + qualifier

    # Older clients and exports leave HTML entities ("&amp;") and placeholders ("{link}") in the text.
    text = _LINK.sub("http", html.unescape(text))
    text = _QUALIFIED_HANDLE.sub(handle, text)
    for name in sorted(brand.names, key=len, reverse=True):
        if name.strip():
            text = re.sub(rf"(?<![\w@]){re.escape(name)}(?!\w)", "BRAND", text, flags=re.I)
    return text


def extract(mention: Mention, brand: Brand) -> Signals:
    own = {h.casefold() for h in brand.handles}
    accounts = own | {a.casefold() for a in brand.own_accounts}
    text = mention.text
    v: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0)
    why: dict[str, str] = {}

    def fire(name: str, reason: str, value: float = 1.0) -> None:
        v[name] = value
        if reason:
            why[name] = reason

    typed = [h for h in mention.handles if h.typed_by_author]
    brand_typed = [h for h in typed if h.handle.casefold() in own]
    brand_inherited = [h for h in mention.handles if not h.typed_by_author and h.handle.casefold() in own]

    if mention.is_direct_message:
        fire("is_direct_message", "addressed: direct message to us")
    if mention.is_reply_to_brand:
        fire("is_reply_to_brand", "addressed: reply to our post")
    if mention.in_reply_to_post_id or mention.handles and not mention.handles[0].typed_by_author:
        fire("is_reply", "")
    repost = re.match(r"\s*RT\s+@(\w+)", text)
    if mention.is_repost or repost:
        if repost and repost.group(1).casefold() in own:
            fire("repost_of_brand", "repost of our own post")
        else:
            fire("is_repost", "repost: passes on someone else's post")
    if mention.author.handle.casefold() in accounts:
        fire("by_brand", "our own post")

    # The first thing the author typed (after the reply prefix) is our handle: "@Brand my bag is lost".
    prefix_end = max((h.end for h in mention.handles if not h.typed_by_author), default=0)
    head = text[prefix_end:]
    stripped = len(head) - len(head.lstrip(" .\u00a0\t\n"))
    first = next((h for h in typed if h.start >= prefix_end), None)
    if first is not None and first.start == prefix_end + stripped and first.handle.casefold() in own:
        fire("brand_handle_leading", "addressed: starts with our handle")
    if brand_typed:
        fire("brand_handle_typed", "")
    elif brand_inherited:
        fire("brand_handle_inherited_only", "our handle only comes from the thread, not typed")
    for h in brand_typed:
        before = fold(text[max(0, h.start - 25) : h.start]).rstrip(" ,:;-")
        tail = text[h.end : h.end + 2]
        set_off = tail[:1] in {",", ":", "?", "!"} or not text[h.end :].strip()
        if VOCATIVE_BEFORE.search(before[-16:]) or (WEAK_VOCATIVE_BEFORE.search(before[-16:]) and set_off) or (
            h is not first and tail[:1] in {",", ":"}
        ):
            fire("brand_vocative", "addressed: speaks to us by handle")
        if ABOUT_BEFORE.search(before[-20:]):
            fire("brand_handle_after_preposition", "third person: mentions us in passing (\"at @us\")")
        # A tag after the message ("arrived broken. wtf @brand #fail"): words come before it, none after.
        if re.search(r"\w", _HANDLE.sub(" ", text[prefix_end : h.start])) and _TAG_TAIL.fullmatch(text[h.end :]):
            fire("brand_handle_at_end", "addressed: tags us after the message")
        words_before = before.strip() != "" and not v["brand_vocative"]
        if h.start != prefix_end + stripped and words_before and SUBJECT_VERB.match(fold(text[h.end :]).lstrip(" ")):
            fire("brand_handle_as_subject", "third person: our handle is the subject of a sentence about us")

    # The run of handles the post starts with (a thread's participants, typed or inherited): our handle among
    # them means the post is said in a conversation we are in, even when another handle comes first.
    lead = re.match(r"\s*[.]?((?:@\w{1,50}[\s,:]*)+)", text)
    lead_handles = [h.casefold() for h in _HANDLE.findall(lead.group(1))] if lead else []
    if lead_handles and lead_handles[0] not in own:
        fire("leading_other_handle", "")
        if own & set(lead_handles):
            fire("brand_in_leading_handles", "addressed: our handle is among those the post starts with")
    if v["brand_handle_leading"] and NEWS_VERB.match(fold(text[first.end:]).lstrip(" :") if first else ""):
        fire("handle_as_subject", "reads like news with our handle as its subject")
    if (_QUOTED.search(text) or _LEADING_QUOTE.match(text)) and not v["repost_of_brand"]:
        fire("quotes_a_post", "passes on or quotes someone's post")
    if _VIA.search(text):
        fire("via_handle", "")
    tags = [fold(t) for t in _HASHTAG.findall(text)]
    if tags:
        fire("hashtags", "", min(len(tags), 5) / 5)
        brand_words = {fold(re.sub(r"\W", "", n)) for n in (*brand.names, *brand.handles) if n.strip()}
        if brand_words & set(tags):
            fire("brand_hashtag", "names us in a hashtag")
    others_all = {h.casefold() for h in _HANDLE.findall(text)} - own
    if len(others_all) >= 3:
        fire("many_handles", "", min(len(others_all), 6) / 6)

    names = _name_pattern(brand.names)
    if names is not None and names.search(fold(_HANDLE.sub(" ", text))):
        fire("brand_name_in_text", "names us without a handle")
    if not (
        brand_typed or brand_inherited or v["brand_name_in_text"] or v["brand_hashtag"] or mention.is_direct_message
        or mention.is_reply_to_brand
    ):
        fire("no_brand_reference", "no reference to us")

    body = fold(_HANDLE.sub(" ", _LINK.sub(" ", text[prefix_end:])))
    if not re.search(r"\w", body):
        fire("only_handles", "says nothing beside handles and links")
    if SECOND_PERSON.search(body):
        fire("second_person", "speaks to us (you, jullie)", min(len(SECOND_PERSON.findall(body)), 3) / 3)
    if THIRD_PERSON.search(body):
        fire("third_person", "third person: talks about us", min(len(THIRD_PERSON.findall(body)), 3) / 3)
    if "?" in body or QUESTION_WORDS.match(body.strip()):
        fire("question", "asks a question")
    if REQUEST.search(body):
        fire("request", "asks for something")
    if COMPLAINT.search(body):
        fire("complaint", "complains or reports a problem", min(len(COMPLAINT.findall(body)), 3) / 3)
    def affirmed(pattern: re.Pattern[str]) -> bool:
        """Some match of `pattern` not turned around by a negation before it ("not fixed", "niet gelukt")."""
        return any(not _NOT_BEFORE.search(body[max(0, m.start() - 20) : m.start()]) for m in pattern.finditer(body))

    if affirmed(PRAISE):
        fire("praise", "thanks or praise")
    if affirmed(CLOSED):
        fire("closed", "says the problem is over or gives a status")
    if PEER_QUESTION.search(body):
        fire("peer_question", "asks others, not us")
    if SPAM.search(body):
        fire("spam", "looks like spam or a giveaway")
    if NEWS.search(body):
        fire("news", "reads like news")
    others = {h.handle.casefold() for h in typed} - own
    if others:
        fire("other_handles", "", min(len(others), 3) / 3)
    if _LINK.search(text):
        fire("has_link", "")
    if mention.parent_text:
        _parent_signals(fold(_LINK.sub(" ", mention.parent_text)), body.strip(" .,!?:;-"), v, fire)
    return Signals(v, why)


_PARENT_CUES = (
    ("parent_asks_details", PARENT_ASKS_DETAILS, "replies to a request for details"),
    ("parent_suggests_fix", PARENT_SUGGESTS_FIX, "replies to a suggested fix"),
    ("parent_checks_resolved", PARENT_CHECKS_RESOLVED, "replies to a check whether it is solved"),
    ("parent_promises", PARENT_PROMISES, "replies to a promise to follow up"),
)


def _parent_signals(parent: str, reply: str, v: dict[str, float], fire: Callable[[str, str], None]) -> None:
    """What the parent asked or said, and what the reply makes of it (LABELING.md step 2: a follow-up that keeps
    a problem open is a request; one that closes it is not)."""
    fire("has_parent", "")
    if "?" in parent:
        fire("parent_question", "replies to a question")
    for name, pattern, reason in _PARENT_CUES:
        if pattern.search(parent):
            fire(name, reason)
    yes, no, solved = bool(REPLY_YES.match(reply)), bool(REPLY_NO.match(reply)), bool(SOLVED.search(reply))
    if PARENT_ANYTHING_ELSE.search(parent):
        if (no or solved) and not v["complaint"]:
            fire("answer_closes", "answers our check: it is solved")
    elif v["parent_checks_resolved"]:
        if solved or (yes and not no and not v["complaint"]):
            fire("answer_closes", "answers our check: it is solved")
        elif no:
            fire("answer_keeps_open", "answers our check: it is not solved")
    elif v["parent_suggests_fix"] and (yes or no or v["complaint"]) and not solved and not v["praise"]:
        # "yes, twice" or "still the same" to "have you tried restarting?": the customer tried and the problem
        # stays. A plain "ok, will try" is not an answer of this kind.
        fire("answer_keeps_open", "answers our question or suggestion: the problem is still open")
