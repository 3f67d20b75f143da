"""`webcare eval`: how well a classifier separates "to" from "about" and finds what needs care, on a labeled
file, beside two baselines: "every mention goes to the queue" (what inbox tools do) and "a leading @handle goes
to the queue". Records without a language are detected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.vocabulary import PRIORITIES, OutcomeKind
from classifiers.corpus import Example
from classifiers.decision import LABELS, Decision, Label
from classifiers.features import extract

__all__ = ["BASELINES", "confident_mistakes", "detect_languages", "evaluate", "format_report", "parent_comparison",
           "scores"]

ADDRESSED = {Label.QUEUE, Label.DIRECT_OTHER}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def scores(gold: Sequence[Label], pred: Sequence[Label]) -> dict[str, Any]:
    """Per-label and queue-versus-rest precision, recall, F1; to-versus-about accuracy; the confusion matrix."""
    n = len(gold)
    labels: dict[str, Any] = {}
    for lab in LABELS:
        tp = sum(g is lab and p is lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g is not lab and p is lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g is lab and p is not lab for g, p in zip(gold, pred, strict=True))
        labels[lab.value] = {**_prf(tp, fp, fn), "support": sum(g is lab for g in gold)}
    confusion = {g.value: {p.value: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g.value][p.value] += 1
    addressed_right = sum((g in ADDRESSED) == (p in ADDRESSED) for g, p in zip(gold, pred, strict=True))
    return {
        "n": n,
        Label.QUEUE: {k: v for k, v in labels[Label.QUEUE].items() if k != "support"},
        "labels": labels,
        "addressee_accuracy": round(addressed_right / n, 4) if n else 0.0,
        "accuracy": round(sum(g is p for g, p in zip(gold, pred, strict=True)) / n, 4) if n else 0.0,
        "confusion": confusion,
    }


def _leading_handle(e: Example) -> Label:
    return Label.QUEUE if extract(e.mention, e.brand)["brand_handle_leading"] else Label.ABOUT


BASELINES: dict[str, Callable[[Example], Label]] = {
    "all_to_queue": lambda e: Label.QUEUE,
    "leading_handle_to_queue": _leading_handle,
}


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 codes for texts whose records carry no `lang` (lingua: accurate on short posts, offline)."""
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(
        Language.DUTCH, Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH
    ).build()
    found = detector.detect_languages_in_parallel_of(list(texts))
    return [lang.iso_code_639_1.name.lower() if lang else "und" for lang in found]


def priority_scores(examples: Sequence[Example], predicted: Sequence[str],
                    labels: Sequence[Label] | None = None) -> dict[str, Any] | None:
    """For gold `queue` records that carry a priority: exact accuracy, accuracy within one level, and the
    confusion of priorities (rows: true). With the predicted `labels`, also the figures on the requests the
    classifier queued (a request it missed gets no priority, which the first figures count as wrong)."""
    order = [p.value for p in PRIORITIES]
    picked = [i for i, e in enumerate(examples) if e.label is Label.QUEUE and e.priority in order]
    if not picked:
        return None

    def figures(idx: list[int]) -> dict[str, Any]:
        pairs = [(str(examples[i].priority), predicted[i]) for i in idx]
        return {
            "n": len(pairs),
            "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0,
            "within_one_level": round(sum(abs(order.index(g) - order.index(p)) <= 1 for g, p in pairs) / len(pairs),
                                      4) if pairs else 0.0,
        }

    confusion = {g: {p: 0 for p in order} for g in order}
    for i in picked:
        confusion[str(examples[i].priority)][predicted[i]] += 1
    out = {**figures(picked), "confusion": confusion}
    if labels is not None:
        out[OutcomeKind.QUEUED] = figures([i for i in picked if labels[i] is Label.QUEUE])
    return out


def group_scores(examples: Sequence[Example], predicted: Sequence[Label], key: str) -> dict[str, Any]:
    """The figures per value of `meta[key]` (records without it form the group "(none)"), without confusion
    matrices, with priority figures where the group has prioritised requests."""
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        value = e.meta.get(key)
        groups.setdefault("(none)" if value is None else str(value), []).append(i)
    out = {}
    for value in sorted(groups):
        idx = groups[value]
        figures = scores([examples[i].label for i in idx], [predicted[i] for i in idx])
        figures.pop("confusion")
        out[value] = figures
    return out


def confident_mistakes(examples: Sequence[Example], decisions: Sequence[Decision], n: int) -> list[dict[str, Any]]:
    """The `n` wrong decisions the classifier was surest of, surest first, with what it read in the post: for
    error analysis (what kind of post fools it, and why)."""
    wrong = [i for i, (e, d) in enumerate(zip(examples, decisions, strict=True)) if d.label is not e.label]
    wrong.sort(key=lambda i: (-decisions[i].confidence, i))
    return [
        {"where": examples[i].source, "id": examples[i].meta.get("id"), "true": examples[i].label.value,
         "predicted": decisions[i].label.value, "confidence": round(decisions[i].confidence, 4),
         "reasons": list(decisions[i].reasons), "text": examples[i].mention.text}
        for i in wrong[:n]
    ]


