"""The classifiers: one contract for every classifier, and the real packaged transformer behind the trained one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.mention import Author, Mention, find_handles
from bot.store import Outcome, Store
from classifiers import Brand, Classifier, Label, Priority, RuleClassifier
from classifiers.decision import LABELS
from classifiers.features import FEATURE_NAMES
from classifiers.encoder import DEFAULT_SHA256, Encoder, EncoderError
from classifiers.trained import DEFAULT_HEAD, Head, TrainedClassifier
from classifiers.training import corpus_files, train
from tests.conftest import FIXTURES

BRAND = Brand.of(["Tulpair", "TulpairHelp"], ["Tulpair", "Tulp Air"])


def post(text: str, **flags: bool) -> Mention:
    return Mention("x", "1", text, Author("9", "jan"), datetime(2026, 11, 20, tzinfo=timezone.utc),
                   handles=find_handles(text), **flags)


@pytest.fixture(scope="module")
def trained() -> Iterator[TrainedClassifier]:
    yield TrainedClassifier().load()


@pytest.fixture(params=["rules", "trained"])
def classifier(request: pytest.FixtureRequest) -> Classifier:
    if request.param == "rules":
        return RuleClassifier().load()
    return request.getfixturevalue("trained")  # type: ignore[no-any-return]


CONTRACT_TEXTS = [
    "@Tulpair waar is mijn koffer?", "nooit meer Tulp Air", "🙃🙃🙃 @Tulpair ✈️💔", "@Tulpair 荷物が届きません",
    "@Tulpair почему рейс отменён?", "", "@Tulpair " + "very long complaint " * 300, "<script>alert(1)</script>",
]


def test_contract_n_in_n_out_probabilities_sum_to_one(classifier: Classifier) -> None:
    mentions = [post(t) for t in CONTRACT_TEXTS]
    decisions = classifier.classify(mentions, BRAND)
    assert len(decisions) == len(mentions)
    for d in decisions:
        assert set(d.probabilities) == {label.value for label in Label}
        assert all(0.0 <= p <= 1.0 for p in d.probabilities.values())
        assert abs(sum(d.probabilities.values()) - 1.0) < 1e-5
        assert d.label.value == max(d.probabilities, key=d.probabilities.__getitem__)
        assert isinstance(d.priority, Priority) and d.model_version == classifier.version
    assert classifier.classify([], BRAND) == []


def test_contract_order_is_kept_in_a_batch(classifier: Classifier) -> None:
    mentions = [post(t) for t in CONTRACT_TEXTS]
    one_by_one = [classifier.classify([m], BRAND)[0] for m in mentions]
    batched = classifier.classify(mentions, BRAND)
    for a, b in zip(one_by_one, batched, strict=True):
        assert a.label == b.label
        # bfloat16 arithmetic differs slightly with the batch's padding length; the decision must not.
        assert abs(a.probabilities["queue"] - b.probabilities["queue"]) < 1e-2


def test_packaged_encoder_is_checked_by_sha256_and_gives_unit_vectors() -> None:
    encoder = Encoder().load()
    assert encoder.sha256_ == DEFAULT_SHA256
    vectors = encoder.encode(["@brand waar is mijn koffer?", "@brand where is my suitcase?", "mooie tulpen"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The same question in two languages lies closer than an unrelated post.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_an_encoder_that_is_not_local_is_refused_without_network(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="^cannot load encoder 'some-org/unknown-model' from local files"):
        Encoder("some-org/unknown-model").load()


@pytest.mark.parametrize("text, flags, expected", [
    ("@Tulpair mijn koffer is niet aangekomen op Schiphol, vlucht TP641. Wat nu?", {}, Label.QUEUE),
    ("Dear @Tulpair, you charged my card twice for booking TPX9K2. Please refund it.", {}, Label.QUEUE),
    ("my flight got cancelled and nobody helps, what now?", {"is_direct_message": True}, Label.QUEUE),
    ("@Tulpair thank you so much, the crew on TP212 were lovely!", {}, Label.DIRECT_OTHER),
    ("nooit meer Tulp Air, 4 uur vertraging en geen excuses. echt niet normaal", {}, Label.ABOUT),
    ("heeft iemand anders ook dat de app van @Tulpair eruit ligt?", {}, Label.ABOUT),
    ("RT @petra: nooit meer @Tulpair, 5 uur op Schiphol vast", {"is_repost": True}, Label.ABOUT),
    ("RT @nos: Tulpair schrapt 40 vluchten door staking", {"is_repost": True}, Label.ABOUT),
    ("RT @Tulpair: Vandaag 12 extra vluchten naar Lissabon", {"is_repost": True}, Label.IRRELEVANT),
    ("🚀 BTC giveaway!! claim your free crypto now @Tulpair https://t.co/abc123", {}, Label.IRRELEVANT),
])
def test_trained_classifier_labels_clear_cases(trained: TrainedClassifier, text: str, flags: dict[str, bool],
                                               expected: Label) -> None:
    assert trained.classify([post(text, **flags)], BRAND)[0].label is expected


def thread_reply(text: str, parent: str | None) -> Mention:
    """A reply to our support account's post: X's prefix first, then the customer's words."""
    full = f"@TulpairHelp {text}"
    return Mention("x", "2", full, Author("9", "jan"), datetime(2026, 11, 20, tzinfo=timezone.utc),
                   in_reply_to_post_id="41", is_reply_to_brand=True, handles=find_handles(full, len("@TulpairHelp")),
                   parent_text=parent)


