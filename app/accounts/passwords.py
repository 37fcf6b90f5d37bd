"""Passwords, hashed with Argon2id (pwdlib's defaults: 64 MiB, 3 passes; ~150 ms here).

Deliberately slow, so a stolen database does not give passwords away; an unknown email is
checked against a dummy hash, so that it takes as long as a wrong password.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy() -> str:
    return _hasher().hash("not anyone's password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """True if `password` matches; with no hash (no such user), as slow as a real check."""
    if hashed is None:
        _hasher().verify(password, _dummy())
        return False
    return _hasher().verify(password, hashed)
