"""List corpus records whose label may break ../shared/LABELING.md, for a human to read and relabel.

Usage: python data/audit_corpus.py [FILE...]   (default: every data/corpus/*.jsonl)

Each suspect is printed as `file:line [signal] label/priority | text`, followed by counts per signal. A signal
is a reason to READ the record, not a verdict: the labeller decides by LABELING.md. Signals:

- lead_handle_about: the author typed the brand's handle first, yet the record is `about` (a leading handle is an
  address unless the post is news with the handle as subject, or a repost).
- vocative_about: "hey/thanks/bedankt/beste @brand", ", @brand." or "@brand?" on an `about` record.
- tail_tag_not_queue: the brand's handle closes the post (after the message) on a complaint or question not
  labelled `queue`.
- name_only_direct: no handle of the brand in the text, no thread, no direct message, labelled queue/direct_other.
- repost_direct: an "RT @x:" / "MT @x" / quoted '“@x: ...”' / trailing "via @x" repost labelled queue/direct_other.
- sarcastic_thanks: thanks together with complaint words, labelled direct_other or about.
- suggestion_queue: a wish or suggestion labelled queue (direct_other unless it reports a problem).
- closing_followup_queue: "works now / gelukt / opgelost / found it" labelled queue.
- peer_question_queue: "anyone / iemand / wie heeft" questions labelled queue.
- handle_in_about: any other `about` record with the brand's handle typed by the author (not a peer question):
  read whether the handle is a name inside a sentence (about) or a tag/address (queue or direct_other).
- thread_followup_about: in reply to the brand (meta) yet `about`, with no other person's handle.
- inherited_handles_mismatch: meta.inherited_handles written with "@" (the loader compares bare handles, so
  such a thread reply would be read as typed by the author).
- priority_missing / priority_on_non_queue / urgent_without_cue / low_with_anger: odd priorities.
"""
from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

HANDLE = re.compile(r"@(\w+)")
NEGATIVE = re.compile(
    r"\b(kapot|stuk|weer|nog steeds|nooit|slecht\w*|waardeloos|belachelijk|schandalig|bagger|drama|vertraging|"
    r"te laat|vast|storing|geen|niks|niets|wtf|gvd|kut|klaar mee|fout|kwijt|verloren|kwijtgeraakt|afgeschreven|"
    r"wachten|wacht|waarom|opzeggen|boete|error|plat|ruk|klote|irritant|shocking|awful|terrible|worst|broken|"
    r"again|still|never|useless|ridiculous|joke|disgrace|cancel\w*|delay\w*|late|lost|charged|refund|waiting|"
    r"wtf|fail\w*|down|crash\w*|sucks?|pathetic|rubbish|stuck|scam|no one|nobody|ever)\b",
    re.IGNORECASE,
)
THANKS = re.compile(r"\b(bedankt|dank(je|jewel| je| jullie)?|thanks?|thank you|thx|merci|top|geweldig|great|"
                    r"cheers|lekker bezig|well done|goed bezig|chapeau)\b", re.IGNORECASE)
SUGGESTION = re.compile(r"\b(zou (het )?(mooi|fijn|leuk|top) zijn|suggestie|idee:|tip:|graag zou|please (add|open|"
                        r"bring|make)|it would be (great|nice)|would love|wish you|zouden jullie .* kunnen (toevoegen|"
                        r"maken)|waarom niet (ook)?|kunnen jullie niet (eens)? ?(een|ook)|ik mis)\b", re.IGNORECASE)
CLOSING = re.compile(r"\b(gelukt|opgelost|doet het weer(?! niet)|werkt (weer|nu)(?! niet)|gevonden|al binnen|is binnen|hoeft niet meer|"
                     r"laat maar|works now|working now|sorted|all good|found it|got it|never ?mind|resolved|"
                     r"fixed now|arrived)\b", re.IGNORECASE)
PEER = re.compile(r"^(anyone|does anyone|has anyone|iemand|wie (heeft|weet|zit|staat|is)|heeft iemand|weet iemand|"
                  r"is it just me|ben ik de enige|zijn er meer)", re.IGNORECASE)
VOCATIVE = re.compile(r"(\b(hey|hi|hoi|hallo|beste|lieve|dear|yo|thanks|thank you|bedankt|dank|dankjewel|nou|help|"
                      r"please|aub|pls|ok|oké)\s*,?\s*@(\w+))|(,\s*@(\w+)\s*[.!?]|@(\w+)\s*\?)", re.IGNORECASE)
URGENT_CUE = re.compile(r"\b(baby|kind|kinderen|dochter|zoon|zoontje|dochtertje|rolstoel|wheelchair|medicij\w*|"
                        r"medicine|insulin\w*|insuline|uitvaart|begrafenis|funeral|bruiloft|wedding|onwel|ambulance|"
                        r"112|911|brand|fire|rook|smoke|gas|lek|leak|veilig\w*|safety|danger|gevaar\w*|alleen|stranded|"
                        r"gestrand|hack\w*|fraud\w*|fraude|phishing|datalek|breach|gestolen|stolen|lastiggevallen|"
                        r"harass\w*|oxygen|zuurstof|zwanger|pregnant|allergi\w*|child|son|daughter|kid|kids|"
                        r"elderly|oudere|opa|oma|nacht|night|stroom|power|verwarming|heating|dialyse|\d+ graden)\b",
                        re.IGNORECASE)
