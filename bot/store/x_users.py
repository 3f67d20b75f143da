"""The X handle -> user id cache: the X source asks X once per brand handle and keeps the answer here."""

from __future__ import annotations

from bot.store.database import Part, now


class XUsers(Part):
    def x_user_id(self, handle: str) -> str | None:
        """The stored user id of an X handle (any case), or None when it was never resolved."""
        row = self.db.execute("select user_id from x_users where handle = ?", [handle.casefold()]).fetchone()
        return str(row[0]) if row else None

    def remember_x_user(self, handle: str, user_id: str) -> None:
        self.db.table("x_users").upsert({"handle": handle.casefold(), "user_id": user_id, "resolved_at": now()},
                                          pk="handle")
