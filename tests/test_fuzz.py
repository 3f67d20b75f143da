"""Generated hostile input (Hypothesis, seeded and bounded, so every run tries the same cases) thrown at the three
parsers of outside input: replay lines, X payloads and config YAML. Nothing escapes as a traceback, and every
valid record around a bad one is stored exactly once."""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.settings import Settings, parse_settings
from bot.errors import ConfigError
from bot.pipeline import Pipeline
from bot.sources.replay import ReplaySource
from bot.sources.x.mapping import BrandAccounts, map_page
from bot.store import Store
from classifiers import RuleClassifier

# derandomize: the same examples on every run (a seeded search), max_examples: a bounded one.
FUZZ = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CONFIG = parse_settings("brand:\n  name: Tulpair\n  handles: [Tulpair]\nclassifier:\n  kind: rules\n")
CLASSIFIER = RuleClassifier().load()

handles = st.text(string.ascii_letters + string.digits + "_éß", min_size=1, max_size=20)
any_text = st.text(max_size=200)  # every code point, lone surrogates included
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=20)


@st.composite
def valid_record(draw: st.DrawFn, number: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "platform": "x", "id": f"9{number:05d}", "author": {"handle": draw(handles), "name": draw(any_text)},
        "text": "@Tulpair " + draw(any_text), "created_at": "2026-11-20T08:00:00Z",
    }
    if draw(st.booleans()):
        record["lang"] = draw(st.sampled_from(["nl", "en", None]))
    return record


# A line that is not a mention: raw bytes (not UTF-8 as often as not), JSON of any shape, or a record with
# one field broken. Never blank and never with a line break inside (either would be a different count of lines).
bad_bytes = st.binary(min_size=1, max_size=300).map(lambda b: b"\xff" + b.replace(b"\n", b"").replace(b"\r", b""))
bad_json = json_values.filter(lambda v: not isinstance(v, dict)).map(
    lambda v: json.dumps(v).encode())
broken_field = st.tuples(st.sampled_from(["id", "created_at", "author", "platform", "handles", "text"]),
                         json_values).map(lambda kv: json.dumps(
                             {"platform": "x", "id": "1", "author": {"handle": "a"}, "text": "hi",
                              "created_at": "2026-11-20T08:00:00Z", kv[0]: kv[1]}).encode())


@st.composite
def replay_file(draw: st.DrawFn) -> tuple[bytes, set[str], int]:
    """The file's bytes, the ids of its valid records, and how many lines are bad."""
    lines: list[bytes] = []
    valid: set[str] = set()
    bad = 0
    for number in range(draw(st.integers(1, 25))):
        if draw(st.integers(0, 3)) == 0:
            line = draw(bad_bytes | bad_json | broken_field)
            if line.strip() and b'"created_at": "2026-11-20T08:00:00Z"' not in line:
                lines.append(line)
                bad += 1
                continue
        record = draw(valid_record(number))
        valid.add(record["id"])
        lines.append(json.dumps(record).encode())
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + b"\n".join(lines) + b"\n", valid, bad


@FUZZ
@given(replay_file())
def test_generated_replay_files_store_every_valid_line_once_and_keep_the_rest_as_rejects(
        case: tuple[bytes, set[str], int]) -> None:
    data, valid, bad = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.jsonl"
        path.write_bytes(data)
        store = Store(Path(folder) / "webcare.db")
        pipeline = Pipeline(store, lambda: CONFIG, CLASSIFIER)
        source = ReplaySource(path, batch_size=7)
        for _ in range(10):  # 25 lines at most, 7 a poll: polled past the end
            result = pipeline.poll(source)
            assert result.error is None
        stored = [r[0] for r in store.db.execute("select id from mentions")]
        broken_ids = {r[0] for r in store.db.execute("select id from mentions where id = '1'")}
        assert sorted(set(stored) - broken_ids) == sorted(valid) and len(stored) == len(set(stored))
        rejects = store.db.execute("select count(*) from rejects").fetchone()[0]
        assert rejects == bad - len(broken_ids)  # a 'broken' field that happened to be valid is a mention
        assert store.mentions.checkpoint("replay") == str(data.count(b"\n"))
        assert store.db.execute("select count(*) from mentions where state = 'pending'").fetchone()[0] == 0
        store.close()