def parent_comparison(examples: Sequence[Example], with_parent: Sequence[Label],
                      without_parent: Sequence[Label]) -> dict[str, Any]:
    """For records that carry their parent's text: the figures when the classifier reads the parent and when
    it does not (as from a source that lacks it), and how many labels the parent changed, for better or worse."""
    gold = [e.label for e in examples]

    def brief(pred: Sequence[Label]) -> dict[str, Any]:
        figures = scores(gold, pred)
        return {k: figures[k] for k in ("n", Label.QUEUE, "addressee_accuracy", "accuracy")}

    pairs = list(zip(gold, with_parent, without_parent, strict=True))
    return {
        "with_parent": brief(with_parent), "without_parent": brief(without_parent),
        "changed": sum(w is not o for _, w, o in pairs),
        "fixed": sum(w is g and o is not g for g, w, o in pairs),
        "broken": sum(o is g and w is not g for g, w, o in pairs),
    }


def evaluate(examples: Sequence[Example], predicted: Sequence[Label],
             priorities: Sequence[str] | None = None, by: str | None = None) -> dict[str, Any]:
    """The full report as one JSON-ready dict (the keys of `webcare eval --json`). `priorities`, when given,
    adds the `priority` figures; `by`, a `meta` key, adds the figures per value of that key."""
    langs = [e.lang for e in examples]
    missing = [i for i, lang in enumerate(langs) if not lang]
    if missing:
        for i, lang in zip(missing, detect_languages([examples[i].mention.text for i in missing]), strict=True):
            langs[i] = lang
    gold = [e.label for e in examples]
    report = scores(gold, predicted)
    report["by_lang"] = {
        lang: scores([gold[i] for i in idx], [predicted[i] for i in idx])
        for lang in sorted(set(langs), key=lambda x: (x is None, x))
        if (idx := [i for i, x in enumerate(langs) if x == lang])
    }
    for figures in report["by_lang"].values():
        figures.pop("confusion")
    report["detected_lang"] = len(missing)
    if priorities is not None:
        report["priority"] = priority_scores(examples, priorities, predicted)
    if by is not None:
        report["by"] = {"key": by, "groups": group_scores(examples, predicted, by)}
    report["baselines"] = {}
    for name, rule in BASELINES.items():
        base = scores(gold, [rule(e) for e in examples])
        base["by_lang"] = {
            lang: {k: v for k, v in scores([gold[i] for i in idx], [rule(examples[i]) for i in idx]).items()
                   if k != "confusion"}
            for lang in report["by_lang"]
            if (idx := [i for i, x in enumerate(langs) if x == lang])
        }
        report["baselines"][name] = base
    return report


def format_report(report: dict[str, Any], title: str = "classifier") -> str:
    lines = [f"{title}: {report['n']} mentions"]

    def block(name: str, r: dict[str, Any]) -> None:
        q = r[Label.QUEUE]
        lines.append(f"  {name:<26} queue P {q['precision']:.3f} R {q['recall']:.3f} F1 {q['f1']:.3f}   "
                     f"to-vs-about acc {r['addressee_accuracy']:.3f}   label acc {r['accuracy']:.3f}")

    block("all languages", report)
    for lang, r in report["by_lang"].items():
        block(f"{lang} ({r['n']})", r)
    lines.append("")
    lines.append(f"  {'label':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for lab, r in report["labels"].items():
        lines.append(f"  {lab:<14}{r['precision']:>10.3f}{r['recall']:>8.3f}{r['f1']:>8.3f}{r['support']:>9}")
    lines.append("")
    lines.append("  confusion (rows: true label, columns: predicted)")
    lines.append("  " + " " * 14 + "".join(f"{lab[:12]:>13}" for lab in report["confusion"]))
    for g, row in report["confusion"].items():
        lines.append(f"  {g:<14}" + "".join(f"{v:>13}" for v in row.values()))
    if report.get("by"):
        lines.append("")
        lines.append(f"by {report['by']['key']}:")
        width = max(14, *(len(g) + 2 for g in report["by"]["groups"]))
        lines.append(f"  {'group':<{width}}{'n':>5}{'queue P':>9}{'R':>7}{'F1':>7}{'to-vs-about':>13}{'label acc':>11}")
        for group, r in report["by"]["groups"].items():
            q = r[Label.QUEUE]
            # A group with no true requests has no recall or F1 to speak of; its precision still counts.
            rf = (f"{q['recall']:>7.3f}{q['f1']:>7.3f}" if r["labels"][Label.QUEUE]["support"] else f"{'-':>7}{'-':>7}")
            lines.append(f"  {group:<{width}}{r['n']:>5}{q['precision']:>9.3f}{rf}"
                         f"{r['addressee_accuracy']:>13.3f}{r['accuracy']:>11.3f}")
    for name, base in report.get("baselines", {}).items():
        lines.append("")
        lines.append(f"baseline {name}:")
        block("all languages", base)
        for lang, r in base["by_lang"].items():
            block(f"{lang} ({r['n']})", r)
    if report.get("priority"):
        pr = report["priority"]
        lines.append("")
        lines.append(f"priority of true requests ({pr['n']}): exact {pr['accuracy']:.3f}, "
                     f"within one level {pr['within_one_level']:.3f}")
        if OutcomeKind.QUEUED in pr:
            q = pr[OutcomeKind.QUEUED]
            lines.append(f"  of those it queued ({q['n']}): exact {q['accuracy']:.3f}, "
                         f"within one level {q['within_one_level']:.3f}")
    if report.get("parent"):
        pc = report["parent"]
        lines.append("")
        lines.append(f"records with their parent's text ({pc['with_parent']['n']}):")
        block("read with the parent", pc["with_parent"])
        block("read without it", pc["without_parent"])
        lines.append(f"  the parent changed {pc['changed']} labels: {pc['fixed']} to right, {pc['broken']} to wrong")
    if report.get("detected_lang"):
        lines.append(f"\n(language detected for {report['detected_lang']} records without 'lang')")
    return "\n".join(lines)
