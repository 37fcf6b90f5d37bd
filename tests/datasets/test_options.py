"""Form options: sizes like 28,28 or 28x28, colour modes, class names."""

import pytest

from app.datasets.base import DatasetError
from app.datasets.options import parse_options, parse_size


def test_sizes():
    assert parse_size("28,28") == (28, 28)
    assert parse_size(" 32 x 24 ") == (32, 24)
    assert parse_size("28,28,1") == (28, 28, 1)


@pytest.mark.parametrize("text", ["28", "0,28", "a,b", "28,28,28,28", "5000,5000"])
def test_bad_sizes_name_the_field(text):
    with pytest.raises(DatasetError) as error:
        parse_size(text)
    assert error.value.field == "image_size" and repr(text) in error.value.message


def test_options():
    options = parse_options("28,28", "rgb", "digit", "zero, one")
    assert options.image_size == (28, 28) and options.class_names == ["zero", "one"]
    with pytest.raises(DatasetError, match="color_mode='cmyk'"):
        parse_options(None, "cmyk", "label", None)
    with pytest.raises(DatasetError, match="distinct"):
        parse_options(None, None, "label", "a,a")
