"""A prediction request has a bounded cost: images per request and pixels in all are checked
from the headers before anything is decoded, and decoding runs off the event loop in a
bounded pool (503 with Retry-After when it is full). No TensorFlow: a completed run is made
in the database, and the answer stops at the (absent) inference process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import app.predictions.service as prediction_service
from app.config import Settings
from app.errors import Unavailable
from app.main import create_app
from app.models import Run, RunStatus
from app.predictions.decoding import DecodePool, declared_pixels
from tests.helpers import aio
from tests.helpers.images import encode, png_header
from tests.helpers.stacks import mlp

DIGIT = encode(np.zeros((8, 8), np.uint8))


@pytest.fixture
def small_budget(tmp_path: Path, backend) -> Iterator[tuple[TestClient, int]]:
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0,
                        max_images_per_request=4, max_request_pixels=1_000_000,
                        max_image_pixels=500_000)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        queued = client.post("/api/runs", json={"architecture": mlp([8, 8]), "dataset_id": 1})
        run_id = queued.json()["id"]
        with Session(client.app.state.engine) as session:  # as if a worker had trained it
            run = session.get(Run, run_id)
            assert run is not None
            run.status = RunStatus.COMPLETED
            session.add(run)
            session.commit()
        model = settings.paths.model(run_id)
        model.parent.mkdir(parents=True)
        model.write_bytes(b"not read: the inference process is off")
        yield client, run_id


def predict(client: TestClient, run_id: int, *images: bytes):
    files = [("files", (f"{i}.png", data, "image/png")) for i, data in enumerate(images)]
    return client.post(f"/api/runs/{run_id}/predict", files=files)


def test_too_many_images_in_one_request_are_413_before_decoding(small_budget, monkeypatch):
    client, run_id = small_budget
    decoded = []
    monkeypatch.setattr(prediction_service, "to_model_input", lambda *a: decoded.append(a))
    answer = predict(client, run_id, *[DIGIT] * 5)
    assert answer.status_code == 413
    assert "5 images in one request; the limit is 4 (MAX_IMAGES_PER_REQUEST)" in answer.text
    assert decoded == []


def test_declared_pixels_over_the_request_budget_are_413_before_decoding(small_budget, monkeypatch):
    client, run_id = small_budget
    decoded = []
    monkeypatch.setattr(prediction_service, "to_model_input", lambda *a: decoded.append(a))
    big = png_header(600, 600)  # a few hundred bytes that declare 360,000 pixels
    answer = predict(client, run_id, big, big, big)
    assert answer.status_code == 413
    assert "declare 1,080,000 pixels in all; the limit is 1,000,000" in answer.text
    assert decoded == []


def test_one_image_over_max_image_pixels_is_413_before_decoding(small_budget, monkeypatch):
    client, run_id = small_budget
    decoded = []
    monkeypatch.setattr(prediction_service, "to_model_input", lambda *a: decoded.append(a))
    answer = predict(client, run_id, DIGIT, png_header(1000, 600))
    assert answer.status_code == 413, answer.text
    assert "'1.png' declares 600,000 pixels; the limit is 500,000 per image" in answer.text
    assert "MAX_IMAGE_PIXELS" in answer.text and decoded == []


def test_images_are_decoded_off_the_event_loop(small_budget, monkeypatch):
    client, run_id = small_budget
    threads = []
    real = prediction_service.to_model_input

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(prediction_service, "to_model_input", spy)
    answer = predict(client, run_id, DIGIT, DIGIT)
    assert answer.status_code == 503  # decoded, then: no inference process (PREDICTORS=0)
    assert len(threads) == 2 and all(name.startswith("decode") for name in threads)


def test_a_full_decode_queue_answers_503_with_retry_after_at_once():
    pool = DecodePool(threads=1, queue=1)
    started, release = threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        release.wait(5)
        return 1

    async def two_at_once() -> None:
        first = asyncio.ensure_future(pool.run(slow))
        await asyncio.to_thread(started.wait, 5)
        with pytest.raises(Unavailable) as refused:
            await pool.run(slow)
        assert refused.value.headers == {"Retry-After": "1"}
        assert "DECODE_QUEUE=1" in refused.value.message
        release.set()
        assert await first == 1

    aio.run(two_at_once(), timeout=30)
    pool.close()


def test_declared_pixels_reads_only_the_header():
    assert declared_pixels(png_header(6300, 6300)) == 6300 * 6300
    assert declared_pixels(b"not an image") == 0
