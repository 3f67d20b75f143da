"""The config schema and its loading: YAML files that marketers and ops edit, parsed once into typed objects.

A leaf module (it imports only `bot.errors` and `bot.vocabulary`). Nothing else in the bot reads raw config
dicts or environment variables for settings: they read a `Settings`. An invalid file is refused with its path,
line and reason.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from bot.config.section_alerts import Alerts
from bot.config.section_filters import Filters, PriorityRule
from bot.config.yaml_reading import MAX_CONFIG_BYTES, load_yaml
from bot.errors import ConfigError
from bot.vocabulary import Label

__all__ = ["STATE_DIR_ENV", "Settings", "load_settings", "load_yaml", "parse_settings"]

STATE_DIR_ENV = "WEBCARE_STATE_DIR"  # when set, replaces storage.state_dir (read once, by load_settings)
# user@server.tld, and a Bluesky handle: a domain name of at least two labels.
_MASTODON_HANDLE = re.compile(r"\w{1,30}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*")
_BLUESKY_HANDLE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*")


def _network_handles(v: list[str], pattern: re.Pattern[str], problem: str) -> list[str]:
    """A network's handles without "@" (blank ones dropped); one that does not look like `pattern` is refused
    with `problem` after it."""
    handles = [h.strip().lstrip("@") for h in v if h.strip()]
    for h in handles:
        if not pattern.fullmatch(h):
            raise ValueError(f"{h!r} {problem}")
    return handles


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Brand(_Section):
    """The brand being watched. Handles without the @; names are the ways people write the brand's name."""

    name: str = Field(description="The brand's display name, used in messages and the web app.", examples=["Tulpair"])
    handles: list[str] = Field(min_length=1, description="The brand's own handles on the platforms, without @.",
                               examples=[["Tulpair", "TulpairHelp"]])
    names: list[str] = Field(default_factory=list, description="Name variants people write (\"Tulp Air\").",
                             examples=[["Tulpair", "Tulp Air"]])
    own_accounts: list[str] = Field(
        default_factory=list,
        description="Accounts of the brand itself (besides `handles`) whose posts are never queued.",
    )
    staff_accounts: list[str] = Field(
        default_factory=list, description="Accounts of staff whose posts are never queued."
    )

    mastodon_handles: list[str] = Field(
        default_factory=list,
        description="The brand's Mastodon accounts, qualified with their server: `tulpair@mastodon.social`.",
        examples=[["tulpair@mastodon.social"]],
    )
    bluesky_handles: list[str] = Field(
        default_factory=list, description="The brand's Bluesky handles: `tulpair.bsky.social` or its own domain.",
        examples=[["tulpair.bsky.social"]],
    )

    @field_validator("handles", "own_accounts", "staff_accounts")
    @classmethod
    def _strip_at(cls, v: list[str]) -> list[str]:
        return [h.strip().lstrip("@") for h in v if h.strip()]

    @field_validator("mastodon_handles")
    @classmethod
    def _qualified_mastodon(cls, v: list[str]) -> list[str]:
        return _network_handles(v, _MASTODON_HANDLE, "is not a qualified Mastodon handle; write it with its "
                                                     "server, such as tulpair@mastodon.social")

    @field_validator("bluesky_handles")
    @classmethod
    def _bluesky_domain(cls, v: list[str]) -> list[str]:
        return _network_handles(v, _BLUESKY_HANDLE, "is not a Bluesky handle; a handle is a domain name, such as "
                                                    "tulpair.bsky.social")

    def handles_on(self, platform: str) -> list[str]:
        """The brand's own handles on one platform: qualified on Mastodon and Bluesky, `handles` elsewhere."""
        if platform == "mastodon":
            return list(self.mastodon_handles)
        if platform == "bluesky":
            return list(self.bluesky_handles)
        return list(self.handles)