def test_a_reply_is_read_with_the_post_it_replies_to(trained: TrainedClassifier) -> None:
    tried, solved = trained.classify([thread_reply("yes", "Have you tried restarting the app and logging in again?"),
                                      thread_reply("yes", "Is everything sorted now?")], BRAND)
    assert tried.label is Label.QUEUE and solved.label is Label.DIRECT_OTHER
    assert "answers our question or suggestion: the problem is still open" in tried.reasons
    assert "answers our check: it is solved" in solved.reasons
    five, nope = trained.classify([thread_reply("five times now", "Have you tried restarting?"),
                                   thread_reply("nope", "Is it working again now?")], BRAND)
    assert five.label is Label.QUEUE and nope.label is Label.QUEUE
    # Without a parent (a source that lacks it) nothing is read from one.
    [alone] = trained.classify([thread_reply("yes", None)], BRAND)
    assert not any(r.startswith(("answers our", "replies to a")) for r in alone.reasons)


def test_trained_decisions_carry_reasons_and_priority(trained: TrainedClassifier) -> None:
    d = trained.classify([post("@Tulpair we are stranded in Rome with a sick child, we need a flight home today")], BRAND)[0]
    assert d.label is Label.QUEUE and d.priority is Priority.URGENT
    assert "addressed: starts with our handle" in d.reasons
    assert d.reasons[-1] == "the wording reads like a request or complaint to us"
    assert d.model_version.startswith("minilm-")
    assert "someone is stranded (stranded)" in d.priority_reasons


def tiny_head(**changes: object) -> Head:
    """A head over a 4-dimensional "encoder" with random weights: for the arithmetic, not for labels."""
    rng = np.random.default_rng(0)
    width = 2 * 4 + len(FEATURE_NAMES)
    members = (((rng.normal(scale=0.2, size=(width, 3)).astype(np.float32), np.zeros(3, np.float32)),
                (rng.normal(scale=0.5, size=(3, 4)).astype(np.float32), np.zeros(4, np.float32))),)
    return replace(Head(version="t", encoder="e", encoder_sha256=None, feature_names=FEATURE_NAMES,
                        labels=tuple(LABELS), mean=rng.normal(size=width).astype(np.float32),
                        scale=np.ones(width, np.float32), members=members, meta={}, parent_embedding=True), **changes)


def test_a_post_without_a_parent_is_read_on_its_own_text_and_signals() -> None:
    head, rng = tiny_head(), np.random.default_rng(1)
    x = rng.normal(size=(3, head.mean.size)).astype(np.float32)
    other = x.copy()
    other[:, 4:8] = rng.normal(size=(3, 4))  # whatever the parent's block holds ...
    alone = np.zeros(3, dtype=bool)
    assert np.allclose(head.probabilities(x, alone), head.probabilities(other, alone))  # ... it is not read
    first = np.array([True, False, False])
    assert not np.allclose(head.probabilities(x, first)[0], head.probabilities(other, first)[0], atol=1e-4)
    assert np.allclose(head.probabilities(x, first)[1:], head.probabilities(other, first)[1:])


def test_the_queue_weight_shifts_the_queue_probability_and_keeps_the_sum() -> None:
    x = np.random.default_rng(2).normal(size=(5, tiny_head().mean.size)).astype(np.float32)
    plain, cautious = tiny_head().probabilities(x), tiny_head(queue_weight=0.5).probabilities(x)
    queue = LABELS.index(Label.QUEUE)
    assert np.all(cautious[:, queue] < plain[:, queue]) and np.allclose(cautious.sum(axis=1), 1.0)
    assert Head.from_json(tiny_head(queue_weight=0.5).to_json()).queue_weight == 0.5


def test_the_shipped_head_is_small_and_names_its_encoder() -> None:
    assert DEFAULT_HEAD.stat().st_size < 10 * 1024 * 1024
    head = Head.read(DEFAULT_HEAD)
    assert head.encoder_sha256 == DEFAULT_SHA256
    assert head.meta["brands"] and not {"voltraenergy", "streamly", "zonstroom", "pakketpost"} & set(head.meta["brands"])


def test_training_is_reproducible(tmp_path: Path) -> None:
    files = [f for f in corpus_files() if f.stem in ("skylark", "bankje")]
    a = train(files, tmp_path / "a.json", seed=3, alpha=1.0)
    b = train(files, tmp_path / "b.json", seed=3, alpha=1.0)
    ja, jb = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a.version == b.version and ja["members"] == jb["members"]


