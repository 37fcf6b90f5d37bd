"""Settings, read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.paths import DataPaths


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    # Empty means a SQLite file inside `data_dir`.
    database_url: str = ""
    # Training worker processes; 0 runs none (runs then wait in the queue).
    workers: int = Field(default=1, ge=0)
    # Where runs train: "local" (worker processes on this machine).
    executor: Literal["local"] = "local"

    max_layers: int = Field(default=200, ge=1)
    max_params: int = Field(default=50_000_000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    max_image_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # one predict request
    # The inference process (0: none, predictions answer 503); models it keeps loaded.
    predictors: int = Field(default=1, ge=0, le=1)
    model_cache_size: int = Field(default=8, ge=1)
    low_confidence: float = Field(default=0.5, ge=0, le=1)

    @property
    def paths(self) -> DataPaths:
        return DataPaths(self.data_dir)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.paths.database}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
