"""Predictions as the API uses them: which completed run can predict, its model input made
from an upload, the inference process's answer turned into ranked labels."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.ownership import can_see
from app.config import Settings
from app.datasets.base import DatasetError
from app.errors import Conflict, Failed, NotFound, TooLarge, Unavailable
from app.models import Run, RunStatus, User
from app.predictions.answers import Answers
from app.predictions.decoding import DecodePool, declared_pixels
from app.predictions.inputs import NoImageInput, image_geometry, to_model_input
from app.predictions.labels import probabilities, ranked
from app.predictions.predictor import Predictor, PredictorUnavailable
from app.stacks import check_stack
from app.stacks.outputs import output_activation

READY_CACHE_SIZE = 256


@dataclass(frozen=True)
class Ready:
    """What predicting with a completed run needs; completed runs never change, so it is
    read once per run and kept (dropped when the run is deleted)."""

    preprocessing: dict[str, Any]
    activation: str | None
    model_path: str
    owner_id: int | None


@dataclass(frozen=True)
class Image:
    filename: str | None
    data: bytes


class Predictions:
    """The web process's side of predicting: a cache of ready runs and the predictor handle
    (None with PREDICTORS=0)."""

    def __init__(self, settings: Settings, engine: Engine, predictor: Predictor | None) -> None:
        self.settings, self.engine, self.predictor = settings, engine, predictor
        self.ready_runs: OrderedDict[int, Ready] = OrderedDict()
        self.decoding = DecodePool(settings.decode_threads, settings.decode_queue)
        self.answers = Answers(settings.inside_cache_size)  # app/predictions/inside.py

    def ready(self, user: User, run_id: int) -> Ready:
        """What predicting with the run needs; 404 for a run the user may not see."""
        cache = self.ready_runs
        if run_id in cache:
            cache.move_to_end(run_id)
            if not can_see(cache[run_id], user):
                raise NotFound(f"No run with id {run_id}.")
            return cache[run_id]
        with Session(self.engine) as session:
            run = self._checked_run(session, user, run_id)
        stack = check_stack(run.stack, max_layers=10_000)
        path = str(self.settings.paths.model(run_id))
        activation = output_activation(stack)[1]
        cache[run_id] = Ready(run.preprocessing, activation, path, run.owner_id)
        while len(cache) > READY_CACHE_SIZE:
            cache.popitem(last=False)
        return cache[run_id]

    def _checked_run(self, session: Session, user: User, run_id: int) -> Run:
        run = session.get(Run, run_id)
        if run is None or not can_see(run, user):
            raise NotFound(f"No run with id {run_id}.")
        if run.status != RunStatus.COMPLETED:
            raise Conflict(
                f"Run {run_id} is {run.status}; only a completed run has a trained model to "
                f"predict with."
            )
        try:
            image_geometry(run.preprocessing)
        except NoImageInput as error:
            raise Conflict(f"Run {run_id}: {error}") from None
        if run.preprocessing["labels"] == "value":
            raise Conflict(
                f"Run {run_id} predicts a number (a regression loss with one unit), not class "
                f"probabilities."
            )
        if not self.settings.paths.model(run_id).exists():
            raise Conflict(f"Run {run_id} has no saved model file.")
        return run

    def forget(self, run_id: int) -> None:
        """A run was deleted: drop what was kept for it, here and in the inference process."""
        self.ready_runs.pop(run_id, None)
        self.answers.forget(run_id)
        if self.predictor is not None:
            self.predictor.evict(run_id)

    async def predict(
        self, user: User, run_id: int, images: list[Image], *, k: int, invert: str
    ) -> list[dict[str, Any]]:
        """Per image: the label, top k with probabilities, and how the image was prepared."""
        run = self.ready(user, run_id)
        await self.check_budget(images)
        prepared = [await self.prepare(image, run, invert) for image in images]
        if self.predictor is None:
            raise Unavailable("Predictions are off on this server (PREDICTORS=0).")
        batch = np.stack([x for x, _ in prepared])
        try:
            raw = await self.predictor.predict(run_id, run.model_path, batch)
        except PredictorUnavailable as error:
            failure = Unavailable if error.died else Failed
            raise failure(f"Prediction failed: {error}. Try again.") from None
        probs = probabilities(raw, run.preprocessing["labels"], run.activation)
        names, threshold = run.preprocessing["class_names"], self.settings.low_confidence
        return [
            {"file": image.filename, **ranked(p, names, k, threshold), "preprocessing": report}
            for image, p, (_, report) in zip(images, probs, prepared, strict=True)
        ]

    async def check_budget(self, images: list[Image]) -> None:
        """Counts and declared sizes, from headers, before any pixel is decoded."""
        most = self.settings.max_images_per_request
        if len(images) > most:
            raise TooLarge(
                f"{len(images)} images in one request; the limit is {most} "
                f"(MAX_IMAGES_PER_REQUEST). Send them in several requests."
            )
        declared = await self.decoding.run(_declared, [image.data for image in images])
        each = self.settings.max_image_pixels
        for image, pixels in zip(images, declared, strict=True):
            if pixels > each:
                raise TooLarge(
                    f"{image.filename or 'image'!r} declares {pixels:,} pixels; the limit is "
                    f"{each:,} per image (MAX_IMAGE_PIXELS). Scale it down: the model sees "
                    f"small images anyway."
                )
        pixels = sum(declared)
        budget = self.settings.max_request_pixels
        if pixels > budget:
            raise TooLarge(
                f"The images in this request declare {pixels:,} pixels in all; the limit is "
                f"{budget:,} (MAX_REQUEST_PIXELS). Scale them down (the model sees "
                f"small images anyway) or send fewer at a time."
            )

    async def prepare(self, image: Image, run: Ready, invert: str) -> tuple[np.ndarray, dict]:
        name = image.filename or "image"
        if not image.data:
            raise DatasetError(f"{name!r} is empty (0 bytes).", field="file")
        axes = run.preprocessing.get("twin_axes")
        twin = tuple(axes) if axes else None
        args = (image.data, name, run.preprocessing, invert, twin, self.settings.max_image_pixels)
        return await self.decoding.run(to_model_input, *args)

    def close(self) -> None:
        self.decoding.close()

    async def keras_json(self, architecture_id: int, stack: dict[str, Any]) -> str:
        """model.to_json() of a saved stack, made in the inference process."""
        if self.predictor is None:
            raise Unavailable("Keras JSON is made by the inference process (PREDICTORS=0).")
        try:
            text: str = await self.predictor.call("to_json", architecture_id, stack)
        except PredictorUnavailable as error:
            failure = Unavailable if error.died else Failed
            raise failure(f"Export failed: {error}") from None
        return text


def _declared(datas: list[bytes]) -> list[int]:
    return [declared_pixels(data) for data in datas]
