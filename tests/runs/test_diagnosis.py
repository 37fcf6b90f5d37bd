"""After training, a run that learned little says so (GET /api/runs/{id} `diagnosis`) and
names the likely causes from its own settings; a run that learned says nothing. The epochs
and test results are written as a worker writes them, without training."""

from __future__ import annotations

from sqlmodel import Session

from app.models import RunMetric
from app.runs import state
from tests.helpers.stacks import dense, mlp


def finished(client, stack, losses, right_per_class, status="completed", epochs=None, **fit):
    """A run of `stack` on the digits that ended as `status` with these epoch losses and a
    test confusion matrix of 10 samples per class, `right_per_class` of them right."""
    fit = {"epochs": epochs or len(losses), **fit}
    body = {"architecture": stack, "dataset_id": 1, "fit": fit}
    response = client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    engine = client.app.state.engine
    with Session(engine) as session:
        for epoch, loss in enumerate(losses, 1):
            session.add(RunMetric(run_id=run_id, key="loss", step=epoch, value=loss))
        session.commit()
    confusion = [[0] * 10 for _ in range(10)]
    for c in range(10):
        confusion[c][c] = right_per_class
        confusion[c][(c + 1) % 10] = 10 - right_per_class
    assert state.claim_next(engine, "test-worker") == run_id
    state.finish(engine, run_id, status, confusion=confusion, epochs_done=len(losses),
                 test_metrics={"loss": losses[-1]})  # fmt: skip
    return client.get(f"/api/runs/{run_id}").json()


def logits_trap():
    """Dense(10) without activation and SparseCategoricalCrossentropy() (from_logits off)."""
    stack = mlp([8, 8])
    stack["layers"][-1] = dense(10)
    return stack


def test_the_logits_trap_near_chance_is_explained_by_its_settings(client):
    run = finished(client, logits_trap(), [2.30, 2.29, 2.29, 2.30, 2.29], right_per_class=1)
    diagnosis = run["diagnosis"]
    assert diagnosis["learned"] is False
    assert "test accuracy is 10.0%, near chance (10.0%, what always guessing" in diagnosis["text"]
    assert "Its loss did not fall: 2.3 after epoch 1, 2.29 after epoch 5." in diagnosis["findings"]
    (cause,) = diagnosis["causes"]
    assert cause["kind"] == "linear_output_without_logits"
    assert "from_logits" in cause["text"]


def test_a_run_that_learned_says_nothing(client):
    run = finished(client, mlp([8, 8]), [1.2, 0.5, 0.3], right_per_class=9)
    assert run["diagnosis"] is None


def test_a_high_learning_rate_and_few_epochs_are_named(client):
    stack = mlp([8, 8], optimizer={"name": "Adam", "learning_rate": 0.5})
    run = finished(client, stack, [5.0, 9.0], right_per_class=1)
    kinds = [c["kind"] for c in run["diagnosis"]["causes"]]
    assert kinds == ["learning_rate", "few_epochs"]
    rate, epochs = run["diagnosis"]["causes"]
    assert "The learning rate is 0.5, against Adam's default of 0.001" in rate["text"]
    assert "Try 0.001" in rate["text"]
    assert "only 2 epochs" in epochs["text"]


def test_unscaled_inputs_are_named(client):
    run = finished(client, mlp([8, 8]), [2.3] * 5, right_per_class=2, normalize=False)
    (cause,) = run["diagnosis"]["causes"]
    assert cause["kind"] == "unscaled_inputs" and "0..16" in cause["text"]


def test_a_loss_that_does_not_fall_is_said_even_above_chance(client):
    run = finished(client, mlp([8, 8]), [0.9, 0.95, 0.92, 0.94], right_per_class=6)
    assert run["diagnosis"]["findings"] == [
        "Its loss did not fall: 0.9 after epoch 1, 0.94 after epoch 4."
    ]
    assert run["diagnosis"]["causes"][0]["kind"] == "unknown"


def test_a_queued_run_has_no_diagnosis(client):
    body = {"architecture": logits_trap(), "dataset_id": 1}
    assert client.post("/api/runs", json=body).json()["diagnosis"] is None


def test_the_run_list_carries_it_too(client):
    finished(client, logits_trap(), [2.3, 2.3, 2.3, 2.3], right_per_class=1)
    (listed,) = client.get("/api/runs").json()["data"]
    assert listed["diagnosis"]["causes"][0]["kind"] == "linear_output_without_logits"


def stopped(client, status, losses, epochs=20):
    """The logits trap ended early as `status` with these losses and a validation accuracy
    near chance (an unfinished run has no test confusion matrix)."""
    body = {"architecture": logits_trap(), "dataset_id": 1, "fit": {"epochs": epochs}}
    run_id = client.post("/api/runs", json=body).json()["id"]
    engine = client.app.state.engine
    with Session(engine) as session:
        for epoch, loss in enumerate(losses, 1):
            session.add(RunMetric(run_id=run_id, key="loss", step=epoch, value=loss))
            session.add(RunMetric(run_id=run_id, key="val_accuracy", step=epoch, value=0.1))
        session.commit()
    assert state.claim_next(engine, "test-worker") == run_id
    state.finish(engine, run_id, status, epochs_done=len(losses))
    return client.get(f"/api/runs/{run_id}").json()


def test_runs_that_ended_early_with_enough_epochs_are_judged_too(client):
    for status in ("cancelled", "failed", "interrupted"):
        run = stopped(client, status, [2.30, 2.30, 2.29])
        diagnosis = run["diagnosis"]
        assert diagnosis is not None, status
        assert diagnosis["text"].startswith("This run learned little in its 3 epochs,")
        assert "validation accuracy is 10.0%, near chance" in diagnosis["text"]
        kinds = [c["kind"] for c in diagnosis["causes"]]
        assert kinds == ["linear_output_without_logits", "ended_early"], status
        ended = diagnosis["causes"][-1]["text"]
        assert "after 3 of 20 epochs" in ended
        assert ("Resume continues" in ended) == (status != "failed")


def test_runs_that_ended_early_with_too_few_epochs_are_not_judged(client):
    for status in ("cancelled", "failed", "interrupted"):
        assert stopped(client, status, [2.30, 2.30])["diagnosis"] is None, status
        assert stopped(client, status, [])["diagnosis"] is None, status


def test_a_completed_run_is_judged_however_short(client):
    run = finished(client, logits_trap(), [2.3, 2.3], right_per_class=1)
    assert [c["kind"] for c in run["diagnosis"]["causes"]][-1] == "few_epochs"


def test_a_loss_that_stays_at_guessing_after_epoch_1_is_said(client):
    """The logits trap on MNIST: epoch 1's mean loss is high, then it sits at about ln 10
    while the accuracy, at 40%, is above near-chance."""
    run = finished(client, logits_trap(), [2.62, 2.27, 2.28, 2.28], right_per_class=4)
    (finding,) = run["diagnosis"]["findings"]
    assert finding == (
        "Its loss, 2.28 after epoch 4, is about what guessing every class alike scores "
        "(2.3): it has not learned to tell the classes apart."
    )
    assert run["diagnosis"]["causes"][0]["kind"] == "linear_output_without_logits"
    # A run that learned is far below it; a regression loss has no such level.
    assert finished(client, mlp([8, 8]), [2.62, 1.1, 0.6], right_per_class=4)["diagnosis"] is None
    mse = mlp([8, 8], loss="mean_squared_error")
    assert finished(client, mse, [9.0, 2.5, 2.4], right_per_class=4)["diagnosis"] is None