def x_post(number: int, text: str) -> dict[str, Any]:
    return {"id": str(7_000_000 + number), "text": "@Tulpair " + text, "author_id": "1001",
            "created_at": "2026-11-20T09:00:00.000Z",
            "entities": {"mentions": [{"start": 0, "end": 8, "username": "Tulpair"}]}}


junk_post = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(["id", "text", "author_id", "created_at", "entities", "referenced_tweets",
                                     "in_reply_to_user_id", "display_text_range", "lang", "conversation_id"]),
                    json_values, max_size=10),
    st.tuples(st.integers(0, 99), st.sampled_from(["entities", "referenced_tweets", "display_text_range", "lang",
                                                   "in_reply_to_user_id", "conversation_id", "text"]),
              json_values).map(lambda t: {**x_post(100 + t[0], "x"), t[1]: t[2]}),
    st.tuples(st.integers(0, 99), st.lists(json_values, max_size=3)).map(
        lambda t: {**x_post(200 + t[0], "x"), "entities": {"mentions": t[1]}}),
)


@st.composite
def x_page(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    data: list[Any] = []
    valid: set[str] = set()
    for number in range(draw(st.integers(0, 20))):
        if draw(st.integers(0, 2)) == 0:
            data.append(draw(junk_post))
        else:
            post = x_post(number, draw(any_text))
            valid.add(post["id"])
            data.append(post)
    users: Any = draw(st.one_of(
        st.just([{"id": "1001", "username": "sanne_v", "name": "Sanne", "public_metrics": {"followers_count": 3}}]),
        st.lists(st.dictionaries(st.sampled_from(["id", "username", "name", "public_metrics"]), json_values),
                 max_size=3).map(lambda us: [*us, {"id": "1001", "username": "sanne_v"}]),
        # The author of the valid posts themselves with fields of any shape.
        st.dictionaries(st.sampled_from(["username", "name", "public_metrics"]), json_values).map(
            lambda u: [{**u, "id": "1001"}]),
        json_values))
    includes: Any = draw(st.one_of(st.just({"users": users}), json_values,
                                   st.just({"users": users, "tweets": draw(json_values)})))
    return {"data": data, "includes": includes, "meta": {"result_count": len(data)}}, valid


@FUZZ
@given(x_page())
def test_generated_x_pages_map_every_valid_post_once_and_keep_bad_ones_as_rejects(
        case: tuple[dict[str, Any], set[str]]) -> None:
    payload, valid = case
    mentions, rejects = map_page(payload, BrandAccounts.of(["Tulpair"]), "x page 1")
    ids = [m.id for m in mentions]
    assert valid <= set(ids) and len(ids) + len(rejects) == len(payload["data"])
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "webcare.db")
        store.mentions.store_batch("x:mentions:Tulpair", mentions, "1", rejects)
        stored = {r[0] for r in store.db.execute("select id from mentions")}
        assert valid <= stored
        assert store.db.execute("select count(*) from rejects").fetchone()[0] == len(rejects)
        store.close()


VALID_YAML = """\
brand:
  name: Tulpair
  handles: [Tulpair, TulpairHelp]
filters:
  exclude_keywords: &words [giveaway, winactie]
  exclude_authors: *words
routing:
  min_probability: 0.5
"""
noise = st.one_of(st.text(max_size=40), st.sampled_from(
    ["\x00", "\x07", "\t", "[" * 40, "{" * 40, "&a [*a, *a]", "*a", ": :", "- ", "  ", "\n ", "'", '"', "#",
     "!!python/object:os.system", "? ", "<<: *words", "\ufeff", "%YAML 1.1\n", "---\n", "...\n"]))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_YAML)), noise), max_size=6))
def test_generated_config_files_give_settings_or_a_config_error(edits: list[tuple[int, str]]) -> None:
    text = VALID_YAML
    for at, piece in edits:
        text = text[:at] + piece + text[at:]
    try:
        assert isinstance(parse_settings(text, "fuzz.yaml"), Settings)
    except ConfigError as e:
        assert str(e).startswith("fuzz.yaml")
