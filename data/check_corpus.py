"""Check a corpus file: valid JSON per line, known labels, counts. Usage: python data/check_corpus.py FILE..."""
import collections, json, sys

LABELS = {"queue", "direct_other", "about", "irrelevant"}
for path in sys.argv[1:]:
    counts, langs, bad = collections.Counter(), collections.Counter(), 0
    texts = set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            assert r["label"] in LABELS, f"label {r['label']!r}"
            assert isinstance(r["text"], str) and r["text"].strip(), "empty text"
            assert r["brand"]["handles"] and r["brand"]["names"], "brand"
            assert r.get("priority") in (None, "urgent", "high", "normal", "low"), "priority"
            assert r["text"] not in texts, "duplicate text"
            texts.add(r["text"])
        except Exception as e:  # noqa: BLE001 - a checking script reports every problem
            bad += 1
            print(f"{path}:{n}: {e}")
            continue
        counts[r["label"]] += 1
        langs[r.get("lang", "?")] += 1
    print(path, sum(counts.values()), dict(counts), dict(langs), "bad:", bad)
