"""A sweep is refused before anything is saved, on both databases, with each problem at
grid["<path>"](k): a path that names no setting, an index past the stack, an argument the
layer type does not have, a value of the wrong type, a combination POST /api/runs would
refuse, more runs than MAX_SWEEP_RUNS."""

from __future__ import annotations

from tests.helpers.stacks import mlp

GRID = {"compile.optimizer.learning_rate": [0.01, 0.001], "fit.batch_size": [32, 128]}


def sweep(grid, **extra):
    base = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 2}}
    return {"base": base, "grid": grid, **extra}


def refused(client, body, status=422):
    answer = client.post("/api/sweeps", json=body)
    assert answer.status_code == status, answer.text
    # Nothing saved: no sweep, no run.
    assert client.get("/api/sweeps").json()["count"] == 0
    assert client.get("/api/runs").json()["count"] == 0
    return answer.json()["detail"]


# (grid, where the problem is, what its message says), each refused on its own.
PATH_CASES = [
    ({"layers[7].args.units": [8]}, ["body", "grid", "layers[7].args.units"],
     ['grid["layers[7].args.units"]', "the stack has 3 layers", "received index 7",
      "from 0 to 2"]),
    ({"layers[1].args.unitz": [8]}, ["body", "grid", "layers[1].args.unitz"],
     ["a Dense, which has no argument `unitz`", "Did you mean 'units'?"]),
    ({"layers[0].args.units": [8]}, ["body", "grid", "layers[0].args.units"],
     ["a Flatten, which has no argument `units`"]),
    ({"fit.bach_size": [8]}, ["body", "grid", "fit.bach_size"],
     ["fit has no setting `bach_size`", "batch_size"]),
    ({"compile.optimizer.lr": [0.1]}, ["body", "grid", "compile.optimizer.lr"],
     ["Adam has no argument `lr`", "learning_rate"]),
    ({"layers[1].units": [8]}, ["body", "grid", "layers[1].units"],
     ['use "layers[1].args.units"']),
    ({"architecture.layers": [8]}, ["body", "grid", "architecture.layers"],
     ["names no setting", '"fit.<field>"']),
    ({"fit.batch_size": []}, ["body", "grid", "fit.batch_size"], ["a non-empty list"]),
    ({"fit.batch_size": 32}, ["body", "grid", "fit.batch_size"], ["a non-empty list"]),
    ({"fit.batch_size": [32, 32]}, ["body", "grid", "fit.batch_size"],
     ["value 1 (32) repeats value 0"]),
    ({"fit.batch_size": list(range(1, 1002))}, ["body", "grid", "fit.batch_size"],
     ["1001 values listed; a setting takes at most 1000"]),
]  # fmt: skip
VALUE_CASES = [
    ({"layers[1].args.units": [64, "many"]}, ["body", "grid", "layers[1].args.units", 1],
     ['grid["layers[1].args.units"][1]', "Expected an integer >= 1 for `units`",
      "Received: units='many' (a string)"]),
    ({"fit.batch_size": [32, 0]}, ["body", "grid", "fit.batch_size", 1],
     ["greater than or equal to 1", "Received: fit.batch_size=0"]),
    ({"compile.optimizer.learning_rate": [-1]},
     ["body", "grid", "compile.optimizer.learning_rate", 0], ["Expected a number > 0.0"]),
    ({"layers[1].args.activation": ["relu", "rleu"]},
     ["body", "grid", "layers[1].args.activation", 1], ["rleu"]),
]  # fmt: skip


def test_a_path_that_names_no_setting_of_the_base_is_refused(client):
    """One app per database for all the cases: each refusal leaves nothing behind."""
    for grid, loc, says in PATH_CASES:
        [problem] = refused(client, sweep({**GRID, **grid}))
        assert problem["loc"] == loc, grid
        assert problem["type"] == "sweep_path", grid
        for words in says:
            assert words in problem["msg"], grid


