"""The web app's tables, as their own named migration set: accounts, failed-login records for throttling, and
the secret that signs session cookies (kept in the database so a restart does not log everyone out)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

web = Migrations("webcare-web")


@web()
def m001_accounts(db: Database) -> None:
    db.table("users").create(
        {"name": str, "role": str, "password_hash": str, "session_token": str, "created_at": str,
         "password_changed_at": str},
        pk="name",
        not_null={"name", "role", "password_hash", "session_token"},
    )
    db.table("users").create_index(["session_token"], unique=True)
    db.table("login_attempts").create(
        {"id": int, "name": str, "address": str, "at": str, "succeeded": int}, pk="id", not_null={"at"}
    )
    db.table("login_attempts").create_index(["name", "at"])
    db.table("login_attempts").create_index(["address", "at"])
    db.table("web_secrets").create({"name": str, "value": str, "created_at": str}, pk="name")


@web()
def m002_sessions(db: Database) -> None:
    """Sessions kept on the server: ending one (logging out, a new password, removing the user, a lead's "log
    out everywhere") takes effect at once, whatever copies of the cookie exist."""
    db.table("web_sessions").create({"id": str, "user_name": str, "created_at": str}, pk="id",
                                    not_null={"user_name", "created_at"})
    db.table("web_sessions").create_index(["user_name"])