def test_eval_json_has_the_documented_keys_and_baselines() -> None:
    result = CliRunner().invoke(main, ["eval", str(FIXTURES / "labeled.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"n", "queue", "labels", "addressee_accuracy", "by_lang", "confusion", "baselines"} <= set(report)
    assert report["n"] == 8
    assert set(report["queue"]) == {"precision", "recall", "f1"}
    assert report["labels"]["queue"]["support"] == 3
    assert set(report["baselines"]) == {"all_to_queue", "leading_handle_to_queue"}
    assert report["baselines"]["all_to_queue"]["queue"]["recall"] == 1.0
    assert report["baselines"]["all_to_queue"]["queue"]["precision"] == 0.375
    assert report["priority"]["n"] == 2
    assert set(report["priority"]) == {"n", "accuracy", "within_one_level", "confusion", "queued"}
    # two records carry no `lang`: their language is detected
    assert report["detected_lang"] == 2 and set(report["by_lang"]) == {"en", "nl"}


def test_eval_report_prints_per_label_figures_and_a_confusion_matrix() -> None:
    result = CliRunner().invoke(main, ["eval", str(FIXTURES / "labeled.jsonl"), "--rules"])
    assert result.exit_code == 0, result.output
    assert "rules-1 on" in result.output
    assert "confusion (rows: true label, columns: predicted)" in result.output
    assert "baseline leading_handle_to_queue:" in result.output
    assert "priority of true requests (2): exact" in result.output


def test_eval_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "brand": {"handles": ["X"]}, "label": "maybe"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(bad), "--rules"])
    assert result.exit_code == 1
    assert f"{bad}:1: 'label' must be one of queue, direct_other, about, irrelevant, got 'maybe'" in result.output


def test_train_with_feedback_adds_the_agents_corrections(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    store = Store(load_settings(config).database_path)
    m = post("@Tulpair lol strikes again, nooit meer")
    store.mentions.store_batch("replay", [m], "1")
    store.decisions.record_outcome(m, Outcome("queued", label="queue", priority="normal"))
    store.queue.mark_wrongly_routed(1, "ann", "about")
    store.close()
    out = tmp_path / "head.json"
    result = CliRunner().invoke(main, ["--config", str(config), "train", "--with-feedback",
                                       "--data", str(corpus_files()[0]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "(1 from feedback)" in result.output
    head = Head.read(out)
    assert head.meta["feedback_examples"] == 1 and "tulpair" in head.meta["brands"]


def test_eval_of_an_empty_file_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(empty), "--rules"])
    assert result.exit_code == 1 and f"Error: no labeled records in {empty}" in result.output


def _head_with_delta(tmp_path: Path, delta: dict[str, np.ndarray], sha256: str | None = None) -> Path:
    """The shipped head with `delta` beside it, recorded with `sha256` (default: the file's own)."""
    import hashlib

    from safetensors.numpy import save_file

    save_file(delta, str(tmp_path / "head.encoder-delta.safetensors"))
    sha256 = sha256 or hashlib.sha256((tmp_path / "head.encoder-delta.safetensors").read_bytes()).hexdigest()
    spec = json.loads(DEFAULT_HEAD.read_text(encoding="utf-8"))
    spec["encoder_delta"] = "head.encoder-delta.safetensors"
    spec["encoder_delta_sha256"] = sha256
    (tmp_path / "head.json").write_text(json.dumps(spec), encoding="utf-8")
    return tmp_path / "head.json"


def test_a_fine_tuned_delta_is_laid_over_the_packaged_encoder(tmp_path: Path) -> None:
    plain = Encoder(precision="fp32").load()
    name = "encoder.layer.5.output.LayerNorm.bias"
    bias = dict(plain.model_.named_parameters())[name].detach().numpy().copy()
    head = _head_with_delta(tmp_path, {name: bias + 0.5})
    tuned = TrainedClassifier(head, precision="fp32").load()
    assert tuned.encoder_ is not None and tuned.encoder_.delta_sha256 == json.loads(head.read_text())["encoder_delta_sha256"]
    assert np.allclose(dict(tuned.encoder_.model_.named_parameters())[name].detach().numpy(), bias + 0.5)
    text = ["@Tulpair waar is mijn koffer?"]
    assert not np.allclose(tuned.encoder_.encode(text), plain.encode(text))


def test_a_delta_that_does_not_match_its_head_is_refused(tmp_path: Path) -> None:
    head = _head_with_delta(tmp_path, {"encoder.layer.0.output.LayerNorm.bias": np.zeros(384, np.float32)}, "0" * 64)
    delta = tmp_path / "head.encoder-delta.safetensors"
    with pytest.raises(EncoderError) as e:
        TrainedClassifier(head).load()
    assert str(e.value).startswith(f"{delta} has sha256 ")
    assert str(e.value).endswith(f", expected {'0' * 64}: it does not belong to this head; retrain with 'webcare train'")
