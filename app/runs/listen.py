"""PostgreSQL: one LISTEN connection per web process, waking the event hub's runs.

Migration 0009's trigger calls pg_notify('layerstack_runs', '<run id>:<version>') in the
transaction of every change to a run, whoever makes it (this process, the local workers, the
Ray dispatcher, another host), and PostgreSQL delivers it only when that transaction commits.
A dropped connection is opened again (after RECONNECT_S); since notifications sent meanwhile
are lost, every watched run is read again then. The hub's slow poll stays as a backstop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import psycopg
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from app.runs.events import EventHub

CHANNEL = "layerstack_runs"
RECONNECT_S = 1.0
log = logging.getLogger("layerstack.events")


def conninfo(engine: Engine) -> str:
    """The engine's URL as libpq takes it (no SQLAlchemy driver name)."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def listen(engine: Engine, hub: EventHub, reconnect_s: float = RECONNECT_S) -> None:
    """Wake `hub` for each run named on CHANNEL, for as long as the task runs."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo(engine), autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                hub.wake_all()  # whatever changed while no one listened
                async for note in connection.notifies():
                    run_id, _, _ = note.payload.partition(":")
                    if run_id.isdigit():
                        hub.wake(int(run_id))
        except (psycopg.Error, OSError) as error:
            log.warning("LISTEN %s: %s; connecting again in %.0f s", CHANNEL, error, reconnect_s)
        await asyncio.sleep(reconnect_s)
