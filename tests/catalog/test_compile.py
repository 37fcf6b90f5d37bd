"""Compile settings: string ids or objects, Keras's defaults, mistakes named."""

import pytest

from app.catalog import Invalid, check_compile


def test_defaults_are_keras_defaults():
    assert check_compile(None) == {"optimizer": "rmsprop", "loss": None, "metrics": []}


def test_strings_and_objects_as_in_the_tutorial():
    settings = check_compile(
        {
            "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
            "loss": "binary_crossentropy",
            "metrics": ["accuracy", "mse", {"name": "MeanAbsoluteError"}],
        }
    )
    assert settings["optimizer"] == {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9}
    assert settings["metrics"][2] == {"name": "MeanAbsoluteError"}


def test_module_paths_are_accepted_when_the_name_is_right():
    settings = check_compile({"optimizer": "tf.keras.optimizers.Adam", "loss": "keras.losses.mse"})
    assert settings == {"optimizer": "Adam", "loss": "mse", "metrics": []}


def test_object_names_may_be_ids():
    assert check_compile({"optimizer": {"name": "adam"}})["optimizer"] == {"name": "Adam"}


def test_a_single_metric_is_a_list_of_one():
    assert check_compile({"metrics": "accuracy"})["metrics"] == ["accuracy"]


@pytest.mark.parametrize(
    "settings,loc,words",
    [
        ({"loss": "sgd"}, ["compile", "loss"], "'sgd' is an optimizer, not a loss"),
        ({"optimizer": "mse"}, ["compile", "optimizer"], "'mse' is a loss, not an optimizer"),
        ({"metrics": ["adam"]}, ["compile", "metrics", 0], "'adam' is an optimizer, not a metric"),
        (
            {"optimizer": {"learning_rate": 1}},
            ["compile", "optimizer"],
            "Expected an optimizer name",
        ),
        (
            {"optimizer": {"name": "Adam", "beta_1": 1.0}},
            ["compile", "optimizer", "beta_1"],
            "beta_1=1.0",
        ),
        ({"lr": 0.1}, ["compile", "lr"], "`compile` has no field `lr`"),
        ([], ["compile"], "Expected an object for `compile`"),
    ],
)
def test_mistakes_name_the_field(settings, loc, words):
    with pytest.raises(Invalid) as invalid:
        check_compile(settings)
    problem = invalid.value.problems[0]
    assert list(problem.loc) == loc and words in problem.msg
