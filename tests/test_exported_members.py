"""Each package says what it offers: its `__all__` lists exactly its public members, sorted, like httpx's
test_exported_members.py. A name imported into a package for use elsewhere is exported on purpose or not at all."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = ["bot.text", "bot.config", "bot.sources", "bot.sources.x", "bot.sources.mastodon", "bot.sources.bluesky",
            "bot.store", "bot.alerts", "bot.ops", "bot.web", "bot.cli", "classifiers"]


def public_members(module: types.ModuleType) -> list[str]:
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations")


@pytest.mark.parametrize("name", PACKAGES)
def test_all_public_members_are_exported(name: str) -> None:
    module = importlib.import_module(name)
    assert list(getattr(module, "__all__", [])) == public_members(module)
