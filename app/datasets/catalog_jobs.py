"""Catalog additions running in the background: one thread per (user, entry), its stage and
bytes for the page's progress bar, and its outcome.

A job runs in this web process (app.state.catalog_jobs) and writes its stage, bytes and a
heartbeat to its row (app/datasets/catalog_rows.py), so every web process shows the same
progress and a second POST, here or in another process, joins it instead of downloading
again; the dataset it makes lives in the database like any other. The heavy part (reading
the files into arrays) holds one of the MAX_IMPORTS slots, as an upload does; downloading
does not (it waits on the network, not the CPU), so a long download never blocks uploads.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.datasets import catalog_download as download
from app.datasets import catalog_import, catalog_rows
from app.datasets.base import DatasetError
from app.datasets.catalog_sources import CatalogEntry
from app.errors import ServiceError, Unavailable
from app.models import User
from app.models.enums import CatalogStage
from app.slots import Slots
from app.storage import is_disk_full

log = logging.getLogger(__name__)
STOP_WAIT_S = 10.0


@dataclass
class Job:
    owner_id: int
    entry: CatalogEntry
    stage: CatalogStage = CatalogStage.STARTING
    bytes_done: int = 0
    bytes_total: int | None = None
    dataset_id: int | None = None
    error: str | None = None
    status: int | None = None  # the HTTP status of a failure (413, 502, 503, 507, 500)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def fail(self, message: str, status: int) -> None:
        self.stage, self.error, self.status = CatalogStage.FAILED, message, status

    def add_bytes(self, n: int) -> None:
        self.bytes_done += n  # one writer (the job's thread); readers see a recent value


class CatalogJobs:
    def __init__(self, engine: Engine, settings: Settings, slots: Slots) -> None:
        self.engine, self.settings, self.slots = engine, settings, slots
        self._jobs: dict[tuple[int, str], Job] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # Who runs a job, in its row: unique per instance (tests run several apps at once).
        self.process = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._heartbeat: threading.Thread | None = None

    def get(self, owner_id: int, name: str) -> Job | None:
        return self._jobs.get((owner_id, name))

    def start(
        self, user: User, entry: CatalogEntry, source: download.Source, total: int | None
    ) -> Job | None:
        """The user's running job for this entry, or a new one; None when another web
        process is adding it (its row says how far it has got)."""
        assert user.id is not None
        with self._lock:
            job = self._jobs.get((user.id, entry.name))
            if job is not None and job.running:
                return job
            if self._stopping.is_set():
                raise Unavailable("The server is stopping; add the dataset after it restarts.")
            if not catalog_rows.claim(self.engine, user.id, entry.name, self.process, total):
                return None
            job = Job(user.id, entry, bytes_total=total)
            self._jobs[(user.id, entry.name)] = job
            thread = threading.Thread(
                target=self._run,
                args=(job, source),
                name=f"catalog-{entry.name}",
                daemon=True,
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(
                    target=self._beat, name="catalog-heartbeat", daemon=True
                )
                self._heartbeat.start()
        return job

    def stop(self) -> None:
        """At shutdown: running jobs stop at their next chunk and remove their files."""
        self._stopping.set()
        deadline = time.monotonic() + STOP_WAIT_S
        for thread in [*self._threads, *filter(None, [self._heartbeat])]:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _beat(self) -> None:
        """Every HEARTBEAT_S, each running job's stage and bytes go to its row (and show
        it is alive); the job's own thread never waits for the database for that."""
        while not self._stopping.wait(catalog_rows.HEARTBEAT_S):
            for job in [j for j in list(self._jobs.values()) if j.running]:
                try:
                    self._write(job)
                except Exception:  # the database is away a moment: the next beat retries
                    log.exception("could not write the progress of %s", job.entry.name)

    def _write(self, job: Job) -> None:
        catalog_rows.write(self.engine, job.owner_id, job.entry.name, self.process,
                           job.stage, job.bytes_done, job.error, job.status)  # fmt: skip

    def _run(self, job: Job, source: download.Source) -> None:
        work = self.settings.paths.tmp / f"catalog-{uuid.uuid4().hex}"
        try:
            work.mkdir(parents=True)
            self._add(job, source, work)
            job.stage = CatalogStage.DONE
        except (ServiceError, DatasetError) as error:
            job.stage, job.error, job.status = CatalogStage.FAILED, error.message, error.status
        except download.Stopped:
            job.stage, job.error, job.status = (
                CatalogStage.FAILED,
                "The server stopped during it.",
                503,
            )
        except OSError as error:
            job.stage, job.status = CatalogStage.FAILED, 507 if is_disk_full(error) else 500
            job.error = f"Could not write the dataset's files under DATA_DIR: {error}."
        except Exception:
            log.exception("adding %s from the catalog failed", job.entry.name)
            job.stage, job.error, job.status = (
                CatalogStage.FAILED,
                "An internal error; see the log.",
                500,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
            try:
                self._write(job)  # the outcome, for the other processes
            except Exception:
                log.exception("could not write the outcome of %s", job.entry.name)
            job.finished.set()

    def _add(self, job: Job, source: download.Source, work: Path) -> None:
        entry, got = job.entry, []
        job.stage = CatalogStage.DOWNLOADING
        for file in entry.files:
            got.append(download.fetch(source, file, work, job.add_bytes, self._stopping.is_set))
        job.stage = CatalogStage.VERIFYING
        for downloaded in got:
            download.check_sha256(downloaded)  # before anything reads the file
        job.stage = CatalogStage.WAITING
        with self._slot():
            job.stage = CatalogStage.IMPORTING
            options = catalog_import.options_for(entry, self.settings)
            parsed = catalog_import.parse(entry, got, options, work)
            with Session(self.engine) as session:
                # Read again here: the request's User is bound to its own, closed session.
                user = session.get(User, job.owner_id)
                if user is None:
                    raise download.Stopped  # the user was deleted meanwhile
                where = ", ".join(d.where for d in got)
                dataset = catalog_import.register(
                    session, self.settings, user, entry, parsed, work, where
                )
                job.dataset_id = dataset.id

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """An import slot, waited for as long as it takes (each try waits a little)."""
        while True:
            if self._stopping.is_set():
                raise download.Stopped
            entered = False
            try:
                with self.slots.hold("tutorial dataset import"):
                    entered = True
                    yield
                    return
            except Unavailable:
                if entered:  # from the import itself, not from waiting for the slot
                    raise
