"""The dispatcher lease (app/executors/lease.py): one holder at a time, renewed while it
lives, taken over once it expires, on each database (the `engine` fixture). Expiry is
tested with a clock the test moves on itself, never by sleeping past a TTL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.executors.lease import hold, holder_of, release
from app.models import utcnow
from tests.helpers.clock import Clock

pytestmark = pytest.mark.both_databases  # the lease's SQL: conditional updates, timestamps


def test_one_holder_at_a_time_until_it_expires(engine) -> None:
    clock = Clock()
    assert hold(engine, "dispatcher", "a", ttl_s=10, clock=clock) == ""  # a new lease
    assert hold(engine, "dispatcher", "b", ttl_s=10, clock=clock) is None  # a holds it
    clock.advance(5)
    assert hold(engine, "dispatcher", "a", ttl_s=10, clock=clock) == "a"  # renewed: until 15 s
    clock.advance(9.999)  # 1 ms before the renewed lease expires (the first one has)
    assert hold(engine, "dispatcher", "b", ttl_s=10, clock=clock) is None
    assert holder_of(engine, "dispatcher", live=True, clock=clock) == "a"
    clock.advance(0.002)
    assert holder_of(engine, "dispatcher", live=True, clock=clock) is None  # expired
    assert holder_of(engine, "dispatcher", clock=clock) == "a"  # but still its row
    assert hold(engine, "dispatcher", "b", ttl_s=10, clock=clock) == "a"  # b takes over from a
    assert hold(engine, "dispatcher", "a", ttl_s=10, clock=clock) is None


def test_the_default_clock_is_the_real_time(engine) -> None:
    """Without a clock a lease lasts `ttl_s` of real time: a clock a second ahead of the
    real one still finds it held, one two minutes ahead finds it expired (no waiting)."""

    def ahead(seconds: float) -> datetime:
        return utcnow() + timedelta(seconds=seconds)

    assert hold(engine, "dispatcher", "a", ttl_s=60) == ""
    assert hold(engine, "dispatcher", "b", ttl_s=60, clock=lambda: ahead(1)) is None
    assert hold(engine, "dispatcher", "b", ttl_s=60, clock=lambda: ahead(120)) == "a"
    assert holder_of(engine, "dispatcher", live=True) == "b"  # until 3 minutes from now


def test_a_released_lease_is_free_at_once(engine) -> None:
    hold(engine, "dispatcher", "a", ttl_s=60)
    release(engine, "dispatcher", "b")  # not b's to release
    assert hold(engine, "dispatcher", "b", ttl_s=60) is None
    release(engine, "dispatcher", "a")
    assert hold(engine, "dispatcher", "b", ttl_s=60) == ""


def test_leases_are_independent_by_name(engine) -> None:
    assert hold(engine, "one", "a", ttl_s=60) == ""
    assert hold(engine, "two", "b", ttl_s=60) == ""
