"""Passwords, hashed with Argon2id at pwdlib's and RFC 9106's second recommended cost
(64 MiB, 3 passes, 4 lanes; ~150 ms here), pinned here so an upgrade cannot lower it.

Deliberately slow, so a stolen database does not give passwords away; an unknown email is
checked against a dummy hash, so that it takes as long as a wrong password. A hash records
its own cost, so one made at another cost still verifies.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

PRODUCTION_COST = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}
_cost = dict(PRODUCTION_COST)


def use_cost(**cost: int) -> None:
    """Hash new passwords at another Argon2 cost (the tests' in-process apps use a cheap one:
    ~150 ms a hash, several per accounts test, made the suite minutes slower). Nothing in the
    server calls it: servers always hash at PRODUCTION_COST."""
    _cost.clear()
    _cost.update(cost or PRODUCTION_COST)
    _hasher.cache_clear()
    _dummy.cache_clear()


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    cost = _cost
    hasher = Argon2Hasher(
        time_cost=cost["time_cost"], memory_cost=cost["memory_cost"], parallelism=cost["parallelism"]
    )
    return PasswordHash((hasher,))


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
