"""The X source's migrations (their own set, so they never clash with the core's): the brand handle -> user id
cache, so each handle is resolved once and not at every start."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

x = Migrations("webcare-x")


@x()
def m001_x_users(db: Database) -> None:
    # `handle` is kept case-folded: X handles are case-insensitive.
    db.table("x_users").create({"handle": str, "user_id": str, "resolved_at": str}, pk="handle", not_null={"user_id"})
