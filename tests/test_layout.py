"""The tree shows the flow: the README's Layout section names paths that exist, and a package imports only the
packages above it in the flow (DESIGN.md's one-way data flow), read from the source with `ast`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own package and any package in an EARLIER layer; nothing later.
LAYERS: list[set[str]] = [
    {"bot.vocabulary", "bot.errors", "bot.text"},
    {"bot.mention", "bot.redaction", "bot.bounded_http"},
    {"bot.config", "bot.logs"},
    {"bot.sources"},
    {"bot.store"},
    {"bot.filters", "classifiers"},
    {"bot.router", "bot.wiring"},
    {"bot.decide", "bot.export"},
    {"bot.pipeline"},
    {"bot.whatif", "bot.alerts", "bot.ops"},
    {"bot.web"},
    {"bot.daemon"},
    {"bot.cli"},
]
# The classifier knows nothing of the bot but its leaves (DESIGN.md: it imports only the Mention record).
CLASSIFIER_MAY_IMPORT = {"bot.mention", "bot.vocabulary", "bot.text", "classifiers"}
# Leaves import nothing of ours outside themselves.
LEAVES = {"bot.vocabulary", "bot.errors", "bot.text"}


def unit(module: str) -> str:
    """The package a module belongs to for the layering: `bot.store.queue` -> `bot.store`."""
    parts = module.split(".")
    return parts[0] if parts[0] == "classifiers" else ".".join(parts[:2])


def our_modules() -> dict[str, Path]:
    found = {}
    for package in ("bot", "classifiers"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every module of ours that `path` imports, at the top or inside a function (TYPE_CHECKING imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.split(".")[0] in ("bot", "classifiers")}


def layer_of(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    raise AssertionError(f"{name} is in no layer of tests/test_layout.py: add it where it belongs in the flow")


def test_every_package_has_a_place_in_the_flow() -> None:
    for module in our_modules():
        if module not in ("bot",):
            layer_of(unit(module))


def test_a_package_imports_only_what_stands_above_it() -> None:
    wrong = []
    for module, path in our_modules().items():
        if module == "bot":
            continue
        here = unit(module)
        for imported in imports_of(path):
            there = unit(imported)
            if there == here or imported == "bot":
                continue
            if layer_of(there) >= layer_of(here):
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_the_classifier_and_the_leaves_import_only_their_leaves() -> None:
    wrong = []
    for module, path in our_modules().items():
        here = unit(module)
        allowed = CLASSIFIER_MAY_IMPORT if here == "classifiers" else {here} if here in LEAVES else None
        if allowed is None:
            continue
        wrong += [f"{module} imports {i}" for i in imports_of(path) if unit(i) not in allowed]
    assert wrong == []


def test_sql_stays_in_the_store() -> None:
    """All SQL is in bot/store/: no other module imports sqlite_utils or runs a statement."""
    wrong = []
    for module, path in our_modules().items():
        if unit(module) == "bot.store":
            continue
        text = path.read_text(encoding="utf-8")
        if "sqlite_utils" in imports_of_anything(path) or re.search(r"\.execute(many|script)?\(", text):
            wrong.append(module)
    assert wrong == []


def imports_of_anything(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
    return names


def readme_layout() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)^## ", text, re.S | re.M)
    assert match, "README.md has no '## Layout' section"
    return match.group(1)


def test_the_readme_layout_names_paths_that_exist() -> None:
    paths = [p for p in re.findall(r"`([\w./<>-]+)`", readme_layout())
             if p.startswith(("bot/", "classifiers/", "tests/", "run_bot.py"))]
    assert len(paths) >= 20
    # A pattern such as bot/sources/<name>/ names its folder.
    missing = [p for p in paths if not (ROOT / p.split("<")[0]).exists()]
    assert missing == []


@pytest.mark.parametrize("where", ["a source", "a filter", "a page", "a CLI command"])
def test_the_readme_says_where_to_add(where: str) -> None:
    assert f"**{where}**" in readme_layout()


def test_every_package_in_the_tree_is_in_the_readme_layout() -> None:
    """A newcomer sees every top-level part of bot/ in the table: a new package or module must be placed."""
    layout = readme_layout()
    tops = {p.name for p in (ROOT / "bot").iterdir() if p.name != "__init__.py" and not p.name.startswith(("_", "."))
            and (p.suffix == ".py" or (p / "__init__.py").exists())}
    unnamed = [t for t in sorted(tops) if f"bot/{t}" not in layout and f"bot/{t}/" not in layout]
    assert unnamed == []
