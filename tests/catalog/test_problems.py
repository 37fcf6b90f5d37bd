"""Problems (app/catalog/problems.py): FastAPI's error shape, located where the user sent the
value, with the value received and the name the user probably meant."""

import pytest

from app.catalog.problems import (
    Invalid,
    Problem,
    did_you_mean,
    invalid,
    prefixed,
    received,
    suggest,
)


def test_invalid_is_one_problem_in_fastapis_error_shape():
    error = invalid(
        ("layers", 0, "type"), "Unknown layer type 'Dens'.", "layer_type", "Dens",
        {"replace": "Dense"},
    )  # fmt: skip
    assert isinstance(error, ValueError) and str(error) == "Unknown layer type 'Dens'."
    assert [p.as_dict() for p in error.problems] == [
        {
            "loc": ["layers", 0, "type"],
            "msg": "Unknown layer type 'Dens'.",
            "type": "layer_type",
            "input": "Dens",
            "fix": {"replace": "Dense"},
        }
    ]


def test_input_and_fix_appear_only_when_there_is_one():
    (bare,) = invalid(("name",), "Field required", "missing").problems
    assert bare.as_dict() == {"loc": ["name"], "msg": "Field required", "type": "missing"}
    (zero,) = invalid(("units",), "Expected an integer >= 1", "int", 0).problems
    assert zero.as_dict()["input"] == 0  # a falsy value is still what was received
    assert "fix" not in zero.as_dict()


def test_prefixed_puts_every_problem_inside_the_bigger_request():
    inner = Invalid([
        Problem(("layers", 0), "first", "layer_type", "Dens"),
        Problem(("compile", "loss"), "second", "loss", "mse!", {"replace": "mse"}),
    ])  # fmt: skip
    outer = prefixed(inner, "architecture")
    assert [p.loc for p in outer.problems] == [
        ("architecture", "layers", 0),
        ("architecture", "compile", "loss"),
    ]
    assert [(p.msg, p.type, p.input, p.fix) for p in outer.problems] == [
        ("first", "layer_type", "Dens", None),
        ("second", "loss", "mse!", {"replace": "mse"}),
    ]
    assert str(outer) == "first; second"
    assert inner.problems[0].loc == ("layers", 0)  # the original is left as it was


@pytest.mark.parametrize(
    "value,words",
    [
        (True, "Received: units=true (a boolean)"),
        ("64", "Received: units='64' (a string)"),
        (None, "Received: units=null"),
        ({"n": 1}, "Received: units={'n': 1} (an object)"),
        (0, "Received: units=0"),
    ],
)
def test_received_names_the_json_type_when_that_is_the_problem(value, words):
    assert received("units", value) == words


@pytest.mark.parametrize(
    "typed,options,expected",
    [
        (
            "Binary_CrossEntropy",
            ["binary_crossentropy", "BinaryCrossentropy"],
            "BinaryCrossentropy",
        ),
        (
            "binary_crossentropy_",
            ["binary_crossentropy", "BinaryCrossentropy"],
            "binary_crossentropy",
        ),
        ("BinaryAccuaracy", ["BinaryAccuracy", "binary_accuracy"], "BinaryAccuracy"),
        ("tf.keras.layers.Dens", ["Dense", "Dropout"], "Dense"),
        ("zzz", ["Dense"], None),
    ],
)
def test_suggest_prefers_the_users_spelling_style(typed, options, expected):
    assert suggest(typed, options) == expected


def test_did_you_mean_is_a_sentence_or_nothing():
    assert did_you_mean("Dens", ["Dense", "Dropout"]) == " Did you mean 'Dense'?"
    assert did_you_mean("zzz", ["Dense"]) == ""
    assert did_you_mean(64, ["Dense"]) == ""  # only a string can be a misspelled name
