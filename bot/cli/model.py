"""`webcare train` and `webcare eval`: fit the classifier's head on our corpus (plus agents' feedback), and
measure a classifier on a labeled file beside two baselines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import click

from bot.cli.app import Context, handles_errors, main, pass_app
from bot.errors import WebcareError
from bot.text.printable import printable, shorten
from classifiers.corpus import CorpusError, Example, example_from_record, read_examples
from classifiers.decision import Brand, Classifier, Decision
from classifiers.trained import DEFAULT_HEAD


def feedback_examples(app: Context) -> list[Example]:
    """Agents' corrections from the queue as labeled examples, in the corpus format."""
    names = list(app.settings.brand.names or [app.settings.brand.name])
    examples = []
    for f in app.store.queue.feedback():
        brand = {"handles": app.settings.brand.handles_on(f.platform), "names": names}
        record = {
            "text": f.text, "brand": brand, "label": f.label.value, "lang": f.lang,
            "meta": {"in_reply_to_brand": f.is_reply_to_brand, "is_direct_message": f.is_direct_message,
                     "is_repost": f.is_repost,
                     "inherited_handles": [h.handle for h in f.handles if not h.typed_by_author],
                     **({"parent_text": f.parent_text} if f.parent_text else {})},
        }
        examples.append(example_from_record(record, f"feedback:{f.id}"))
    return examples


@main.command("train")
@click.option("--data", "files", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
              help="Labeled JSONL files (default: the training brands of data/corpus).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_HEAD, show_default=True,
              help="Where to write the trained head.")
@click.option("--with-feedback", is_flag=True, help="Add the agents' feedback from the queue's database.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--encoder", help="A Hugging Face encoder by local path or id (default: the packaged MiniLM).")
@click.option("--tune-encoder", is_flag=True,
              help="Also fine-tune the encoder's biases and layer norms (a small delta beside the head); slower.")
@pass_app
@handles_errors
def train_cmd(app: Context, files: tuple[Path, ...], out: Path, with_feedback: bool, seed: int,
              encoder: str | None, tune_encoder: bool) -> None:
    """Train the classifier's head (reproducible: same data and seed, same model)."""
    from classifiers.training import corpus_files, train

    extra = feedback_examples(app) if with_feedback else []
    try:
        head = train(list(files) or corpus_files(), out, extra=extra, seed=seed, encoder_name=encoder,
                     tune_encoder=tune_encoder)
    except (CorpusError, ValueError) as e:
        raise WebcareError(str(e)) from None
    click.echo(f"trained {head.version} on {head.meta['examples']} examples ({len(extra)} from feedback) "
               f"in {head.meta['seconds']} s; alpha {head.meta['alpha']} -> {out}")


def _classify(clf: Classifier, examples: Sequence[Example]) -> list[Decision]:
    """Decisions in the examples' order, each brand's mentions classified together."""
    by_brand: dict[Brand, list[int]] = {}
    for i, example in enumerate(examples):
        by_brand.setdefault(example.brand, []).append(i)
    decisions: dict[int, Decision] = {}
    for brand, idx in by_brand.items():
        for i, d in zip(idx, clf.classify([examples[i].mention for i in idx], brand), strict=True):
            decisions[i] = d
    return [decisions[i] for i in range(len(examples))]


@main.command("eval")
@click.argument("files", type=click.Path(exists=True, dir_okay=False, path_type=Path), nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A trained head (default: the one shipped in classifiers/model/).")
@click.option("--rules", is_flag=True, help="Evaluate the rule classifier instead of the trained one.")
@click.option("--by", "by", metavar="KEY", help="Also print the figures per value of this `meta` key (e.g. source).")
@click.option("--errors", "errors", type=click.IntRange(min=0), default=0, metavar="N",
              help="Also print the N mistakes the classifier was surest of, with its reasons.")
@click.option("--parent", "parent", is_flag=True,
              help="Also compare, on the records with meta.parent_text, the labels read with and without it.")
def eval_cmd(files: tuple[Path, ...], as_json: bool, model: Path | None, rules: bool, by: str | None,
             errors: int, parent: bool) -> None:
    """Precision, recall and F1 per label, queue versus rest, to-versus-about accuracy, per language, a
    confusion matrix, and two baselines, for labeled FILES."""
    from classifiers import RuleClassifier
    from classifiers.evaluation import confident_mistakes, evaluate, format_report, parent_comparison
    from classifiers.trained import TrainedClassifier

    try:
        examples = list(read_examples(files))
    except CorpusError as e:
        raise click.ClickException(str(e)) from None
    if not examples:
        raise click.ClickException(f"no labeled records in {', '.join(str(f) for f in files)}")
    clf = RuleClassifier() if rules else TrainedClassifier(model)
    clf.load()
    ordered = _classify(clf, examples)
    report = evaluate(examples, [d.label for d in ordered], [d.priority.value for d in ordered], by=by)
    report["model"] = clf.version
    if parent:
        threads = [i for i, e in enumerate(examples) if e.mention.parent_text]
        alone = _classify(clf, [replace(examples[i], mention=replace(examples[i].mention, parent_text=None))
                                for i in threads])
        report["parent"] = parent_comparison([examples[i] for i in threads], [ordered[i].label for i in threads],
                                             [d.label for d in alone])
    if errors:
        report["errors"] = confident_mistakes(examples, ordered, errors)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(format_report(report, f"{clf.version} on {', '.join(str(f) for f in files)}"))
    if errors:
        n = len(report["errors"])
        click.echo(f"\nthe {n} mistake{'s' if n != 1 else ''} it was surest of:" if n else "\nno mistakes")
        for mistake in report["errors"]:
            click.echo(f"  {mistake['where']}: {mistake['true']} read as {mistake['predicted']} "
                       f"({mistake['confidence']:.2f}): {printable(shorten(mistake['text'], 280))}")
            click.echo(f"      because: {'; '.join(mistake['reasons'])}")
