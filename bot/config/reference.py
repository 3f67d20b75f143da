"""The reference of every config key (docs/configuration.md), generated from the schema in `bot.config.settings`, so
it cannot drift from what the bot accepts: `webcare config docs` writes it, and a test fails when the file is
out of date."""

from __future__ import annotations

import re
import types
from enum import Enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.config.settings import Settings

__all__ = ["render_reference"]

HEADER = """\
# Configuration reference

Every key of a config file (`config/*.yaml`), with its type, default and an example. Generated from the schema
in `bot/config/settings.py` by `webcare config docs`; do not edit by hand. Check a file with
`webcare config check FILE`; see what a change would do with `webcare config diff FILE`. Relative paths are
relative to the config file (`storage.database` to `storage.state_dir` when that is set). Keywords match whole
words in any case, with or without accents, also inside hashtags; patterns are Python regular expressions,
matched in any case.
"""


def render_reference() -> str:
    out = [HEADER]
    for name, field in _fields(Settings):
        out.extend(_section(name, field))
    return "\n".join(out).rstrip() + "\n"


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        if name != "base_dir":
            yield name, field


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The section model a field holds, and whether it is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if get_origin(annotation) is list:
        inner = get_args(annotation)[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner, True
    return None, False


def _section(key: str, field: FieldInfo) -> list[str]:
    model, is_list = _model_of(field.annotation)
    if model is None:
        return [f"## `{key}`\n", _table([_row(key, field)])]
    lines = [f"## `{key}`\n"]
    intro = field.description or (model.__doc__ or "").strip()
    if is_list:
        intro = (intro + " A list; each item has these keys.").strip()
    if intro:
        lines.append(" ".join(intro.split()) + "\n")
    rows, subsections = [], []
    prefix = f"{key}[]" if is_list else key
    for name, sub in _fields(model):
        sub_model, _ = _model_of(sub.annotation)
        if sub_model is not None:
            subsections.extend(_section(f"{prefix}.{name}", sub))
        else:
            rows.append(_row(f"{prefix}.{name}", sub))
    if rows:
        lines.append(_table(rows))
    return lines + subsections


def _table(rows: list[tuple[str, ...]]) -> str:
    head = "| key | type | default | example | meaning |\n| --- | --- | --- | --- | --- |\n"
    return head + "".join("| " + " | ".join(_cell(c) for c in r) + " |\n" for r in rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(key: str, field: FieldInfo) -> tuple[str, ...]:
    if field.is_required():
        default = "required"
    else:
        value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        default = "empty" if value is None or value is PydanticUndefined else _yaml(value)
    example = _yaml(field.examples[0]) if field.examples else ("" if default in ("required", "empty", "[]") else default)
    return (f"`{key}`", _type(field.annotation), f"`{default}`" if default not in ("required", "empty") else default,
            f"`{example}`" if example else "", field.description or "")


def _type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if isinstance(annotation, type) and issubclass(annotation, Enum):  # the vocabulary: Label, Priority
        return "one of " + ", ".join(f"`{member}`" for member in annotation)
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        return " or ".join(_type(a) for a in kept) + (", or empty" if len(kept) < len(args) else "")
    if origin is list:
        return f"list of {_type(args[0])}"
    if getattr(annotation, "__metadata__", None) is not None:  # Annotated[str, ...]
        return _type(annotation.__origin__)
    names = {str: "text", int: "whole number", float: "number", bool: "true or false", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


_PLAIN = re.compile(r"^[\w@.][\w@./ -]*$")


def _yaml(value: Any) -> str:
    """A value as a marketer would type it in the YAML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value if _PLAIN.match(value) and value not in ("true", "false", "yes", "no") else "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return str(value)
