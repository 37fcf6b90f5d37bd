"""What a finished run records beyond its metrics: what EarlyStopping did (where it stopped,
its best epoch, whose weights the model keeps), in GET /api/runs/{id} `early_stopping`."""

from __future__ import annotations

import pytest

from tests.helpers.runs import submit, wait_for

pytestmark = pytest.mark.keras

# A min_delta no loss can beat: epoch 1 is the best (the first value always is), epoch 2
# does not improve on it, and patience 1 stops the run there.
STOP_AT_2 = {"monitor": "val_loss", "patience": 1, "min_delta": 100.0}


def test_an_early_stopped_run_says_where_it_stopped_and_whose_weights_it_kept(each_trainer):
    server = each_trainer  # on SQLite and on PostgreSQL
    kept = submit(server, epochs=40, early_stopping={**STOP_AT_2, "restore_best_weights": True})
    last = submit(server, epochs=40, early_stopping=STOP_AT_2)
    ran_all = submit(server, epochs=2, early_stopping={"patience": 5})
    plain = submit(server, epochs=1)

    run = wait_for(server, kept["id"])
    assert run["status"] == "completed" and run["epochs_done"] == 2
    best = run["history"][0]["val_loss"]
    assert run["early_stopping"] == {
        "monitor": "val_loss",
        "stopped_epoch": 2,
        "best_epoch": 1,
        "best": pytest.approx(best),
        "restored_best_weights": True,
        "weights_epoch": 1,
    }
    # Without restore_best_weights the model is the last epoch's, whichever was best.
    run = wait_for(server, last["id"])
    assert run["early_stopping"]["stopped_epoch"] == 2
    assert run["early_stopping"]["restored_best_weights"] is False
    assert run["early_stopping"]["weights_epoch"] == 2
    # Early stopping on, but patience never ran out: it did not stop the run.
    run = wait_for(server, ran_all["id"])
    assert run["epochs_done"] == 2 and run["early_stopping"]["stopped_epoch"] is None
    assert run["early_stopping"]["weights_epoch"] == 2
    assert wait_for(server, plain["id"])["early_stopping"] is None
