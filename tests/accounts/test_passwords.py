"""Passwords are hashed at the production Argon2id cost, whatever the tests use for speed
(tests/conftest.py makes in-process apps hash cheaply), and a hash verifies at any cost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.accounts import passwords
from app.accounts.passwords import PRODUCTION_COST, hash_password, use_cost, verify_password
from tests.helpers.accounts import TEST_HASH_COST


@pytest.fixture
def production_cost() -> Iterator[None]:
    use_cost()  # no arguments: the production cost, as every server uses
    yield
    use_cost(**TEST_HASH_COST)


def test_production_hashes_are_argon2id_at_64_mib_3_passes_4_lanes(production_cost):
    assert PRODUCTION_COST == {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), hashed
    assert verify_password("correct horse battery staple", hashed)
    assert not verify_password("correct horse battery stapler", hashed)


def test_the_tests_hash_cheaply_and_a_hash_verifies_at_any_cost():
    cheap = hash_password("member-password-1")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$"), cheap
    use_cost()
    try:  # a production-cost server still verifies it: the cost is in the hash
        assert verify_password("member-password-1", cheap)
        assert passwords.hash_password("x").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        use_cost(**TEST_HASH_COST)


def test_an_unknown_email_is_checked_against_a_hash_too():
    assert verify_password("anything", None) is False
