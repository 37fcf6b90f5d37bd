"""Keras is imported once per test session (about 9 s), only by tests under tests/ml."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def keras():
    import keras as keras_module

    return keras_module
