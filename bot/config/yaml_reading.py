"""Reading a config file's YAML safely, before any object is built: the size, the nesting depth and what aliases
expand to are limited (a hostile or broken file must not hang or exhaust the daemon), and every way the YAML
can be wrong becomes a `ConfigError` naming the line, in words for the person editing the file."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from ruamel.yaml.reader import ReaderError

from bot.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "MAX_DEPTH", "MAX_VALUES", "load_yaml"]

MAX_CONFIG_BYTES = 1_000_000  # a real config is a few kilobytes
MAX_DEPTH = 32  # sections, lists, rules: a real config nests four or five levels
MAX_VALUES = 100_000  # values after every alias is expanded (an alias bomb expands to billions)


def load_yaml(text: str, source: str = "<config>") -> Any:
    """The YAML document of `text` (ruamel's round-trip nodes, which keep line numbers). Raises ConfigError."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: the config is {len(text):,} characters, more than the {MAX_CONFIG_BYTES:,} a "
                          f"config file may have; is it the right file?")
    # ruamel's scanner slows down sharply with deep [ { nesting, so that is counted before it runs.
    _check_flow_depth(text, source)
    try:
        _check_shape(YAML(typ="rt"), text, source)
        return YAML(typ="rt").load(text)
    except ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise ConfigError(f"{source} line {line}: the file holds a control character (U+{e.character:04X}) that "
                          f"YAML does not allow; remove it (it is invisible in most editors)") from None
    except MarkedYAMLError as e:
        raise ConfigError(_describe_yaml_error(e, text, source)) from None
    except YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the config nests too deeply to read (at most {MAX_DEPTH} levels)") from None


def _check_flow_depth(text: str, source: str) -> None:
    """Refuse [ and { nested deeper than MAX_DEPTH, outside quoted text and comments."""
    depth, line, quote, comment, previous = 0, 1, "", False, "\n"
    for ch in text:
        if ch == "\n":
            line, comment = line + 1, False
        if comment:
            pass
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and previous in " \t\n[{,:":
            quote = ch
        elif ch == "#" and previous in " \t\n":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{source} line {line}: the brackets nest more than {MAX_DEPTH} levels deep; a "
                                  f"config needs a few levels (sections, lists and rules)")
        elif ch in "]}":
            depth = max(0, depth - 1)
        previous = ch


def _check_shape(yaml: YAML, text: str, source: str) -> None:
    """Walk the parser's events (no objects built) and refuse a document nested deeper than MAX_DEPTH or whose
    aliases expand to more than MAX_VALUES values."""
    stack: list[list[Any]] = []  # per open collection: [anchor, values inside it so far]
    expanded: dict[str, int] = {}  # anchor -> the values it stands for
    for event in yaml.parse(text):
        if not isinstance(event, NodeEvent | CollectionEndEvent):
            continue
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_DEPTH:
                raise ConfigError(f"{source} line {line}: the config nests more than {MAX_DEPTH} levels deep; a "
                                  f"config needs a few levels (sections, lists and rules)")
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, size = stack.pop()
        elif isinstance(event, AliasEvent):
            anchor, size = None, expanded.get(str(event.anchor), 1)
        else:  # a scalar
            anchor, size = event.anchor, 1
        if anchor:
            expanded[str(anchor)] = size
        if stack:
            stack[-1][1] += size
        if (stack[0][1] if stack else size) > MAX_VALUES:  # the whole document, aliases expanded
            raise ConfigError(f"{source} line {line}: the aliases (*name) expand to more than {MAX_VALUES:,} values; "
                              f"a config needs far fewer: write the values out, or use fewer aliases")


def _describe_yaml_error(e: MarkedYAMLError, text: str, source: str) -> str:
    """ruamel's parser messages ("expected <block end>, but found ...") in the words of the person editing."""
    mark = e.problem_mark
    if mark is None:
        return f"{source}: not valid YAML: {e.problem}"
    lines = text.splitlines()
    here = lines[mark.line] if mark.line < len(lines) else ""
    key = here.strip().lstrip("- ").split(":", 1)[0].strip() or here.strip()
    where = f"{source} line {mark.line + 1}"
    problem = e.problem or ""
    if "\t" in here[: len(here) - len(here.lstrip())] or "'\\t'" in problem:
        return f"{where}: a tab is used to indent; YAML indents with spaces only (two per level)"
    if problem.startswith("expected <block end>") or (
            problem == "mapping values are not allowed here" and _indented_deeper(lines, mark.line)):
        return (f"{where}: the indentation of '{key}' does not match the lines above it; line it up with the "
                f"other lines of its section (spaces, two per level)")
    if problem == "mapping values are not allowed here":
        return (f"{where}: a ':' here is not allowed; if the value holds a ': ', put the value in quotes "
                f"(\"like: this\")")
    return f"{where}: not valid YAML: {problem}"


def _indented_deeper(lines: list[str], number: int) -> bool:
    """The line is indented further than the line before it that holds a key, without that key opening a section."""
    def indent(s: str) -> int:
        return len(s) - len(s.lstrip(" "))

    for previous in reversed(lines[:number]):
        if previous.strip() and not previous.lstrip().startswith("#"):
            opens_section = previous.rstrip().endswith(":")
            return not opens_section and indent(lines[number]) > indent(previous)
    return False
