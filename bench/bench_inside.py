"""Looking inside a model, timed beside a plain prediction on the same run and server.

Trains the tutorial's CNN (app.models.SEED_CNN on 28x28 MNIST, as bench/bench_predict.py
does) through the real server, then times, from one keep-alive client, one MNIST PNG per
request: POST /predict, POST /activations and POST /saliency with a different image each
time (nothing from the answer cache), /activations again with a seen image (the cache),
GET /filters, and GET /examples for the largest mistake cell (the first call predicts
the whole test set in the inference process; later calls page through what it kept).
Prints figures and whether the goal is met (activations p50 within 20 ms of predict's);
asserts no times.
"""

from __future__ import annotations

import http.client
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from app.models import SEED_CNN  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist"
CNN = {
    **SEED_CNN,
    "input_shape": [28, 28, 1],
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
}
REQUESTS = 200
BOUNDARY = "layerstack-bench"


def train(server: LiveServer) -> dict:
    files = [("files", (p.name, p.read_bytes())) for p in sorted(MNIST.glob("t10k-*.gz"))]
    dataset = httpx.post(f"{server.url}/api/datasets", data={"name": "mnist"}, files=files,
                         timeout=120).json()  # fmt: skip
    body = {"architecture": CNN, "dataset_id": dataset["id"], "fit": {"epochs": 1, "seed": 1}}
    run = httpx.post(f"{server.url}/api/runs", json=body).json()
    while run["status"] in ("queued", "running"):
        time.sleep(0.5)
        run = httpx.get(f"{server.url}/api/runs/{run['id']}").json()
    assert run["status"] == "completed", run["error"]
    return run


def pngs(server: LiveServer, run: dict, count: int) -> list[bytes]:
    x = np.load(server.data_dir / "datasets" / str(run["dataset_id"]) / "x_test.npy")
    out = []
    for i in range(count):
        buffer = io.BytesIO()
        Image.fromarray(x[i % len(x)]).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def multipart(png: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="digit.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    return head + png + f"\r\n--{BOUNDARY}--\r\n".encode()


def timed(url: str, bodies: list[bytes | None]) -> tuple[list[float], int]:
    """Milliseconds per request (a lean keep-alive client) and the last answer's size."""
    parsed = urlsplit(url)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    out, size = [], 0
    for body in bodies:
        start = time.perf_counter()
        if body is None:
            conn.request("GET", path)
        else:
            conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        out.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, payload[:300]
        size = len(payload)
    conn.close()
    return out, size


def p50(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    server = LiveServer(Path(tempfile.mkdtemp()) / "data", WORKERS="1", PREDICTORS="1")
    server.start(timeout=60)
    try:
        run = train(server)
        api = f"{server.url}/api/runs/{run['id']}"
        images = [multipart(p) for p in pngs(server, run, 2 * REQUESTS + 40)]
        timed(f"{api}/predict", images[:20])  # warm: model loaded and traced
        timed(f"{api}/activations", images[20:40])  # warm: the probe traced
        timed(f"{api}/saliency", images[20:40])
        fresh = images[40:]
        predict, _ = timed(f"{api}/predict", fresh[:REQUESTS])
        acts, acts_size = timed(f"{api}/activations", fresh[REQUESTS:])
        predict_after, _ = timed(f"{api}/predict", fresh[:REQUESTS])
        cached, _ = timed(f"{api}/activations", fresh[REQUESTS:])
        saliency, _ = timed(f"{api}/saliency", fresh[:REQUESTS])
        filters, _ = timed(f"{api}/filters", [None] * 50)
        matrix = np.array(run["confusion"])
        np.fill_diagonal(matrix, -1)
        t, p = np.unravel_index(matrix.argmax(), matrix.shape)
        examples_url = f"{api}/examples?true={t}&predicted={p}&limit=24"
        first, _ = timed(examples_url, [None])
        later, examples_size = timed(examples_url, [None] * 30)
    finally:
        server.stop()
    base = p50(predict + predict_after)
    load = os.getloadavg()[0]
    print(f"look-inside benchmark (2 cores, load average {load:.1f}): tutorial CNN on 28x28 "
          f"MNIST, one PNG per request")  # fmt: skip
    rows = (
        ("POST /predict", predict + predict_after, None),
        ("POST /activations (new image)", acts, acts_size),
        ("POST /activations (cached)", cached, None),
        ("POST /saliency (Grad-CAM)", saliency, None),
        ("GET /filters", filters, None),
        (f"GET /examples {t}->{p}, first call", first, None),
        ("GET /examples, later calls", later, examples_size),
    )
    for name, values, size in rows:
        kb = f"  {size / 1024:5.1f} kB answer" if size else ""
        print(f"  {name:<34} p50 {p50(values):7.2f} ms{kb}")
    gap = p50(acts) - base
    print(f"goal: activations p50 within 20 ms of predict ({gap:+.2f} ms): "
          f"{'met' if gap <= 20 else 'missed'}")  # fmt: skip


if __name__ == "__main__":
    main()
