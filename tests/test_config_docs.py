"""The configuration reference is generated from the schema and kept up to date; the shipped configs are valid
and documented key by key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.cli import main
from bot.config.reference import render_reference
from bot.config.secret_scan import secret_warnings
from bot.config.settings import load_settings
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "configuration.md"
SHIPPED = sorted((ROOT / "config").glob("*.yaml"))


def test_configuration_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/configuration.md is out of date with the config schema; run: webcare config docs"
    )


def test_docs_check_fails_on_a_stale_reference(tmp_path: Path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "docs", "--check", "--output", str(stale)])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {stale} is out of date with the config schema; run: webcare config docs\n"
    )
    written = CliRunner().invoke(main, ["config", "docs", "--output", str(stale)])
    assert written.exit_code == 0
    assert stale.read_text(encoding="utf-8") == render_reference()


def _keys(node: object, prefix: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}".lstrip(".")
            found.append(key)
            found.extend(_keys(v, key))
    elif isinstance(node, list):
        for v in node:
            found.extend(_keys(v, f"{prefix}[]"))
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_configs_are_valid_documented_and_free_of_secrets(path: Path) -> None:
    load_settings(path)
    assert secret_warnings(path) == []
    reference = REFERENCE.read_text(encoding="utf-8")
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for key in _keys(doc):
        assert f"`{key}`" in reference, f"{path.name}: {key} is not in docs/configuration.md"


def test_shipped_configs_include_default_demo_and_a_dutch_example() -> None:
    assert {p.name for p in SHIPPED} >= {"default.yaml", "demo.yaml", "example-nl.yaml"}
