"""Who a session cookie or an API token belongs to, remembered for a few seconds, so that the
auth check most requests pay is a dictionary look-up instead of two database queries.

Everything that ends a session or a token here (sign-out, a revoked token, a disabled user,
a new password) forgets the entries it concerns at once. Another web process would keep its
own entries up to TTL_S longer; that is the bound on "at once" across processes.
"""

from __future__ import annotations

import threading
import time

from app.models import User

TTL_S = 5.0


class SignedIn:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self.entries: dict[str, tuple[User, float]] = {}  # secret's digest -> (user, until)
        self.lock = threading.Lock()

    def get(self, key: str) -> User | None:
        entry = self.entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, user: User, at_most_s: float | None = None) -> None:
        ttl = self.ttl_s if at_most_s is None else min(self.ttl_s, at_most_s)
        with self.lock:
            self.entries[key] = (user, time.monotonic() + ttl)
            if len(self.entries) > 10_000:  # drop what has expired; bounded memory
                now = time.monotonic()
                self.entries = {k: v for k, v in self.entries.items() if v[1] >= now}

    def forget(self, key: str) -> None:
        with self.lock:
            self.entries.pop(key, None)

    def forget_user(self, user_id: int | None) -> None:
        with self.lock:
            self.entries = {k: v for k, v in self.entries.items() if v[0].id != user_id}


signed_in = SignedIn()  # one per process, shared by every app in it (keys are random)
