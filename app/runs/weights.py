"""A run's weight histograms, one epoch at a time (GET /api/runs/{id}/weights).

Kept out of GET /api/runs/{id} and out of the SSE `epoch` events on purpose: a run page is
watched by hundreds at once (500 watchers in bench/bench_streams.py) and every epoch event
goes to each of them, so the streams carry only the epoch's few numbers; the histograms
(up to ~20 KB an epoch) are read by the page that shows them, one epoch per request, when
someone opens the Weights panel or moves its slider.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import NotFound
from app.models import RunWeights, User, WeightsPublic
from app.models.run_weights import BINS
from app.runs.service import get_run


def read_weights(session: Session, user: User, run_id: int, epoch: int | None) -> WeightsPublic:
    """Epoch `epoch`'s histograms (the latest recorded when None) and the epochs recorded."""
    get_run(session, user, run_id)  # another user's run: 404
    recorded = list(
        session.exec(
            select(RunWeights.epoch)
            .where(col(RunWeights.run_id) == run_id)
            .order_by(col(RunWeights.epoch))
        )
    )
    if epoch is None and not recorded:
        return WeightsPublic(
            run_id=run_id, epochs=[], epoch=None, bins=BINS, layers=[], layers_left_out=0
        )
    wanted = recorded[-1] if epoch is None else epoch
    row = session.get(RunWeights, (run_id, wanted))
    if row is None:
        have = f"epochs {recorded[0]} to {recorded[-1]}" if recorded else "none yet"
        raise NotFound(
            f"Run {run_id} has no weight histograms for epoch {epoch} (it has {have}); "
            "leave `epoch` out for the latest."
        )
    return WeightsPublic(run_id=run_id, epochs=recorded, epoch=wanted, bins=BINS, **row.histograms)
