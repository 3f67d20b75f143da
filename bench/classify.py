"""Classifier throughput: mentions per second at batch 1 and 32, peak memory, and, in the same run, the raw
encoder's forward pass (tokenizer + transformer, no features, no head) at the same batch, as a ratio. One mention
in six is a thread reply that carries its parent's text, which the classifier encodes too (the raw encoder reads
the posts only).

The ratio compares like with like: the raw encoder at the precision the classifier uses (bf16 where the CPU has
it natively). The plain float32 forward pass is printed beside it for reference.

    python bench/classify.py [--n 512]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.corpus import read_examples  # noqa: E402
from classifiers.encoder import Encoder  # noqa: E402
from classifiers.features import normalise_text  # noqa: E402
from classifiers.trained import TrainedClassifier  # noqa: E402
from classifiers.training import corpus_files  # noqa: E402


PARENT_EVERY = 6


def rates(runs: dict[str, tuple], batch: int, repeat: int = 3) -> dict[str, float]:  # type: ignore[type-arg]
    """Items per second of each (fn, items) in `runs`, in batches of `batch`: the best of `repeat` rounds, the
    runs taking turns within each round, so a neighbour's load on a shared machine falls on all of them alike
    rather than on whichever ran during it."""
    best = dict.fromkeys(runs, 0.0)
    for _ in range(repeat):
        for name, (fn, items) in runs.items():
            started = time.perf_counter()
            for i in range(0, len(items), batch):
                fn(items[i : i + batch])
            best[name] = max(best[name], len(items) / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=512, help="mentions per measurement")
    args = parser.parse_args()
    examples = list(read_examples(corpus_files(part="test")))[: args.n]
    brand = examples[0].brand
    # Thread replies carry the post they reply to: every PARENT_EVERY-th mention gets a parent from the corpus
    # (mostly our agents' replies; several replies share one, as in a real thread).
    parents = [e.mention.parent_text for e in read_examples(corpus_files()) if e.mention.parent_text]
    mentions = [replace(e.mention, parent_text=parents[(i // PARENT_EVERY // 2) % len(parents)])
                if parents and i % PARENT_EVERY == 0 else e.mention for i, e in enumerate(examples)]
    clf = TrainedClassifier().load()
    encoder = clf.encoder_
    assert encoder is not None
    fp32 = Encoder(precision="fp32").load()
    # The raw encoder reads what the classifier's encoder reads (handles and links as placeholders), so the ratio
    # is the cost of our signals and head, not of the texts' lengths.
    texts = [normalise_text(m.text, brand) for m in mentions]
    clf.classify(mentions[:64], brand)  # warm up
    figures: dict[str, object] = {"precision": encoder.precision_}
    for batch in (1, 32):
        n = min(len(mentions), 128 if batch == 1 else len(mentions))
        measured = rates({
            "ours": (lambda ms: clf.classify(ms, brand), mentions[:n]),
            "raw": (lambda ts: encoder._forward(list(ts)), texts[:n]),
            "raw32": (lambda ts: fp32._forward(list(ts)), texts[:n]),
        }, batch)
        ours, raw, raw32 = measured["ours"], measured["raw"], measured["raw32"]
        figures[f"batch_{batch}"] = {"classifier_per_s": round(ours, 1), "raw_encoder_per_s": round(raw, 1),
                                     "ratio": round(ours / raw, 3), "raw_fp32_per_s": round(raw32, 1)}
    figures["with_parent"] = round(sum(bool(m.parent_text) for m in mentions) / len(mentions), 3)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["model"] = clf.version
    for batch in (1, 32):
        f = figures[f"batch_{batch}"]
        assert isinstance(f, dict)
        print(f"batch {batch:>2}: classifier {f['classifier_per_s']:7.1f}/s   raw encoder forward "
              f"({encoder.precision_}) {f['raw_encoder_per_s']:7.1f}/s   ratio {f['ratio']:.2f}   "
              f"(raw fp32 forward {f['raw_fp32_per_s']:.1f}/s)")
    print(f"peak memory: {figures['peak_rss_mb']} MB (both encoders loaded)   model {figures['model']}   "
          f"{figures['with_parent']:.0%} of the mentions carry a parent")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