class ReplaySource(_Section):
    enabled: bool = Field(default=False, description="Read mentions from a JSONL file (the demo, or a recording).")
    path: Path = Field(default=Path("demo/mentions.jsonl"), description="The JSONL file, relative to the config file.")
    batch_size: int = Field(default=50, ge=1, le=10_000, description="Mentions handed out per poll.")
    interval_seconds: float = Field(default=5, gt=0, description="Seconds between polls.")
    jitter_seconds: float = Field(default=0, ge=0, description="Random seconds added to each poll's start.")

    @field_validator("path")
    @classmethod
    def _exists(cls, v: Path, info: ValidationInfo) -> Path:
        # Checked where the config file is known (parse_settings passes its folder), so `config check` and a
        # start refuse a replay file that is not there instead of every poll failing.
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is None or not info.data.get("enabled"):
            return v
        path = v if v.is_absolute() else (Path(base_dir) / v).resolve()
        if not path.is_file():
            raise ValueError(f"no file at {path}; give the JSONL file to replay (relative to the config file), "
                             f"or set sources.replay.enabled: false")
        return v


class XSearch(_Section):
    enabled: bool = Field(default=False, description="Also search recent posts for the brand's names.")
    terms: list[str] = Field(
        default_factory=list, description="Words or phrases to search for; empty means the brand's names."
    )
    exclude_terms: list[str] = Field(default_factory=list, description="Posts with these words are not fetched.")
    languages: list[str] = Field(default_factory=list, description="Only posts in these languages (lang:nl).")
    include_reposts: bool = Field(default=False, description="Fetch reposts too (excluded by default).")
    max_pages: int = Field(
        default=10, ge=1, le=100, description="Pages of 100 posts read per poll; older posts in a longer gap are skipped."
    )


class XSource(_Section):
    enabled: bool = Field(default=False, description="Read mentions from X (API v2).")
    bearer_token_env: str = Field(
        default="X_BEARER_TOKEN", description="The environment variable that holds the bearer token."
    )
    accounts: list[str] = Field(
        default_factory=list, description="Brand accounts whose mentions are read; empty means brand.handles."
    )
    interval_seconds: float = Field(default=60, gt=0, description="Seconds between polls (stretched by rate limits).")
    jitter_seconds: float = Field(default=5, ge=0, description="Random seconds added to each poll's start.")
    backfill_hours: float = Field(default=24, ge=0, description="On a first start, how far back to read.")
    max_rate_limit_wait_seconds: float = Field(
        default=900, gt=0, description="The longest wait honoured after a 429."
    )
    timeout_seconds: float = Field(
        default=30, gt=0, description="The longest one HTTP request may take, from connecting to the last byte."
    )
    max_backoff_seconds: float = Field(
        default=600, gt=0, description="The longest pause after a 5xx, a time-out or a broken connection."
    )
    search: XSearch = Field(default_factory=XSearch)


class MastodonSource(_Section):
    enabled: bool = Field(default=False, description="Read the brand account's mentions on Mastodon.")
    api_base_url: str = Field(
        default="", description="The server the brand account is on, such as https://mastodon.social.",
        examples=["https://mastodon.social"],
    )
    access_token_env: str = Field(
        default="MASTODON_ACCESS_TOKEN",
        description="The environment variable that holds the access token (scopes read:accounts, read:notifications, read:statuses).",
    )
    interval_seconds: float = Field(default=60, gt=0, description="Seconds between polls (stretched by rate limits).")
    jitter_seconds: float = Field(default=5, ge=0, description="Random seconds added to each poll's start.")
    backfill_hours: float = Field(default=24, ge=0, description="On a first start, how far back to read.")
    max_pages: int = Field(default=10, ge=1, le=100, description="Pages of 40 notifications read per poll.")
    hashtags: list[str] = Field(
        default_factory=list,
        description="Hashtags (without #) whose public posts are also read, for listening; each has its own checkpoint.",
        examples=[["tulpair"]],
    )
    max_rate_limit_wait_seconds: float = Field(default=900, gt=0, description="The longest wait honoured after a 429.")
    timeout_seconds: float = Field(default=30, gt=0, description="HTTP time-out per request.")
    max_backoff_seconds: float = Field(
        default=600, gt=0, description="The longest pause after a 5xx, a time-out or a broken connection."
    )

    @field_validator("hashtags")
    @classmethod
    def _without_hash(cls, v: list[str]) -> list[str]:
        return [t.strip().lstrip("#") for t in v if t.strip().lstrip("#")]


