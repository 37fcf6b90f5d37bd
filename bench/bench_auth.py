"""What accounts cost: signing in (Argon2 is slow on purpose) and the auth check every request
pays, next to the same request without accounts, in the same run.

Goals (issue 11): sign-in p50 under ~300 ms; the auth check on GET /api/layers under 0.5 ms
p50 in-process. Prints figures and whether each goal is met; asserts no times.
Run with `make bench` or `.venv/bin/python bench/bench_auth.py`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from fastapi.testclient import TestClient  # noqa: E402
from starlette.requests import Request  # noqa: E402

from app.accounts.cache import TTL_S  # noqa: E402
from app.config import Settings  # noqa: E402
from app.deps import SESSION_COOKIE, get_current_user, look_up_user  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, accounts_settings  # noqa: E402

SIGN_IN_GOAL_MS, CHECK_GOAL_MS = 300.0, 0.5
SIGN_INS, REQUESTS, CHECKS = 20, 2000, 5000


def timed(call: Callable[[], object], times: int) -> list[float]:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50(values: list[float]) -> float:
    return statistics.median(values)


def request_for(app: object, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "app": app, "headers": raw, "method": "GET", "path": "/"})


def checks_timed(request: Request, times: int) -> list[float]:
    """get_current_user as FastAPI runs it, awaited on one event loop, each call timed."""

    async def run() -> list[float]:
        out = []
        for _ in range(times):
            start = time.perf_counter()
            await get_current_user(request)
            out.append((time.perf_counter() - start) * 1000)
        return out

    return asyncio.run(run())


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    plain = Settings(data_dir=work / "plain", workers=0, predictors=0)
    with (
        TestClient(create_app(plain)) as laptop,
        TestClient(create_app(accounts_settings(work / "accounts"))) as server,
    ):
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        sign_ins = timed(lambda: server.post("/api/session", json=login), SIGN_INS)
        secret = server.cookies[SESSION_COOKIE]
        token = server.post("/api/tokens", json={"name": "bench"}).json()["token"]
        server.cookies.clear()
        bearer = {"Authorization": f"Bearer {token}"}
        cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}
        for client, headers in ((laptop, {}), (server, bearer), (server, cookie)):
            assert client.get("/api/layers", headers=headers).status_code == 200
        layers = {
            "AUTH=none": timed(lambda: laptop.get("/api/layers"), REQUESTS),
            "API token": timed(lambda: server.get("/api/layers", headers=bearer), REQUESTS),
            "session cookie": timed(lambda: server.get("/api/layers", headers=cookie), REQUESTS),
        }
        checks = {
            "API token": checks_timed(request_for(server.app, bearer), CHECKS),
            "session cookie": checks_timed(request_for(server.app, cookie), CHECKS),
        }
        # A first request, or one more than TTL_S after the last: the database look-up.
        settings = server.app.state.settings
        misses = {
            "API token": timed(
                lambda: look_up_user(request_for(server.app, bearer), settings, token), REQUESTS
            ),
            "session cookie": timed(
                lambda: look_up_user(request_for(server.app, cookie), settings, None), REQUESTS
            ),
        }
    base = p50(layers["AUTH=none"])
    print("auth benchmark (2 cores)")
    met = "met" if p50(sign_ins) < SIGN_IN_GOAL_MS else "MISSED"
    print(f"sign-in (POST /api/session, Argon2id)  p50 {p50(sign_ins):7.1f} ms   "
          f"goal < {SIGN_IN_GOAL_MS:.0f} ms   {met}")  # fmt: skip
    print("GET /api/layers in-process (TestClient)   p50        vs AUTH=none")
    for name, values in layers.items():
        print(f"  {name:<16}{p50(values):30.3f} ms   {p50(values) - base:+.3f} ms")
    print("the auth check alone (get_current_user)   p50")
    for name, values in checks.items():
        met = "met" if p50(values) < CHECK_GOAL_MS else "MISSED"
        print(f"  {name:<16}{p50(values):30.3f} ms   goal < {CHECK_GOAL_MS} ms   {met}")
    print(f"  ...on a miss (first call, then every {TTL_S:g} s), the database look-up:")
    for name, values in misses.items():
        print(f"  {name:<16}{p50(values):30.3f} ms")


if __name__ == "__main__":
    main()
