"""Web accounts in the store: users with their role and password hash, the record of login attempts that
throttling counts, and the cookie-signing secret. Hashing and the throttling policy live in bot/web/accounts.py;
this module only keeps the rows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bot.errors import AccountError, NotFound
from bot.store.base import BaseStore, now

ROLES = ("agent", "lead")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    # Changes with the password, so a new password ends every session signed with the old token.
    session_token: str
    created_at: str

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(row["name"], row["role"], row["password_hash"], row["session_token"], row["created_at"] or "")


class UserStore(BaseStore):
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
            self._audit("users", "user_add", detail={"name": name, "role": role})
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

    def user_by_session(self, token: str) -> User | None:
        rows = list(self.db.query("select * from users where session_token = ?", [token]))
        return User.from_row(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        return [User.from_row(r) for r in self.db.query("select * from users order by name")]

    def set_password_hash(self, name: str, password_hash: str) -> User:
        self.get_user(name)
        with self.db.atomic():
            self.db.execute(
                "update users set password_hash = ?, session_token = ?, password_changed_at = ? where name = ?",
                [password_hash, secrets.token_urlsafe(24), now(), name],
            )
            self._audit("users", "user_password", detail={"name": name})
        return self.get_user(name)

    def remove_user(self, name: str, actor: str) -> None:
        self.get_user(name)
        with self.db.atomic():
            self.db.execute("delete from users where name = ?", [name])
            self._audit(actor, "user_remove", detail={"name": name})

    def record_login(self, name: str, address: str, succeeded: bool) -> None:
        self.db.table("login_attempts").insert(
            {"name": name.lower(), "address": address, "at": now(), "succeeded": int(succeeded)}
        )

    def failed_logins(self, since: str, *, name: str | None = None, address: str | None = None) -> list[str]:
        """Times of failed logins since `since` for a name (any case) or an address, counting only those after
        that name's or address's last successful login. Oldest first."""
        column, value = ("name", (name or "").lower()) if name is not None else ("address", address or "")
        last_ok = self.db.execute(
            f"select max(at) from login_attempts where {column} = ? and succeeded = 1", [value]
        ).fetchone()[0]
        start = max(since, last_ok or "")
        rows = self.db.execute(
            f"select at from login_attempts where {column} = ? and succeeded = 0 and at > ? order by at",
            [value, start],
        ).fetchall()
        return [r[0] for r in rows]

    def web_secret(self) -> str:
        """The key that signs session cookies: made once, then the same for every process on this database."""
        self.db.table("web_secrets").insert(
            {"name": "session", "value": secrets.token_hex(32), "created_at": now()}, pk="name", ignore=True
        )
        return str(self.db.execute("select value from web_secrets where name = 'session'").fetchone()[0])