class BlueskySearch(_Section):
    enabled: bool = Field(default=False, description="Also search recent posts for the brand's names.")
    terms: list[str] = Field(
        default_factory=list, description="Words or phrases to search for, one search each; empty means the brand's names."
    )
    max_pages: int = Field(
        default=3, ge=1, le=100, description="Pages of 100 posts read per term and poll; older posts in a longer gap are skipped."
    )


class BlueskySource(_Section):
    enabled: bool = Field(default=False, description="Read the brand account's mentions and replies on Bluesky.")
    service_url: str = Field(
        default="https://bsky.social", description="Where the brand account logs in (its PDS or entryway)."
    )
    handle: str = Field(default="", description="The account that logs in; empty means the first brand.bluesky_handles.")
    app_password_env: str = Field(
        default="BLUESKY_APP_PASSWORD", description="The environment variable that holds the account's app password."
    )
    interval_seconds: float = Field(default=60, gt=0, description="Seconds between polls (stretched by rate limits).")
    jitter_seconds: float = Field(default=5, ge=0, description="Random seconds added to each poll's start.")
    backfill_hours: float = Field(default=24, ge=0, description="On a first start, how far back to read.")
    max_pages: int = Field(default=10, ge=1, le=100, description="Pages of 100 notifications read per poll.")
    max_rate_limit_wait_seconds: float = Field(default=900, gt=0, description="The longest wait honoured after a 429.")
    timeout_seconds: float = Field(default=30, gt=0, description="HTTP time-out per request.")
    max_backoff_seconds: float = Field(
        default=600, gt=0, description="The longest pause after a 5xx, a time-out or a broken connection."
    )
    direct_messages: bool = Field(
        default=False,
        description="Also read direct messages to the brand; the app password needs \"allow access to your direct messages\".",
    )
    search: BlueskySearch = Field(default_factory=BlueskySearch)


class Sources(_Section):
    replay: ReplaySource = Field(default_factory=ReplaySource)
    x: XSource = Field(default_factory=XSource)
    mastodon: MastodonSource = Field(default_factory=MastodonSource)
    bluesky: BlueskySource = Field(default_factory=BlueskySource)


class Classifier(_Section):
    kind: Literal["trained", "rules"] = Field(
        default="trained", description="`trained`: the transformer model; `rules`: the transparent rules alone."
    )
    model_path: Path | None = Field(
        default=None, description="A trained head (from `webcare train`); empty means the one shipped."
    )
    encoder: str | None = Field(
        default=None,
        description="A Hugging Face encoder by local path or id; empty means the encoder the head was trained on.",
    )
    batch_size: int = Field(default=64, ge=1, le=1024, description="Mentions per forward pass.")
    precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="Encoder arithmetic: `auto` uses bfloat16 where the CPU has it natively (about twice as fast, "
        "same decisions), else float32.",
    )


class Routing(_Section):
    queue_labels: list[Label] = Field(
        default=[Label.QUEUE], description="Labels that enter the queue."
    )
    min_probability: float = Field(
        default=0.5, ge=0, le=1, description="A mention enters the queue only with at least this probability."
    )
    praise_to_queue: bool = Field(
        default=False, description="Put direct praise and thanks in the queue at low priority."
    )


