"""Password hashing (argon2id) and the password policy.

Policy (NCSC / NIST SP 800-63B): at least 12 characters, no composition rules, common passwords refused. The
deny list is zxcvbn's list of the 30,000 most common leaked passwords (a maintained package, not a list in code);
a password is also refused when it is such a password padded with digits or symbols, repeated, or one
character or a keyboard run repeated.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()


class HashingBusy(Exception):
    """Every password-hashing slot of this process stayed busy for longer than the configured wait."""


class _Slots:
    """A bound on the argon2 work one process does at once, so a flood of sign-ins cannot starve other pages."""

    def __init__(self, concurrency: int, wait_seconds: float) -> None:
        self.configure(concurrency=concurrency, wait_seconds=wait_seconds)

    def configure(self, *, concurrency: int, wait_seconds: float) -> None:
        self.concurrency = max(1, concurrency)
        self.wait_seconds = max(0.0, wait_seconds)
        self._semaphore = threading.BoundedSemaphore(self.concurrency)

    @contextmanager
    def slot(self) -> Iterator[None]:
        semaphore = self._semaphore
        if not semaphore.acquire(timeout=self.wait_seconds):
            raise HashingBusy()
        try:
            yield
        finally:
            semaphore.release()


hashing = _Slots(concurrency=2, wait_seconds=2.0)  # the app factory sets the configured values


def configure_hasher(
    *, time_cost: int | None = None, memory_cost: int | None = None, parallelism: int | None = None
) -> None:
    """Change the argon2 parameters (the test configuration uses the minimum; production keeps the defaults)."""
    global _hasher
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=time_cost or defaults.time_cost,
        memory_cost=memory_cost or defaults.memory_cost,
        parallelism=parallelism or defaults.parallelism,
    )


_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``. Raises HashingBusy when this process is already hashing at capacity."""
    with hashing.slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a bad or foreign hash.

    Raises HashingBusy when this process is already hashing at capacity (the caller answers 429).
    """
    with hashing.slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _is_common(password: str) -> bool:
    lowered = password.lower()
    common = _common()
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    if lowered in common or (core and core in common):
        return True
    for size in range(1, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size):
            return True
    return any(lowered in seq * 2 or lowered in seq[::-1] * 2 for seq in _SEQUENCES)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """The reason ``password`` is not allowed, in words for the form, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if _is_common(password):
        return "Password is too common: choose a longer phrase, for example three random words"
    if email:
        local = email.split("@")[0].lower()
        if len(local) >= 4 and local in password.lower():
            return "Password must not contain your email address"
    return None