def test_a_value_of_the_wrong_type_is_refused_by_its_index(client):
    for grid, loc, says in VALUE_CASES:
        [problem] = refused(client, sweep({**GRID, **grid}))
        assert problem["loc"] == loc and problem["type"] == "sweep_value", grid
        for words in says:
            assert words in problem["msg"], grid
        assert "Change or remove this value" in problem["msg"]


def test_every_problem_is_listed_at_once(client):
    grid = {"layers[9].args.units": [8], "fit.batch_size": [0, -1]}
    locs = [p["loc"][2:] for p in refused(client, sweep(grid))]
    assert locs == [["layers[9].args.units"], ["fit.batch_size", 0], ["fit.batch_size", 1]]


def test_a_combination_post_runs_would_refuse_is_named(client):
    """Each value passes alone as an integer; 5 output units for 10 classes does not train."""
    problems = refused(client, sweep({**GRID, "layers[2].args.units": [10, 5]}))
    assert len(problems) == 4  # every combination with units=5
    problem = problems[0]
    assert problem["loc"] == ["body", "grid"] and problem["type"] == "sweep_combination"
    assert problem["msg"].startswith("Combination 2 of 8 (compile.optimizer.learning_rate=0.01")
    assert "layers[2].args.units=5" in problem["msg"]
    assert "has 5 units, but the dataset has 10 classes" in problem["msg"]
    assert problem["input"]["layers[2].args.units"] == 5


def test_epochs_over_max_epochs_in_the_grid_are_refused(client):
    [problem] = refused(client, sweep({"fit.epochs": [2, 5000]}))
    assert "Combination 2 of 2 (fit.epochs=5000)" in problem["msg"]
    assert "MAX_EPOCHS" in problem["msg"]


def test_a_base_refused_on_its_own_points_at_the_base(client):
    body = sweep(GRID)
    body["base"]["fit"]["epochs"] = 5000
    problems = refused(client, body)
    assert problems[0]["loc"] == ["body", "base", "fit", "epochs"]
    assert problems[0]["msg"].startswith("The base run is refused in every combination")


def test_more_runs_than_max_sweep_runs_are_refused(client):
    grid = {"fit.batch_size": list(range(1, 9)), "fit.epochs": list(range(1, 10))}  # 72
    [problem] = refused(client, sweep(grid))
    assert problem["loc"] == ["body", "grid"] and problem["type"] == "sweep_too_many"
    assert "would train 72 runs (the grid has 8 x 9 = 72 combinations)" in problem["msg"]
    assert "MAX_SWEEP_RUNS" in problem["msg"] and '"trials": 64 or fewer' in problem["msg"]
    [problem] = refused(client, sweep(grid, trials=65))
    assert problem["loc"] == ["body", "trials"]
    [problem] = refused(client, sweep(GRID, trials=5))
    assert "the grid has only 4 combinations" in problem["msg"]


def test_a_sample_of_a_grid_of_trillions_of_points_is_drawn(client):
    grid = {
        f"layers[1].args.{arg}": values
        for arg, values in (
            ("units", list(range(1, 1001))),
            ("activation", ["relu", "tanh", "sigmoid"]),
        )
    }
    grid |= {f"fit.{field}": list(range(1, 1001)) for field in ("epochs", "batch_size")}
    grid["compile.optimizer.learning_rate"] = [i / 10_000 for i in range(1, 1001)]
    answer = client.post("/api/sweeps", json=sweep(grid, trials=2, seed=1))
    assert answer.status_code == 202, answer.text
    assert answer.json()["run_count"] == 2


def test_a_sample_of_a_large_grid_is_within_the_cap(client):
    grid = {"fit.batch_size": list(range(1, 9)), "fit.epochs": list(range(1, 10))}
    answer = client.post("/api/sweeps", json=sweep(grid, trials=3, seed=5))
    assert answer.status_code == 202, answer.text
    assert answer.json()["run_count"] == 3 and answer.json()["seed"] == 5


def test_someone_elses_or_a_missing_dataset_is_404(client):
    body = sweep(GRID)
    body["base"]["dataset_id"] = 99
    assert "No dataset with id 99" in refused(client, body, status=404)