class ServiceLevels(_Section):
    """Minutes within which an item of each priority should be answered; they set each item's due time."""

    urgent: int = Field(default=15, gt=0, description="Minutes for urgent items.")
    high: int = Field(default=60, gt=0, description="Minutes for high items.")
    normal: int = Field(default=240, gt=0, description="Minutes for normal items.")
    low: int = Field(default=1440, gt=0, description="Minutes for low items.")


class Web(_Section):
    host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port of the web app (0: any free port).")
    enabled: bool = Field(default=True, description="Serve the web app from the daemon.")
    trusted_proxy: str | None = Field(
        default=None,
        description="Address of the TLS proxy in front of the web app (such as 127.0.0.1): its X-Forwarded-Proto "
        "and X-Forwarded-For headers are believed. Empty: no proxy; those headers are ignored.",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark the session cookie Secure (sent over HTTPS only). Empty: on when `trusted_proxy` is set "
        "or a request came over HTTPS.",
    )


class Storage(_Section):
    state_dir: Path | None = Field(
        default=None,
        description="The folder for the bot's state: a relative `database` lands in it. Absolute, or relative to the "
        "config file; empty: relative paths are relative to the config file. The environment variable "
        f"{STATE_DIR_ENV}, when set, takes its place (a container volume, another root for a test).",
        examples=[Path("/var/lib/webcare")],
    )
    database: Path = Field(
        default=Path("../var/webcare.db"),
        description="The SQLite file, relative to `state_dir` when that is set, else to the config file.",
    )
    retention_days: int | None = Field(
        default=None, ge=1, le=36_500, description="Purge raw payloads and texts older than this; empty keeps them."
    )


class Logging(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    format: Literal["text", "json"] = Field(default="text", description="`text` for people, `json` for collectors.")
    redact_env: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list,
        description="Names of environment variables whose values are masked in every log line (besides the X "
        "bearer token); the names, never the values.",
    )


class Ops(_Section):
    host: str = Field(default="127.0.0.1", description="Address of the /healthz and /metrics endpoints.")
    port: int | None = Field(
        default=None, ge=0, le=65535, description="Their own port (0: any free port); empty serves them only in the web app."
    )


class Settings(_Section):
    brand: Brand
    sources: Sources = Field(default_factory=Sources)
    classifier: Classifier = Field(default_factory=Classifier)
    filters: Filters = Field(default_factory=Filters)
    routing: Routing = Field(default_factory=Routing)
    priority_rules: list[PriorityRule] = Field(
        default_factory=list, description="Words that raise a queued mention's priority, checked in order."
    )
    service_levels: ServiceLevels = Field(default_factory=ServiceLevels)
    web: Web = Field(default_factory=Web)
    storage: Storage = Field(default_factory=Storage)
    logging: Logging = Field(default_factory=Logging)
    ops: Ops = Field(default_factory=Ops)
    alerts: Alerts = Field(default_factory=Alerts)
    # Where the file lives: relative paths in it resolve against this folder. Not part of the YAML.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @functools.cached_property
    def version(self) -> str:
        """A short hash of the content: decisions made under this config carry it. Computed once per
        Settings (they are frozen), since every decision asks for it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:10]

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    @property
    def database_path(self) -> Path:
        database, state_dir = self.storage.database, self.storage.state_dir
        if database.is_absolute() or state_dir is None:
            return self.resolve(database)
        return (self.resolve(state_dir) / database).resolve()


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a config file; raise ConfigError naming the file, the line and what is wrong.
    WEBCARE_STATE_DIR in `environ` (default: the process environment), when set, replaces storage.state_dir."""
    path = Path(path)
    state_dir = (os.environ if environ is None else environ).get(STATE_DIR_ENV, "").strip()
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: the config file is {path.stat().st_size:,} bytes, more than the "
                              f"{MAX_CONFIG_BYTES:,} a config file may have; is it the right file?")
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    settings = parse_settings(text, source=str(path), base_dir=path.parent.resolve())
    if not state_dir:
        return settings
    storage = settings.storage.model_copy(update={"state_dir": Path(state_dir).absolute()})
    return settings.model_copy(update={"storage": storage})