ANGER = re.compile(r"(!!|\?\?|\b[A-Z]{5,}\b|(?i:\b(wtf|gvd|belachelijk|schandalig|never again|nooit meer|klaar mee|"
                   r"overstappen|switching|ridiculous|disgrace)\b))")


def brand_handles(record: dict) -> set[str]:
    return {h.casefold() for h in record["brand"]["handles"]}


def typed_handles(record: dict) -> list[tuple[str, int, int]]:
    """(handle, start, end) of the handles the author typed (the inherited leading ones left out)."""
    inherited = [str(h).lstrip("@").casefold() for h in (record.get("meta") or {}).get("inherited_handles") or []]
    found = [(m.group(1), m.start(), m.end()) for m in HANDLE.finditer(record["text"])]
    skip = 0
    while skip < len(found) and skip < len(inherited) and found[skip][0].casefold() == inherited[skip]:
        skip += 1
    return found[skip:]


def is_repost(record: dict) -> bool:
    text = record["text"].lstrip()
    return bool((record.get("meta") or {}).get("is_repost")) or bool(re.match(r"^(RT|MT)\s+@", text)) \
        or bool(re.match(r"^[\"“]@\w+:", text)) or bool(re.search(r"\bvia @\w+\W*$", text))


def signals(record: dict) -> list[str]:
    """The reasons to read this record again; empty when nothing looks off."""
    text, label, meta = record["text"], record["label"], record.get("meta") or {}
    priority = record.get("priority")
    own = brand_handles(record)
    typed = typed_handles(record)
    ours = [t for t in typed if t[0].casefold() in own]
    others = [t for t in typed if t[0].casefold() not in own]
    inherited_ours = [h for h in meta.get("inherited_handles") or [] if str(h).lstrip("@").casefold() in own]
    thread = bool(meta.get("in_reply_to_brand")) or bool(meta.get("is_direct_message")) or bool(inherited_ours)
    repost = is_repost(record)
    negative = bool(NEGATIVE.search(text))
    question = "?" in text
    found: list[str] = []

    lead = re.match(r"^\W{0,2}@(\w+)", text[len(_inherited_prefix(record)):].lstrip())
    if label == "about" and not repost and lead and lead.group(1).casefold() in own:
        found.append("lead_handle_about")
    if label == "about" and not repost:
        for m in VOCATIVE.finditer(text):
            name = next((g for g in (m.group(3), m.group(5), m.group(6)) if g), "")
            if name.casefold() in own:
                found.append("vocative_about")
                break
    tail = re.search(r"@(\w+)\W*$", text)
    if tail and tail.group(1).casefold() in own and label not in ("queue",) and not repost \
            and (negative or question) and not PEER.search(text.lstrip()):
        found.append("tail_tag_not_queue")
    if label in ("queue", "direct_other") and not ours and not thread:
        found.append("name_only_direct")
    if label in ("queue", "direct_other") and repost:
        found.append("repost_direct")
    if label in ("direct_other", "about") and THANKS.search(text) and negative and ours and not repost:
        found.append("sarcastic_thanks")
    if label == "queue" and SUGGESTION.search(text):
        found.append("suggestion_queue")
    if label == "queue" and CLOSING.search(text):
        found.append("closing_followup_queue")
    if label == "queue" and PEER.search(text.lstrip()):
        found.append("peer_question_queue")
    if label == "about" and ours and not repost and not {"lead_handle_about", "vocative_about"} & set(found) \
            and not PEER.search(text.lstrip()):
        found.append("handle_in_about")
    if label == "about" and meta.get("in_reply_to_brand") and not others:
        found.append("thread_followup_about")
    inherited = [str(h) for h in meta.get("inherited_handles") or []]
    if any(h.startswith("@") for h in inherited):
        found.append("inherited_handles_mismatch")
    if label == "queue" and priority is None:
        found.append("priority_missing")
    if label != "queue" and priority is not None:
        found.append("priority_on_non_queue")
    if priority == "urgent" and not URGENT_CUE.search(text):
        found.append("urgent_without_cue")
    if priority == "low" and ANGER.search(text):
        found.append("low_with_anger")
    return found


def _inherited_prefix(record: dict) -> str:
    """The leading handles the platform put in front of a reply, as they appear in the text."""
    inherited = (record.get("meta") or {}).get("inherited_handles") or []
    text = record["text"]
    pos = 0
    for handle in inherited:
        m = re.match(r"\s*@" + re.escape(str(handle).lstrip("@")) + r"\b", text[pos:], re.IGNORECASE)
        if not m:
            break
        pos += m.end()
    return text[:pos]


def main(paths: list[str]) -> None:
    files = [Path(p) for p in paths] or sorted(CORPUS.glob("*.jsonl"))
    counts: collections.Counter[str] = collections.Counter()
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            for signal in signals(record):
                counts[signal] += 1
                print(f"{path.name}:{n} [{signal}] {record['label']}/{record.get('priority', '-')} | {record['text']}")
    for signal, count in counts.most_common():
        print(f"{count:5d} {signal}")


if __name__ == "__main__":
    main(sys.argv[1:])
