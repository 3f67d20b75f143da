"""Each package says what it offers: its `__all__` lists exactly its public members, sorted, like httpx's
test_exported_members.py. A name imported into a package for use elsewhere is exported on purpose or not at all."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = ["bot.text", "bot.config", "bot.sources", "bot.sources.x", "bot.sources.mastodon", "bot.sources.bluesky",
            "bot.store", "bot.alerts", "bot.ops", "bot.web", "bot.cli", "classifiers"]


def ours(value: object) -> bool:
    """A class or function of ours (not one the package imports from the standard library or a dependency to
    use itself); constants count as ours."""
    origin = getattr(value, "__module__", None) if isinstance(value, type | types.FunctionType) else "bot"
    return str(origin).split(".")[0] in ("bot", "classifiers")


def public_members(module: types.ModuleType) -> list[str]:
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
                  and ours(value))


@pytest.mark.parametrize("name", PACKAGES)
def test_all_public_members_are_exported(name: str) -> None:
    module = importlib.import_module(name)
    assert list(getattr(module, "__all__", [])) == public_members(module)
