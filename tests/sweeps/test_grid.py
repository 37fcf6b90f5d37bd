"""app/sweeps/grid.py: setting paths, the grid's combinations in a fixed order, a seeded
sample, and a combination applied to a stack and fit settings without changing them."""

from __future__ import annotations

import itertools

import pytest

from app.sweeps.grid import PathError, apply, choose, combination, count, parse_path
from tests.helpers.stacks import mlp

GRID = {"compile.optimizer.learning_rate": [0.01, 0.001], "fit.batch_size": [32, 64, 128],
        "layers[1].args.units": [16, 32]}  # fmt: skip


def test_paths_name_fit_compile_and_layer_settings():
    assert parse_path("fit.batch_size").keys == ("batch_size",)
    assert parse_path("fit.early_stopping.patience").keys == ("early_stopping", "patience")
    path = parse_path("compile.optimizer.learning_rate")
    assert (path.section, path.keys) == ("compile", ("optimizer", "learning_rate"))
    layer = parse_path("layers[12].args.units")
    assert (layer.section, layer.index, layer.keys) == ("layer", 12, ("units",))


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("layers[1].units", 'use "layers[1].args.units"'),
        ("foo", "names no setting"),
        ("layers[-1].args.units", "names no setting"),
        ("fit", "names no setting"),
    ],
)
def test_a_path_that_names_no_setting_says_what_would(raw, says):
    with pytest.raises(PathError) as error:
        parse_path(raw)
    assert says in str(error.value)


def test_combinations_are_those_of_itertools_product_in_its_order():
    product = itertools.product(*GRID.values())
    expected = [dict(zip(GRID, values, strict=True)) for values in product]
    assert count(GRID) == 12
    assert [combination(GRID, n) for n in range(count(GRID))] == expected


def test_a_sample_is_seeded_sorted_and_without_repeats():
    first = choose(GRID, 5, seed=3)
    assert first == choose(GRID, 5, seed=3) == sorted(set(first)) and len(first) == 5
    assert choose(GRID, None, seed=3) == list(range(12))
    assert choose(GRID, 12, seed=3) == list(range(12))
    big = {f"fit.x{i}": list(range(100)) for i in range(6)}  # 10**12 points, never listed
    assert len(choose(big, 4, seed=1)) == 4 == len(set(choose(big, 4, seed=1)))
    huge = {f"fit.x{i}": list(range(1000)) for i in range(16)}  # 10**48: past sys.maxsize
    picked = choose(huge, 64, seed=2)
    assert len(set(picked)) == 64 and picked == choose(huge, 64, seed=2)
    assert combination(huge, picked[-1])["fit.x0"] in range(1000)


def test_a_combination_is_applied_to_copies():
    stack, fit = mlp([8, 8]), {"epochs": 2, "batch_size": 32}
    combo = {parse_path(k): v for k, v in {"compile.optimizer.learning_rate": 0.01,
             "fit.batch_size": 128, "layers[1].args.units": 16,
             "fit.early_stopping.patience": 2}.items()}  # fmt: skip
    new_stack, new_fit = apply(stack, fit, combo)
    # "adam" becomes its object form, with the argument beside its name
    assert new_stack["compile"]["optimizer"] == {"name": "adam", "learning_rate": 0.01}
    assert new_stack["layers"][1]["args"] == {"units": 16, "activation": "relu"}
    assert new_fit == {"epochs": 2, "batch_size": 128, "early_stopping": {"patience": 2}}
    assert stack == mlp([8, 8]) and fit == {"epochs": 2, "batch_size": 32}  # unchanged


def test_an_optimizer_argument_without_an_optimizer_starts_from_kerass_default():
    stack = {**mlp([8, 8]), "compile": {"loss": "sparse_categorical_crossentropy"}}
    new_stack, _ = apply(stack, {}, {parse_path("compile.optimizer.learning_rate"): 0.1})
    assert new_stack["compile"]["optimizer"] == {"name": "rmsprop", "learning_rate": 0.1}
