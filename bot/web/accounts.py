"""Accounts for the web app: argon2 password hashing, the rules a new account must meet, and the throttling of
failed logins (per name and per address, counted in the store so every process on the database agrees)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.errors import AccountError
from bot.store import ROLES, User
from bot.web.parts import AccountStore

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
# Five wrong passwords for one name, or twenty from one address, within the window lock that name or address
# until the oldest of those failures leaves the window.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the name is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-" for c in name):
        raise AccountError(
            f"'{name}' cannot be a user name: use 1 to 64 letters, digits, dots, dashes or underscores"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    return password


def add_user(store: AccountStore, name: str, role: str, password: str) -> User:
    """Make an account after checking its name, role and password; the password is stored only as a hash."""
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role; use one of {', '.join(ROLES)}")
    return store.users.add_user(check_name(name), role, hash_password(check_password(password)))


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


def log_in(store: AccountStore, name: str, password: str, address: str, at: datetime | None = None) -> LoginResult:
    """Check a login attempt; a throttled name or address is refused before its password is even looked at.
    The attempt is counted before the (slow) password check, so simultaneous guesses cannot slip past the
    limits; a success clears only that name's count, never the address's."""
    at = at or datetime.now(timezone.utc)

    def wait_for(by_name: list[str], by_address: list[str]) -> int:
        return max(_wait(by_name, MAX_FAILURES_PER_NAME, at), _wait(by_address, MAX_FAILURES_PER_ADDRESS, at))

    attempt, wait = store.users.start_login(name, address, (at - WINDOW).isoformat(), wait_for)
    if attempt is None:
        log.warning("login throttled for a name or address after repeated failures")
        minutes = max(1, -(-wait // 60))
        return LoginResult(None, f"Too many failed logins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
    user = store.users.find_user(name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        return LoginResult(None, "Wrong name or password.")
    store.users.login_succeeded(attempt)
    if _hasher.check_needs_rehash(user.password_hash):
        user = store.users.set_password_hash(user.name, hash_password(password))
    return LoginResult(user)


def _wait(failures: list[str], limit: int, at: datetime) -> int:
    """Seconds until fewer than `limit` of `failures` are inside the window; 0 when not throttled."""
    if len(failures) < limit:
        return 0
    oldest_that_counts = datetime.fromisoformat(failures[-limit])
    return max(0, int((oldest_that_counts + WINDOW - at).total_seconds()))
