"""Argument kinds check JSON values as Keras's constructors would, and say what was received."""

import pytest

from app.catalog.args import ArgError, Factor, Float, Int, IntTuple, Shape


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", None, [3]])
def test_int_refuses_with_the_received_value(value):
    with pytest.raises(ArgError) as error:
        Int(name="units", min=1, help="").check(value)
    assert "Expected an integer >= 1 for `units`" in error.value.message or value is None


def test_int_accepts_integral_floats_from_json():
    assert Int(name="units", min=1, help="").check(64.0) == 64


def test_float_bounds_are_exclusive_where_keras_refuses_the_edge():
    rate = Float(name="rate", min=0.0, max=1.0, max_exclusive=True, help="")
    assert rate.check(0) == 0.0
    with pytest.raises(ArgError, match=r"< 1.0 for `rate`. Received: rate=1"):
        rate.check(1)
    with pytest.raises(ArgError, match="Expected a number"):
        rate.check(float("nan"))


def test_int_tuple_keeps_the_users_form():
    kernel = IntTuple(name="kernel_size", rank=2, help="")
    assert kernel.check(3) == 3 and kernel.check([3, 5]) == [3, 5]
    for bad in ([3], [3, 3, 3], 0, [0, 1], "3"):
        with pytest.raises(ArgError, match="list of 2 such integers"):
            kernel.check(bad)


def test_shape_allows_one_minus_one():
    shape = Shape(name="target_shape", help="")
    assert shape.check([-1, 7]) == [-1, 7]
    for bad in ([-1, -1], [], [0], "28,28", [2.5]):
        with pytest.raises(ArgError, match="such as"):
            shape.check(bad)


def test_factor_pairs_must_be_ordered():
    factor = Factor(name="factor", help="")
    assert factor.check(0.2) == 0.2 and factor.check([-0.1, 0.3]) == [-0.1, 0.3]
    with pytest.raises(ArgError):
        factor.check([0.3, -0.1])
