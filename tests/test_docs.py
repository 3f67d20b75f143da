"""The README documents every `webcare` command: a new command without a word in the README fails here."""

from __future__ import annotations

import click
import pytest

from bot.cli import main
from tests.conftest import ROOT


def commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            found += commands(cmd, path + " ")
        else:
            found.append(path)
    return found


@pytest.mark.parametrize("command", commands(main))
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    assert f" {command}" in readme, f"`webcare {command}` is not documented in README.md"
