"""Web accounts in the store: users with their role and password hash, their sessions (kept here so they can
be ended on the server), the record of login attempts that throttling counts, and the cookie-signing secret.
Hashing and the throttling policy live in bot/web/accounts.py; this module only keeps the rows."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.errors import AccountError, NotFound
from bot.store.database import Part, now

ROLES = ("agent", "lead")


def _ago(period: timedelta) -> str:
    return (datetime.now(timezone.utc) - period).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    # Changes with the password (sessions themselves are rows of web_sessions, ended on the server).
    session_token: str
    created_at: str

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(row["name"], row["role"], row["password_hash"], row["session_token"], row["created_at"] or "")


class Users(Part):
    def add_user(self, name: str, role: str, password_hash: str) -> User:
        if role not in ROLES:
            raise AccountError(f"'{role}' is not a role; use one of {', '.join(ROLES)}")
        stamp = now()
        with self.db.atomic():
            if self.db.execute("select 1 from users where lower(name) = lower(?)", [name]).fetchone():
                raise AccountError(f"a user '{name}' exists already; pick another name or remove that user first")
            self.db.table("users").insert(
                {"name": name, "role": role, "password_hash": password_hash, "session_token": secrets.token_urlsafe(24),
                 "created_at": stamp, "password_changed_at": stamp}
            )
            self.database.audit("users", "user_add", detail={"name": name, "role": role})
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        rows = list(self.db.query("select * from users where name = ?", [name]))
        if not rows:
            raise NotFound(f"no user '{name}'; see `webcare user list`")
        return User.from_row(rows[0])

    def find_user(self, name: str) -> User | None:
        """The user of that name (any case), or None: for the login form, where a miss is expected."""
        rows = list(self.db.query("select * from users where lower(name) = lower(?)", [name]))
        return User.from_row(rows[0]) if rows else None

    def start_session(self, name: str, lifetime: timedelta) -> str:
        """A new server-side session for this user; its id goes in the cookie. Sessions older than `lifetime`
        are cleared on the way."""
        session_id = secrets.token_urlsafe(32)
        with self.db.atomic():
            self.db.execute("delete from web_sessions where created_at < ?", [_ago(lifetime)])
            self.db.table("web_sessions").insert({"id": session_id, "user_name": name, "created_at": now()})
        return session_id

    def user_by_session(self, session_id: str, lifetime: timedelta) -> User | None:
        """The user of a live session: one not ended and younger than `lifetime`; None otherwise."""
        rows = list(self.db.query(
            "select u.* from web_sessions s join users u on u.name = s.user_name "
            "where s.id = ? and s.created_at >= ?", [session_id, _ago(lifetime)]))
        return User.from_row(rows[0]) if rows else None

    def end_session(self, session_id: str) -> None:
        self.db.execute("delete from web_sessions where id = ?", [session_id])

    def end_sessions(self, name: str, actor: str) -> int:
        """End every session of a user ("log out everywhere"); returns how many were open."""
        self.get_user(name)
        with self.db.atomic():
            ended = self.db.execute("delete from web_sessions where user_name = ?", [name]).rowcount
            self.database.audit(actor, "user_logout_everywhere", detail={"name": name, "sessions": ended})
        return int(ended)

    def list_users(self) -> list[User]:
        return [User.from_row(r) for r in self.db.query("select * from users order by name")]

    def set_password_hash(self, name: str, password_hash: str) -> User:
        self.get_user(name)
        with self.db.atomic():
            self.db.execute(
                "update users set password_hash = ?, session_token = ?, password_changed_at = ? where name = ?",
                [password_hash, secrets.token_urlsafe(24), now(), name],
            )
            self.db.execute("delete from web_sessions where user_name = ?", [name])
            self.database.audit("users", "user_password", detail={"name": name})
        return self.get_user(name)

    def remove_user(self, name: str, actor: str) -> None:
        self.get_user(name)
        with self.db.atomic():
            self.db.execute("delete from web_sessions where user_name = ?", [name])
            self.db.execute("delete from users where name = ?", [name])
            self.database.audit(actor, "user_remove", detail={"name": name})

    def start_login(self, name: str, address: str, since: str,
                    wait_for: Callable[[list[str], list[str]], int]) -> tuple[int | None, int]:
        """Count and record a login attempt in one write transaction, before its password is checked, so
        simultaneous attempts each see the others: `wait_for(name_failures, address_failures)` (times, oldest
        first, since `since`) says how many seconds the attempt must wait. Returns (attempt id, 0) for an
        attempt that goes ahead, recorded as failed until `login_succeeded`; (None, seconds) when throttled.
        A name's failures count from its last successful login; an address's count whoever logged in."""
        name = name.lower()
        with self.db.atomic():
            last_ok = self.db.execute(
                "select max(at) from login_attempts where name = ? and succeeded = 1", [name]).fetchone()[0]
            by_name = [r[0] for r in self.db.execute(
                "select at from login_attempts where name = ? and succeeded = 0 and at > ? order by at",
                [name, max(since, last_ok or "")])]
            by_address = [r[0] for r in self.db.execute(
                "select at from login_attempts where address = ? and succeeded = 0 and at > ? order by at",
                [address, since])]
            wait = wait_for(by_name, by_address)
            if wait:
                return None, wait
            attempt = self.db.table("login_attempts").insert(
                {"name": name, "address": address, "at": now(), "succeeded": 0}).last_pk
        assert attempt is not None
        return int(attempt), 0

    def login_succeeded(self, attempt: int) -> None:
        self.db.execute("update login_attempts set succeeded = 1 where id = ?", [attempt])

    def web_secret(self) -> str:
        """The key that signs session cookies: made once, then the same for every process on this database."""
        self.db.table("web_secrets").insert(
            {"name": "session", "value": secrets.token_hex(32), "created_at": now()}, pk="name", ignore=True
        )
        return str(self.db.execute("select value from web_secrets where name = 'session'").fetchone()[0])
