"""Password hashing (Argon2id through argon2-cffi) and the password policy.

argon2-cffi's :class:`PasswordHasher` encodes salt and parameters in the hash, verifies in
constant time and says when a stored hash should be upgraded (``check_needs_rehash``). The
parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): ~20 ms here.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 200
# Verifying against this costs as much as a real hash: unknown emails take as long as known ones.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; None (no password set yet) never matches."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def policy_problem(password: str, email: str) -> str | None:
    """The i18n key of what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return "err_password_short"
    if len(password) > MAX_LENGTH:
        return "err_password_long"
    if password.strip().lower() == email.strip().lower() or len(set(password)) < 4:
        return "err_password_weak"
    return None
