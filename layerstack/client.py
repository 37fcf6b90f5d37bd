"""The REST API as methods: architectures, datasets, runs (and their live events),
predictions and exports. Objects come back as the API's JSON (dicts); anything the server
refuses raises LayerstackError with its status and problems."""

from __future__ import annotations

import mimetypes
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from layerstack.errors import LayerstackError
from layerstack.events import Event, follow
from layerstack.uploads import Progress, ProgressReader

DEFAULT_URL = "http://127.0.0.1:8000"
Ref = int | dict[str, Any]  # an object's id, or the object as the API returned it
FINISHED = ("completed", "failed", "cancelled", "interrupted")


def _id(ref: Ref) -> int:
    return int(ref["id"]) if isinstance(ref, dict) else int(ref)


class Client:
    """`url` defaults to LAYERSTACK_URL, then http://127.0.0.1:8000; `token` (an API token from
    the studio's Tokens page, needed when the server has accounts) to LAYERSTACK_TOKEN."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("LAYERSTACK_URL") or DEFAULT_URL).rstrip("/")
        token = token or os.environ.get("LAYERSTACK_TOKEN") or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call; a refusal raises LayerstackError, an unreachable server too (status 0)."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise LayerstackError(
                f"Cannot reach Layerstack at {self.url} ({type(error).__name__}: {error}). "
                f"Is it running? (`layerstack serve`; or set LAYERSTACK_URL)"
            ) from error
        if response.is_error:
            raise LayerstackError.from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    # ------------------------------------------------------------------ architectures

    def architectures(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/architectures", params={"limit": 500})["data"]

    def architecture(self, ref: Ref) -> dict[str, Any]:
        return self._json("GET", f"/api/architectures/{_id(ref)}")

    def create_architecture(self, stack: dict[str, Any]) -> dict[str, Any]:
        """Save a stack (input_shape, layers, compile, name), as the builder does."""
        return self._json("POST", "/api/architectures", json=stack)

    def import_architecture(
        self, source: str | Path, *, save: bool = True, name: str | None = None
    ) -> dict[str, Any]:
        """A stack from the tutorial's Keras code, model.to_json(), or a .keras file (a path,
        or the code itself as a string); saved unless save=False. The answer has the stack
        (`architecture`, with its `id` once saved), its `summary`, the `fit` settings the
        code used, and the lines the importer could not use (`ignored`: line, message)."""
        path = Path(source) if isinstance(source, Path) or _looks_like_path(source) else None
        if path is not None and path.suffix == ".keras":
            with path.open("rb") as keras_file:
                answer = self._json(
                    "POST",
                    "/api/architectures/import-file",
                    files={"file": (path.name, keras_file, "application/octet-stream")},
                    data={"save": "false"},
                )
        else:
            text = path.read_text() if path is not None else str(source)
            kind = "keras-json" if text.lstrip().startswith("{") else "python"
            answer = self._json(
                "POST",
                "/api/architectures/import",
                json={"format": kind, "source": text, "save": False},
            )
        if not save:
            return answer
        stack = dict(answer["architecture"])
        if name or (path is not None and stack.get("name") in (None, "", "Imported")):
            stack["name"] = name or path.stem  # type: ignore[union-attr]
        saved = self.create_architecture(stack)
        return {**answer, "architecture": saved, "id": saved["id"]}

    def summary(self, stack: Ref, dataset: Ref | None = None) -> dict[str, Any]:
        """The summary Keras would print (layers, shapes, parameters), without TensorFlow."""
        if isinstance(stack, int):
            return self._json("GET", f"/api/architectures/{stack}/summary")
        params = {"dataset_id": _id(dataset)} if dataset is not None else None
        return self._json("POST", "/api/summary", json=stack, params=params)

    # ------------------------------------------------------------------ datasets

    def datasets(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/datasets", params={"limit": 500})["data"]

    def dataset(self, ref: Ref) -> dict[str, Any]:
        return self._json("GET", f"/api/datasets/{_id(ref)}")

    def upload_dataset(
        self,
        paths: str | Path | Iterable[str | Path],
        name: str,
        *,
        progress: Progress | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Import a zip of class folders, IDX pair, CSV or NPZ. `progress(sent, total)` is
        called as the bytes go; `options`: format, image_size ("28,28"), color_mode,
        label_column, test_fraction."""
        files = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
        total = sum(p.stat().st_size for p in files)
        reader = ProgressReader(total, progress)
        opened: list[IO[bytes]] = []
        try:
            parts = []
            for path in files:
                file: IO[bytes] = path.open("rb")
                opened.append(file)
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                parts.append(("files", (path.name, reader.wrap(file), kind)))
            data = {"name": name, **{k: str(v) for k, v in options.items() if v is not None}}
            return self._json("POST", "/api/datasets", files=parts, data=data, timeout=None)
        finally:
            for file in opened:
                file.close()

    def delete_dataset(self, ref: Ref) -> None:
        self.request("DELETE", f"/api/datasets/{_id(ref)}")

    def catalog(self) -> list[dict[str, Any]]:
        """The tutorial datasets the server can add, and whether each is there."""
        return self._json("GET", "/api/datasets/catalog")["data"]

    def add_catalog_dataset(
        self, name: str, *, progress: Callable[[int, int, str], None] | None = None
    ) -> dict[str, Any]:
        """One of the tutorial's datasets (mnist, fashion_mnist, cifar10), downloaded and
        checked by the server (once: a second call finds it); the dataset once it is there.
        `progress(bytes_done, bytes_total, stage)` is called while it is being added."""
        item = self._json("POST", "/api/datasets/catalog", json={"name": name})
        while item["state"] != "present":
            if item["state"] == "failed":
                raise LayerstackError(
                    item["error"] or f"Adding {name} failed.", item.get("error_status") or 0
                )
            if progress is not None:
                progress(item["bytes_done"], item["bytes_total"] or 0, item["stage"] or "")
            self._sleep(0.5)
            item = next(e for e in self.catalog() if e["name"] == name)
        return self.dataset(item["dataset_id"])

    # ------------------------------------------------------------------ runs

    def create_run(
        self,
        architecture: Ref,
        dataset: Ref,
        *,
        compile: dict[str, Any] | None = None,
        **fit: Any,
    ) -> dict[str, Any]:
        """Queue a run of a saved architecture (id or dict with an id) or an inline stack (a
        dict without one) on a dataset; `fit`: epochs, batch_size, validation_split, seed,
        early_stopping, ... as the API takes them."""
        body: dict[str, Any] = {"dataset_id": _id(dataset), "fit": fit}
        if isinstance(architecture, dict) and "id" not in architecture:
            body["architecture"] = architecture
        else:
            body["architecture_id"] = _id(architecture)
        if compile is not None:
            body["compile"] = compile
        return self._json("POST", "/api/runs", json=body)

    def run(self, ref: Ref) -> dict[str, Any]:
        return self._json("GET", f"/api/runs/{_id(ref)}")

    def runs(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return self._json("GET", "/api/runs", params=params)["data"]

    def cancel(self, ref: Ref) -> dict[str, Any]:
        return self._json("POST", f"/api/runs/{_id(ref)}/cancel")

    def resume(self, ref: Ref) -> dict[str, Any]:
        return self._json("POST", f"/api/runs/{_id(ref)}/resume")

    def delete_run(self, ref: Ref) -> None:
        self.request("DELETE", f"/api/runs/{_id(ref)}")

    def follow(self, ref: Ref, *, last_epoch: int = 0) -> Iterator[Event]:
        """The run's events as they come (status, progress, epoch, done), until it ends; a
        dropped connection resumes after the last epoch given, none lost or repeated."""
        return follow(self.http, _id(ref), last_epoch=last_epoch, sleep=self._sleep)

    def wait(self, ref: Ref) -> dict[str, Any]:
        """The run once it has ended (followed live, so no polling)."""
        for _ in self.follow(ref):
            pass
        return self.run(ref)

    def history(self, ref: Ref, *, frame: bool | None = None) -> Any:
        """Each epoch's metrics as a list of dicts, or with frame=True (the default when
        pandas is installed) a DataFrame indexed by epoch, as pd.DataFrame(history.history)."""
        epochs = self.run(ref)["history"]
        if frame is False:
            return epochs
        try:
            import pandas
        except ImportError:
            if frame:
                raise
            return epochs
        return pandas.DataFrame(epochs).set_index("epoch")

    # ------------------------------------------------------------------ predictions, exports

    def predict(
        self, ref: Ref, *images: str | Path | bytes | Any, top_k: int = 3
    ) -> list[dict[str, Any]]:
        """Top-k labels with probabilities for each image: paths, bytes or PIL images."""
        if not images:
            raise ValueError("predict needs at least one image")
        files = [("files", _image_part(i, n)) for n, i in enumerate(images)]
        answer = self._json(
            "POST", f"/api/runs/{_id(ref)}/predict", files=files, params={"k": top_k}
        )
        return answer["predictions"]

    def exports(self, ref: Ref) -> list[dict[str, Any]]:
        """Each deployment format, how to load it, and its checks once built."""
        return self._json("GET", f"/api/runs/{_id(ref)}/exports")["formats"]

    def export(
        self, ref: Ref, format: str, path: str | Path, *, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Download the run's model as keras, savedmodel, tflite, tflite-int8 or onnx (or the
        `bundle` that reproduces the run) to `path`; the server's checks come back."""
        run_id = _id(ref)
        url = (
            f"/api/runs/{run_id}/bundle.zip"
            if format == "bundle"
            else f"/api/runs/{run_id}/export?format={format}"
        )
        target = Path(path)
        try:
            with self.http.stream("GET", url, timeout=httpx.Timeout(30.0, read=900.0)) as answer:
                if answer.is_error:
                    answer.read()
                    raise LayerstackError.from_response(answer)
                total = int(answer.headers.get("content-length") or 0)
                sent = 0
                with target.open("wb") as out:
                    for chunk in answer.iter_bytes():
                        out.write(chunk)
                        sent += len(chunk)
                        if progress:
                            progress(sent, total)
                headers = answer.headers
        except httpx.TransportError as error:
            raise LayerstackError(f"Cannot reach Layerstack at {self.url}: {error}") from error
        report: dict[str, Any] = {"format": format, "path": str(target), "size": sent}
        if "x-export-agreement" in headers:
            report["agreement"] = float(headers["x-export-agreement"])
            report["max_difference"] = float(headers["x-export-max-difference"])
            report["compared"] = int(headers["x-export-compared"])
        return report

    _sleep: Callable[[float], None] = staticmethod(time.sleep)


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and len(text) < 4096 and Path(text).suffix in (".py", ".json", ".keras")


def _image_part(image: Any, n: int) -> tuple[str, bytes, str]:
    if isinstance(image, bytes):
        return (f"image-{n}", image, "application/octet-stream")
    if isinstance(image, str | Path):
        path = Path(image)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return (path.name, path.read_bytes(), kind)
    if hasattr(image, "save"):  # a PIL image
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return (f"image-{n}.png", buffer.getvalue(), "image/png")
    raise TypeError(f"an image is a path, bytes or a PIL image, not {type(image).__name__}")
