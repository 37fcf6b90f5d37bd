"""Prediction latency and throughput: the endpoint beside the in-process decode + call.

Trains the tutorial's CNN on 28x28 MNIST through the real server (one worker, one
inference process), then times POST /api/runs/{id}/predict with one MNIST PNG, from 1 and
from 8 concurrent clients, and the same decode + compiled Keras call in this process.
Prints figures and whether each goal is met; asserts no times.
"""

from __future__ import annotations

import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from app.models import SEED_CNN  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist"
# The tutorial's CNN (app.models.SEED_CNN), on 28x28 grayscale digits.
CNN = {
    **SEED_CNN,
    "input_shape": [28, 28, 1],
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
}
REQUESTS, CLIENTS = 400, 8


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


def one_png(server: LiveServer, run: dict) -> bytes:
    import io

    from PIL import Image

    x = np.load(server.data_dir / "datasets" / str(run["dataset_id"]) / "x_test.npy")
    buffer = io.BytesIO()
    Image.fromarray(x[0]).save(buffer, "PNG")
    return buffer.getvalue()


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


BOUNDARY = "layerstack-bench"


def multipart(png: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="digit.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    return head + png + f"\r\n--{BOUNDARY}--\r\n".encode()


def client_loop(url: str, png: bytes, count: int, out: list[float]) -> None:
    """A lean keep-alive client (http.client, body built once): on 2 cores a heavier client
    would measure itself rather than the server."""
    parsed = urlsplit(url)
    body = multipart(png)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    for _ in range(count):
        start = time.perf_counter()
        conn.request("POST", parsed.path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        out.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, payload
    conn.close()


def endpoint(url: str, png: bytes, clients: int) -> tuple[list[float], float]:
    client_loop(url, png, 20, [])  # warm: model loaded and traced
    latencies: list[float] = []
    per_client = REQUESTS // clients
    threads = [threading.Thread(target=client_loop, args=(url, png, per_client, latencies))
               for _ in range(clients)]  # fmt: skip
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(latencies) / (time.perf_counter() - start)


def in_process(server: LiveServer, run: dict, png: bytes) -> tuple[float, float]:
    """p50 of decode (the endpoint's own code) and of the compiled call, in milliseconds."""
    import keras
    import tensorflow as tf

    from app.predictions.inputs import to_model_input

    model = keras.saving.load_model(server.data_dir / "runs" / str(run["id"]) / "model.keras")
    call = tf.function(
        lambda x: model(x, training=False),
        reduce_retracing=True,
        input_signature=[tf.TensorSpec(model.inputs[0].shape, tf.float32)],
    )
    decode, infer = [], []
    for _ in range(300):
        start = time.perf_counter()
        x, _ = to_model_input(png, "digit.png", run["preprocessing"], "auto")
        middle = time.perf_counter()
        call(x[None]).numpy()
        decode.append((middle - start) * 1000)
        infer.append((time.perf_counter() - middle) * 1000)
    return statistics.median(decode[20:]), statistics.median(infer[20:])


def main() -> None:
    server = LiveServer(Path(tempfile.mkdtemp()) / "data", WORKERS="1", PREDICTORS="1")
    server.start(timeout=60)
    try:
        run = train(server)
        png = one_png(server, run)
        url = f"{server.url}/api/runs/{run['id']}/predict"
        single, single_rps = endpoint(url, png, 1)
        many, many_rps = endpoint(url, png, CLIENTS)
        decode, infer = in_process(server, run, png)
    finally:
        server.stop()
    baseline = decode + infer
    print("prediction benchmark (2 cores): tutorial CNN, one 28x28 MNIST PNG per request")
    print(f"in-process decode + compiled call   p50 {decode:.2f} + {infer:.2f} = {baseline:.2f} ms")
    for name, lat, rps in (
        ("1 client", single, single_rps),
        (f"{CLIENTS} clients", many, many_rps),
    ):
        print(f"endpoint, {name:<10} p50 {statistics.median(lat):6.2f} ms  p99 "
              f"{pct(lat, 99):6.2f} ms  {rps:6.0f} requests/s")  # fmt: skip
    gap = statistics.median(single) - baseline
    print(
        f"goal: endpoint p50 within 5 ms of in-process ({gap:+.2f} ms): "
        f"{'met' if gap <= 5 else 'missed'}"
    )
    best = max(single_rps, many_rps)
    print(f"goal: >= 200 requests/s ({best:.0f}): {'met' if best >= 200 else 'missed'}")


if __name__ == "__main__":
    main()
