"""Settings, read from the environment (and an optional `.env` file)."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.paths import DataPaths


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # none: one implicit local user, no sign-in (only on a loopback HOST); accounts: every
    # page and API call needs a signed-in user or an API token. Default: none on loopback.
    auth: Literal["none", "accounts"] | None = None
    # Host headers the server answers (400 otherwise, against DNS rebinding); comma-separated.
    # The loopback names and HOST are always allowed.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The first admin, created at start-up in accounts mode when no user exists yet.
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    # A browser session ends after this long unused, and after this long in any case.
    session_idle_hours: float = Field(default=24 * 7, gt=0)
    session_max_days: float = Field(default=30, gt=0)
    data_dir: Path = Path("data")
    # Empty means a SQLite file inside `data_dir`; or PostgreSQL:
    # postgresql+psycopg://user:password@host:5432/db (postgresql:// and postgres:// too).
    database_url: str = ""
    # Web processes serving the app (uvicorn workers). Exactly one of them runs the executor
    # (a lease in the database); each has its own inference process and event hub.
    web_workers: int = Field(default=1, ge=1, le=64)
    # Training worker processes; 0 runs none (runs then wait in the queue).
    workers: int = Field(default=1, ge=0)
    # Where runs train: "local" (worker processes on this machine) or "ray" (a Ray cluster,
    # through a dispatcher process; WORKERS=0 starts none here, for one on another host).
    executor: Literal["local", "ray"] = "local"
    # An existing Ray cluster (a GCS address host:port, or ray://host:10001); empty starts a
    # one-machine Ray instance.
    ray_address: str = ""
    # A run whose node or worker is lost is retried from its last checkpoint this many times.
    run_retries: int = Field(default=2, ge=0, le=100)
    # What a run asks of the cluster unless its fit.resources says otherwise.
    run_cpus: float = Field(default=1.0, ge=0, le=1024)
    run_gpus: float = Field(default=0.0, ge=0, le=64)
    run_memory_bytes: int = Field(default=0, ge=0)

    max_layers: int = Field(default=200, ge=1)
    max_params: int = Field(default=50_000_000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    max_image_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # one predict request
    # Classes in one dataset: a label of 10**9 is a mistake (or an attack), not 10**9 names.
    max_classes: int = Field(default=1000, ge=2)
    # One dataset import: decoded bytes stored (checked from headers and counts before any
    # array is allocated), samples, and pixels one image may declare in its header.
    max_dataset_bytes: int = Field(default=512 * 1024**2, ge=1024)
    max_dataset_images: int = Field(default=1_000_000, ge=1)
    max_image_pixels: int = Field(default=40_000_000, ge=1)  # predictions too
    # Dataset imports and .npz exports running at once; the next waits 2 s, then 503.
    max_imports: int = Field(default=2, ge=1)
    # A deployment export (SavedModel, TFLite, ONNX) converting in its own process is
    # stopped after this long (503); one holds a MAX_IMPORTS slot while it converts.
    export_timeout_s: float = Field(default=300.0, gt=0)
    # Runs: epochs one run may ask for, and runs waiting in the queue server-wide (429).
    max_epochs: int = Field(default=1000, ge=1)
    max_queued_runs: int = Field(default=1000, ge=1)
    # Runs one sweep may train (grid combinations, or its random sample's size).
    max_sweep_runs: int = Field(default=64, ge=1)
    # The inference process (0: none, predictions answer 503); models it keeps loaded.
    predictors: int = Field(default=1, ge=0, le=1)
    model_cache_size: int = Field(default=8, ge=1)
    low_confidence: float = Field(default=0.5, ge=0, le=1)
    # One prediction request: images, and pixels in all (from the headers, before decoding).
    max_images_per_request: int = Field(default=256, ge=1)
    max_request_pixels: int = Field(default=50_000_000, ge=1)
    # Looking inside a model (activations, saliency): layers and feature maps per layer
    # answered, numbers per 1-D output, and answers kept per run and image (an LRU).
    inside_max_layers: int = Field(default=64, ge=1, le=1000)
    inside_max_maps: int = Field(default=64, ge=1, le=1024)
    inside_max_values: int = Field(default=512, ge=1, le=100_000)
    inside_cache_size: int = Field(default=128, ge=0)
    # Image decoding runs off the event loop: threads, and how many images may wait (503).
    decode_threads: int = Field(default=2, ge=1)
    decode_queue: int = Field(default=64, ge=1)
    # Live event streams open at once: in all, and per user in accounts mode (429 past them).
    max_streams: int = Field(default=4000, ge=1)
    max_streams_per_user: int = Field(default=200, ge=1)
    # How often the event hub polls watched runs for changes no one told it of (another
    # web process on SQLite; a missed wake). Workers here, and PostgreSQL, wake it at once.
    events_poll_s: float = Field(default=0.5, gt=0, le=60)
    # Benchmarks only: a file the hub appends one line to per change it sees (when the
    # worker committed, when the hub woke, when it had read it), for bench/bench_streams.py.
    events_trace: Path | None = None

    # Tutorial datasets (POST /api/datasets/catalog): where their files come from instead of
    # their canonical addresses, for offline or classroom use: an http(s) URL prefix, or a
    # folder, holding the same file names (mnist.npz, train-images-idx3-ubyte.gz, ...).
    datasets_mirror: str | None = None
    # Tests only: a JSON file of extra catalog entries (served only from the mirror, with
    # their own SHA-256 values); it cannot replace an entry of the real catalog.
    datasets_extra_catalog: Path | None = None

    # Per-user quotas (an admin can override them per user).
    quota_active_runs: int = Field(default=5, ge=0)  # queued + running
    quota_storage_bytes: int = Field(default=5 * 1024**3, ge=0)  # datasets + run files
    quota_datasets: int = Field(default=50, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _split_hosts(cls, data: dict) -> dict:
        hosts = data.get("allowed_hosts") if isinstance(data, dict) else None
        if isinstance(hosts, str):
            data = {**data, "allowed_hosts": [h.strip() for h in hosts.split(",") if h.strip()]}
        return data

    @model_validator(mode="after")
    def _auth_fits_host(self) -> "Settings":
        if self.auth is None:
            self.auth = "none" if is_loopback(self.host) else "accounts"
        if self.auth == "none" and not is_loopback(self.host):
            raise ValueError(
                f"AUTH=none serves everyone who can reach HOST={self.host} as one user with "
                f"every right. Set AUTH=accounts with ADMIN_EMAIL and ADMIN_PASSWORD (or create "
                f"an admin with `python -m app users create --email you@example.com --admin`), "
                f"or serve on a loopback HOST such as 127.0.0.1."
            )
        return self

    @property
    def accounts(self) -> bool:
        return self.auth == "accounts"

    @property
    def hosts(self) -> set[str]:
        """Every Host (without the port) this server answers to."""
        return {"127.0.0.1", "localhost", "::1", "[::1]", self.host, *self.allowed_hosts}

    @property
    def paths(self) -> DataPaths:
        return DataPaths(self.data_dir)

    @property
    def db_url(self) -> str:
        return with_driver(self.database_url) or f"sqlite:///{self.paths.database}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def with_driver(url: str) -> str:
    """postgres:// and postgresql:// (the forms libpq, Heroku and others hand out) name
    SQLAlchemy's default PostgreSQL driver, psycopg2; Layerstack uses psycopg 3."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
