"""Session ids and API tokens: 256 random bits, stored only as their SHA-256.

A fast hash is right here (unlike passwords): the secret is random and long, so there is
nothing to guess, and every request looks one up.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "lst_"  # says what it is when found in a script or a log
PREFIX_SHOWN = 12  # characters of a token listed afterwards, to tell tokens apart


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return TOKEN_PREFIX + new_secret()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
