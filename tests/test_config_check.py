"""`webcare config check FILE`: each kind of mistake a marketer can make, with its exact message (file, line,
what was expected), exit code 2; and a warning for values that look like secrets."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import load_settings
from bot.errors import ConfigError, SourceError
from bot.sources.replay import ReplaySource
from tests.conftest import ROOT, WEBCARE

BRAND = "brand:\n  name: Tulpair\n  handles: [Tulpair]\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "brand.yaml"
    path.write_text(BRAND + textwrap.dedent(body), encoding="utf-8")
    return path


def check(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("body", "message"), [
    # an unknown key, with a suggestion
    ("filters:\n  exclude_keyword: [giveaway]\n",
     "line 5: unknown key 'filters.exclude_keyword'; did you mean 'exclude_keywords'?"),
    ("routnig:\n  min_probability: 0.5\n", "line 4: unknown key 'routnig'; did you mean 'routing'?"),
    # a wrong type
    ("routing:\n  praise_to_queue: maybe\n", "line 5: routing.praise_to_queue must be true or false, got 'maybe'"),
    ("filters:\n  min_text_length: short\n", "line 5: filters.min_text_length must be a whole number, got 'short'"),
    ("filters:\n  exclude_keywords: giveaway\n",
     "line 5: filters.exclude_keywords must be a list, such as [a, b] or one '- item' per line, got 'giveaway'"),
    ("routing: 0.5\n", "line 4: routing must be a section of 'key: value' lines indented below it, got 0.5"),
    # a bad value
    ("routing:\n  min_probability: 1.5\n", "line 5: routing.min_probability must be between 0 and 1, got 1.5"),
    ("service_levels:\n  urgent: 0\n", "line 5: service_levels.urgent must be more than 0, got 0"),
    ("routing:\n  queue_labels: [queue, complaints]\n",
     "line 5: routing.queue_labels[1] must be one of 'queue', 'direct_other', 'about' or 'irrelevant', got 'complaints'"),
    ("filters:\n  languages: [nl, Dutch]\n",
     "line 5: filters.languages[1]: 'Dutch' is not a language code; write two letters as the platforms do (nl, en, de)"),
    ("filters:\n  exclude_keywords:\n    - giveaway\n    - ' '\n",
     "line 7: filters.exclude_keywords[1]: an empty keyword; remove the item or write a word or phrase"),
    ("priority_rules:\n  - name: medical\n    raise_to: urgent\n",
     "line 5: priority_rules[0]: rule 'medical' needs keywords or patterns (or both)"),
    # a bad pattern
    ("filters:\n  exclude_patterns:\n    - '\\bpromo\\b'\n    - '(kortings|promo code'\n",
     "line 7: filters.exclude_patterns[1]: '(kortings|promo code' is not a valid regular expression "
     "(missing ), unterminated subpattern at position 0); for plain words use keywords instead"),
    ("priority_rules:\n  - name: delay\n    raise_to: high\n    patterns: ['vertraa[gd']\n",
     "line 7: priority_rules[0].patterns[0]: 'vertraa[gd' is not a valid regular expression "
     "(unterminated character set at position 7); for plain words use keywords instead"),
    # YAML itself
    ("filters:\n  exclude_keywords: [giveaway\n", "line 6: not valid YAML: expected ',' or ']', but got '<stream end>'"),
])
def test_each_kind_of_mistake_is_refused_with_file_line_and_reason(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    code, out, err = check(path)
    assert (code, out, err) == (2, "", f"Error: {path} {message}\n")


def test_a_missing_required_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text("brand:\n  name: Tulpair\n", encoding="utf-8")
    assert check(path) == (2, "", f"Error: {path} line 1: 'brand.handles' is required\n")


def test_every_mistake_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "routing:\n  min_probability: 2\nfilters:\n  exclude_autors: [bot]\n")
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    assert str(e.value) == (
        f"{path} line 5: routing.min_probability must be between 0 and 1, got 2\n"
        f"{path} line 7: unknown key 'filters.exclude_autors'; did you mean 'exclude_authors'?"
    )


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert check(missing) == (2, "", f"Error: {missing}: cannot read the config file (No such file or directory)\n")


def test_a_valid_file_says_so_with_its_version(tmp_path: Path) -> None:
    path = write(tmp_path, "filters:\n  exclude_keywords: [giveaway, 'gratis vlucht']\n")
    version = load_settings(path).version
    assert check(path) == (0, f"{path} is valid (version {version})\n", "")


def test_values_that_look_like_secrets_are_warned_about(tmp_path: Path) -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
    path = write(tmp_path, f"sources:\n  x:\n    bearer_token_env: '{token}'\n")
    code, out, err = check(path)
    hint = "secrets belong in environment variables (name the variable in the config, as sources.x.bearer_token_env does)"
    assert code == 0
    assert err == (f"Warning: {path} line 6: sources.x.bearer_token_env should name an environment variable, but its "
                   f"value looks like the secret itself; {hint}\n")
    assert out.endswith(", 1 warning(s))\n")


def test_a_password_is_warned_about_even_when_the_key_is_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, "web:\n  password: 'Sup3r-s3cret-Passw0rd!'\n")
    code, out, err = check(path)
    hint = "secrets belong in environment variables (name the variable in the config, as sources.x.bearer_token_env does)"
    assert code == 2
    assert err == (f"Warning: {path} line 5: 'password' looks like a secret (secret keyword); {hint}\n"
                   f"Error: {path} line 5: unknown key 'web.password'; known keys: enabled, host, port, "
                   f"secure_cookies, trusted_proxy\n")


def test_an_environment_variable_name_is_not_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  x:\n    bearer_token_env: TULPAIR_X_TOKEN\n")
    assert check(path)[2] == ""


def test_a_replay_file_that_is_not_there_is_refused_and_a_run_says_so_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  replay:\n    enabled: true\n    path: recordings/today.jsonl\n")
    message = (f"Error: {path} line 7: sources.replay.path: no file at {tmp_path / 'recordings' / 'today.jsonl'}; "
               "give the JSONL file to replay (relative to the config file), or set sources.replay.enabled: false\n")
    assert check(path) == (2, "", message)
    once = subprocess.run([*WEBCARE, "--config", str(path), "run", "--once"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert (once.returncode, once.stdout, once.stderr) == (2, "", message)
    off = write(tmp_path, "sources:\n  replay:\n    enabled: false\n    path: recordings/today.jsonl\n")
    assert check(off)[0] == 0  # not read, so not needed


def test_a_replay_file_removed_while_running_fails_its_poll_with_a_message(tmp_path: Path) -> None:
    stream = tmp_path / "stream.jsonl"
    with pytest.raises(SourceError) as e:
        ReplaySource(stream).fetch(None)
    assert str(e.value) == (f"replay: cannot read {stream} (No such file or directory); put the file back or fix "
                            "sources.replay.path")
