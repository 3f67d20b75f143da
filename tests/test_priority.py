"""Priority that an agent can trust: the level follows LABELING.md, and every reason names its cue in words."""

from __future__ import annotations

import pytest

from classifiers import Priority
from classifiers.priority import assess_priority


@pytest.mark.parametrize("text, level, reason", [
    ("@Tulpair we are stranded in Rome with our two kids, no hotel", Priority.URGENT, "someone is stranded (stranded)"),
    ("@Tulpair my daughter's insulin is in the lost bag", Priority.URGENT, "medicine at stake (insulin)"),
    ("@Tulpair mijn dochter van 3 zit al twee uur te wachten bij de gate, niemand helpt",
     Priority.URGENT, "a child is involved (mijn dochter)"),
    ("@Tulpair my account was hacked and someone booked flights", Priority.URGENT,
     "a security breach or fraud (hacked)"),
    ("@Tulpair you charged me twice for one ticket", Priority.HIGH, "money at stake (charged me twice)"),
    ("@Tulpair flight cancelled and I fly tomorrow morning, what now?", Priority.HIGH,
     "time pressure (tomorrow morning): failing right now"),
    ("@Tulpair third time I ask: where is my refund", Priority.HIGH, "has been waiting or asks again (third time)"),
    ("@Tulpair never again, switching to another airline", Priority.HIGH, "threatens to leave (never again)"),
    ("@Tulpair quick question: is there wifi on the A320?", Priority.LOW,
     "a minor question, no rush (quick question)"),
    ("@Tulpair it would be nice to choose seats in the app", Priority.LOW, "a suggestion (it would be nice)"),
    ("@Tulpair my seat number is missing on the boarding pass", Priority.NORMAL, "an ordinary problem or question"),
])
def test_priority_follows_the_labeling_rules_and_names_the_cue(text: str, level: Priority, reason: str) -> None:
    got, reasons = assess_priority(text)
    assert got is level
    assert reason in reasons


def test_a_family_stranded_with_children_is_urgent_not_low() -> None:
    level, reasons = assess_priority("@Tulpair family of five stuck at the airport overnight, the kids are exhausted")
    assert level is Priority.URGENT
    assert "someone is stranded (stuck at the airport)" in reasons


def test_a_childs_drawing_for_the_crew_is_not_urgent() -> None:
    level, reasons = assess_priority("@Tulpair my son made this drawing for the crew of today's flight to Faro!")
    assert level is not Priority.URGENT and level is not Priority.HIGH
    assert not any("child" in r for r in reasons)


def test_no_reason_is_a_vague_wording_judgement() -> None:
    texts = ["@Tulpair where is my bag", "@Tulpair WHERE IS MY BAG!!!", "@Tulpair baby food in the lost suitcase",
             "@Tulpair geen bereik in de trein vandaag", "@Tulpair waarom is mijn vlucht geannuleerd?"]
    for text in texts:
        _, reasons = assess_priority(text)
        assert reasons and not any("wording" in r for r in reasons), (text, reasons)