def parse_settings(text: str, source: str = "<config>", base_dir: Path = Path(".")) -> Settings:
    doc = load_yaml(text, source)
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: the config must be a mapping of sections (brand:, sources:, ...)")
    try:
        return Settings.model_validate({**_plain(doc), "base_dir": base_dir}, context={"base_dir": base_dir})
    except ValidationError as e:
        # In the order of the file, as the person fixing it reads it.
        errors = sorted(e.errors(), key=lambda err: _line_of(doc, tuple(err["loc"])) or 0)
        raise ConfigError("\n".join(_describe(err, doc, source) for err in errors)) from None


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts and lists (they keep line numbers, which we read separately)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest key of `loc` that exists in the YAML document."""
    node, line = doc, None
    for part in loc:
        try:
            if isinstance(node, dict) and part in node:
                line = getattr(node, "lc").key(part)[0] + 1  # ruamel's line info
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = getattr(node, "lc").item(part)[0] + 1
                node = node[part]
            else:
                break
        except (AttributeError, KeyError, TypeError):
            break
    return line


def _describe(err: Any, doc: Any, source: str) -> str:
    loc = tuple(err["loc"])
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    line = _line_of(doc, loc)
    where = f"{source} line {line}" if line else source
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = sorted(parent.model_fields) if parent else []
        known = [k for k in known if k != "base_dir"]
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else (f"; known keys: {', '.join(known)}" if known else "")
        return f"{where}: unknown key '{dotted}'{suggestion}"
    if kind == "missing":
        return f"{where}: '{dotted}' is required"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        field = _field_at(loc)
        lo = getattr(field, "metadata", None)
        bounds = _bounds(lo or [])
        if bounds:
            return f"{where}: {dotted} must be {bounds}, got {got!r}"
    if kind in ("literal_error", "enum"):  # a vocabulary member shows as its value: 'queue', not <Label.QUEUE: ...>
        expected = _ENUM_MEMBER.sub(r"\1", str(ctx.get("expected")))
        return f"{where}: {dotted} must be one of {expected}, got {got!r}"
    if kind == "value_error":
        # Our validators' messages, written for the person editing the file.
        return f"{where}: {dotted}: {ctx.get('error')}"
    if kind in _EXPECTED:
        return f"{where}: {dotted} must be {_EXPECTED[kind]}, got {got!r}"
    return f"{where}: {dotted}: {err['msg'].lower()}, got {got!r}"


_ENUM_MEMBER = re.compile(r"<\w+\.\w+: ('[^']*')>")
# A wrong type, in words a marketer recognises.
_EXPECTED = {
    "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number",
    "list_type": "a list, such as [a, b] or one '- item' per line",
    "model_type": "a section of 'key: value' lines indented below it",
    "model_attributes_type": "a section of 'key: value' lines indented below it",
    "dict_type": "a section of 'key: value' lines indented below it",
    # The only pattern-checked values are environment variable names (the value itself belongs in the environment).
    "string_pattern_mismatch": "the NAME of an environment variable (letters, digits and _), not its value",
}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if get_origin(ann) is list:
            ann = get_args(ann)[0]
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
    return model


def _field_at(loc: tuple[Any, ...]) -> Any:
    parent = _model_at(loc[:-1])
    return parent.model_fields.get(str(loc[-1])) if parent else None


def _bounds(metadata: list[Any]) -> str:
    lo = hi = None
    for m in metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = (attr, getattr(m, attr))
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = (attr, getattr(m, attr))
    if lo and hi and lo[0] == "ge" and hi[0] == "le":
        return f"between {lo[1]} and {hi[1]}"
    parts = []
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    for b in (lo, hi):
        if b:
            parts.append(f"{words[b[0]]} {b[1]}")
    return " and ".join(parts)
