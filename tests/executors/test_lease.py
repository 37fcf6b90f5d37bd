"""The dispatcher lease (app/executors/lease.py): one holder at a time, renewed while it
lives, taken over once it expires, on each database (the `engine` fixture)."""

from __future__ import annotations

import time

from app.executors.lease import hold, release


def test_one_holder_at_a_time_until_it_expires(engine) -> None:
    assert hold(engine, "dispatcher", "a", ttl_s=0.3) == ""  # a new lease
    assert hold(engine, "dispatcher", "b", ttl_s=0.3) is None  # a holds it
    assert hold(engine, "dispatcher", "a", ttl_s=0.3) == "a"  # renewed
    time.sleep(0.4)
    assert hold(engine, "dispatcher", "b", ttl_s=10) == "a"  # expired: b takes over from a
    assert hold(engine, "dispatcher", "a", ttl_s=10) is None


def test_a_released_lease_is_free_at_once(engine) -> None:
    hold(engine, "dispatcher", "a", ttl_s=60)
    release(engine, "dispatcher", "b")  # not b's to release
    assert hold(engine, "dispatcher", "b", ttl_s=60) is None
    release(engine, "dispatcher", "a")
    assert hold(engine, "dispatcher", "b", ttl_s=60) == ""


def test_leases_are_independent_by_name(engine) -> None:
    assert hold(engine, "one", "a", ttl_s=60) == ""
    assert hold(engine, "two", "b", ttl_s=60) == ""
