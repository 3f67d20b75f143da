"""`webcare eval` for error analysis: figures per group of a `meta` key, brands known by name only, and the
mistakes the classifier was surest of, with its reasons. The trained classifier here is the real shipped one."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

TULPAIR = {"handles": ["Tulpair"], "names": ["Tulpair", "Tulp Air"]}


def write_records(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def record(text: str, label: str, source: str | None = None, brand: dict[str, list[str]] | None = None,
           **meta: object) -> dict[str, object]:
    if source is not None:
        meta["source"] = source
    return {"text": text, "brand": brand or TULPAIR, "label": label, "lang": "en", "meta": meta}


def test_eval_by_a_meta_key_gives_the_figures_of_each_group(tmp_path: Path) -> None:
    data = write_records(tmp_path / "set.jsonl", [
        record("@Tulpair where is my bag? flight TP641", "queue", "forum", id=1),
        record("@Tulpair my flight is cancelled, what now?", "queue", "forum", id=2),
        record("never flying Tulp Air again, lost my bag", "about", "news", id=3),
        record("Tulp Air opens a route to Lisbon next spring", "about", "news", id=4),
        record("@Tulpair the app keeps crashing at check-in", "queue", id=5),
    ])
    result = CliRunner().invoke(main, ["eval", str(data), "--by", "source", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["by"]["key"] == "source"
    groups = report["by"]["groups"]
    assert set(groups) == {"forum", "news", "(none)"}
    assert (groups["forum"]["n"], groups["news"]["n"], groups["(none)"]["n"]) == (2, 2, 1)
    assert groups["forum"]["labels"]["queue"]["support"] == 2
    assert groups["news"]["labels"]["about"]["support"] == 2

    text = CliRunner().invoke(main, ["eval", str(data), "--by", "source"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    table = lines.index("by source:")
    assert lines[table + 1].split() == ["group", "n", "queue", "P", "R", "F1", "to-vs-about", "label", "acc"]
    rows = {line.split()[0]: line.split() for line in lines[table + 2 : table + 5]}
    assert set(rows) == {"(none)", "forum", "news"}
    assert rows["forum"][1] == "2" and rows["news"][1] == "2"
    # no true requests in the news group: no recall or F1 to print
    assert rows["news"][3:5] == ["-", "-"]


def test_eval_accepts_a_brand_known_only_by_its_names(tmp_path: Path) -> None:
    data = write_records(tmp_path / "names.jsonl", [
        record("never flying Tulp Air again, third lost bag this year", "about",
               brand={"names": ["Tulp Air", "Tulpair"]}),
        record("the #Tulpair lounge at Schiphol is packed tonight", "about", brand={"names": ["Tulpair"]}),
    ])
    result = CliRunner().invoke(main, ["eval", str(data), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["n"] == 2


def test_eval_refuses_a_brand_with_neither_handles_nor_names(tmp_path: Path) -> None:
    data = write_records(tmp_path / "bad.jsonl", [record("hello", "irrelevant", brand={"handles": [], "names": []})])
    result = CliRunner().invoke(main, ["eval", str(data), "--rules"])
    assert result.exit_code == 1
    assert f"{data}:1: 'brand' must be an object with 'handles' or 'names' (or both)" in result.output


def test_eval_errors_lists_the_surest_mistakes_first_with_their_reasons(tmp_path: Path) -> None:
    # Gold labels that are deliberately wrong, so the rule classifier's (fixed, known) decisions are mistakes.
    data = write_records(tmp_path / "wrong.jsonl", [
        record("@Tulpair where is my bag? please help, flight TP641", "irrelevant"),
        record("@Tulpair thanks, all sorted now", "about"),
        record("@Tulpair where is my bag?", "queue"),
    ])
    result = CliRunner().invoke(main, ["eval", str(data), "--rules", "--errors", "5", "--json"])
    assert result.exit_code == 0, result.output
    errors = json.loads(result.output)["errors"]
    assert [e["where"] for e in errors] == [f"{data}:1", f"{data}:2"]
    assert errors[0]["confidence"] >= errors[1]["confidence"]
    assert errors[0]["true"] == "irrelevant" and errors[0]["predicted"] == "queue"
    assert "addressed: starts with our handle" in errors[0]["reasons"]

    text = CliRunner().invoke(main, ["eval", str(data), "--rules", "--errors", "1"])
    assert text.exit_code == 0, text.output
    assert "the 1 mistake it was surest of:" in text.output
    assert f"{data}:1: irrelevant read as queue (" in text.output
    assert "because: addressed: starts with our handle;" in text.output
    assert f"{data}:2:" not in text.output


def test_eval_parent_compares_the_thread_replies_read_with_and_without_their_parent(tmp_path: Path) -> None:
    reply = {"in_reply_to_brand": True, "inherited_handles": ["Tulpair"]}
    records = [
        record("@Tulpair five times now", "queue", parent_text="Have you tried restarting the app?", **reply),
        record("@Tulpair yep, all good", "direct_other", parent_text="Is everything working again now?", **reply),
        record("@Tulpair where is my bag? flight TP641", "queue"),
    ]
    data = write_records(tmp_path / "threads.jsonl", records)
    result = CliRunner().invoke(main, ["eval", str(data), "--parent", "--json"])
    assert result.exit_code == 0, result.output
    compared = json.loads(result.output)["parent"]
    assert compared["with_parent"]["n"] == compared["without_parent"]["n"] == 2  # only the records with a parent
    assert compared["changed"] >= compared["fixed"] + compared["broken"]

    # "without" is what the classifier says when the source has no parent text: the same records without it.
    alone = write_records(tmp_path / "alone.jsonl", [
        {**r, "meta": {k: v for k, v in r["meta"].items() if k != "parent_text"}}  # type: ignore[attr-defined]
        for r in records[:2]])
    plain = json.loads(CliRunner().invoke(main, ["eval", str(alone), "--json"]).output)
    assert compared["without_parent"]["queue"] == plain["queue"]
    assert compared["without_parent"]["accuracy"] == plain["accuracy"]

    text = CliRunner().invoke(main, ["eval", str(data), "--parent"])
    assert "records with their parent's text (2):" in text.output
    assert "  read with the parent" in text.output and "  read without it" in text.output
    assert "the parent changed " in text.output
