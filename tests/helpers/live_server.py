"""A real server process (python -m app) on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.db import current_backend, database_url_for
from tests.helpers.paths import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`backend`: "sqlite" or "postgresql" (a schema for `data_dir` in the test session's
    database); by default the running test's (see tests/conftest.py's `backend`)."""

    def __init__(
        self, data_dir: Path, port: int | None = None, backend: str | None = None, **env: str
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.backend = backend or current_backend()
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url_for(data_dir, self.backend),
            "WORKERS": "0",  # no TensorFlow unless a test asks for workers
            "PREDICTORS": "0",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: an unread pipe fills up and blocks the server's logging.
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app"], cwd=REPO, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                # Any answer will do: in accounts mode /api/layers is a 401 until signed in.
                if httpx.get(f"{self.url}/api/layers", timeout=1).status_code in (200, 401):
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError(f"server not answering on {self.url} after {timeout} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def loaded_libraries(self) -> str:
        assert self.process is not None
        return Path(f"/proc/{self.process.pid}/maps").read_text()
