"""What the parent post adds, measured on the corpus: the training brands' thread replies that carry
`meta.parent_text`, each read by a head that never saw its brand (brands in 4 folds), with their parent and
without it, beside a head that never sees a parent at all. The held-out brands carry no parents, so this
cross-validation stands in for them (`webcare eval FILES --parent` does the same comparison for one head on
files it was not trained on).

    python bench/parent_context.py [--members 2]

Small heads (2 members, the shipped alpha) keep it to a few minutes; the comparison, not the level, is the point.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers import training  # noqa: E402
from classifiers.corpus import Example, read_examples  # noqa: E402
from classifiers.encoder import Encoder  # noqa: E402
from classifiers.evaluation import parent_comparison, scores  # noqa: E402
from classifiers.trained import TrainedClassifier  # noqa: E402
from classifiers.training import corpus_files, fit_head  # noqa: E402

FOLDS = 4


def brand_file(e: Example) -> str:
    return Path(e.source.rsplit(":", 1)[0]).stem


def without_parent(examples: list[Example]) -> list[Example]:
    return [replace(e, mention=replace(e.mention, parent_text=None)) for e in examples]


def decide(clf: TrainedClassifier, examples: list[Example]) -> list[object]:
    by_brand: dict[object, list[int]] = {}
    for i, e in enumerate(examples):
        by_brand.setdefault(e.brand, []).append(i)
    labels: list[object] = [None] * len(examples)
    for brand, idx in by_brand.items():
        for i, d in zip(idx, clf.classify([examples[i].mention for i in idx], brand), strict=True):  # type: ignore[arg-type]
            labels[i] = d.label
    return labels


def line(name: str, figures: dict[str, object]) -> str:
    q = figures["queue"]
    assert isinstance(q, dict)
    return (f"  {name:<34} queue P {q['precision']:.3f} R {q['recall']:.3f} F1 {q['f1']:.3f}   "
            f"to-vs-about {figures['addressee_accuracy']:.3f}   label acc {figures['accuracy']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2, help="networks per head")
    parser.add_argument("--alpha", type=float, default=1.0)
    args = parser.parse_args()
    training.ENSEMBLE = args.members
    examples = list(read_examples(corpus_files()))
    brands = sorted({brand_file(e) for e in examples if e.mention.parent_text})
    folds = [brands[i::FOLDS] for i in range(FOLDS)]
    encoder = Encoder().load()
    replies: list[Example] = []
    read, alone, never = [], [], []
    for fold in folds:
        seen = [e for e in examples if brand_file(e) not in fold]
        held = [e for e in examples if brand_file(e) in fold and e.mention.parent_text]
        clf = TrainedClassifier()
        clf.encoder_ = encoder
        clf.head_ = fit_head(seen, encoder, alpha=args.alpha)
        blind = TrainedClassifier()
        blind.encoder_ = encoder
        blind.head_ = fit_head(without_parent(seen), encoder, alpha=args.alpha)
        replies += held
        read += decide(clf, held)
        alone += decide(clf, without_parent(held))
        never += decide(blind, without_parent(held))
        print(f"fold {', '.join(fold)}: {len(held)} replies", flush=True)
    compared = parent_comparison(replies, read, alone)  # type: ignore[arg-type]
    gold = [e.label for e in replies]
    print(f"\n{len(replies)} thread replies of {len(brands)} brands, each read by a head that never saw its brand:")
    print(line("a head that never sees a parent", scores(gold, never)))  # type: ignore[arg-type]
    print(line("the head, read with the parent", compared["with_parent"]))
    print(line("the same head, without it", compared["without_parent"]))
    print(f"  the parent changed {compared['changed']} labels: {compared['fixed']} to right, {compared['broken']} to wrong")


if __name__ == "__main__":
    main()
