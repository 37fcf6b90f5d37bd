"""Tutorial-catalog test material: a folder of catalog files (the real MNIST t10k files from
../shared/data/mnist, and tiny NPZ and CIFAR-style archives made here), an extra-catalog JSON
naming them with their SHA-256 (the test-only checksum table), and a local HTTP server that
serves the folder. Nothing here reaches the internet."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import pickle
import shutil
import socket
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.helpers.paths import shared_file

# The SHA-256 of ../shared/data/mnist's files, computed with sha256sum when this was written.
# They hold the official MNIST test set (the uncompressed image file's MD5 is the one the
# data README gives), but their gzip bytes are not those of the files at the canonical
# addresses (whose SHA-256 is 8d422c7b...); Keras's mnist.load_data() downloads mnist.npz
# anyway, so these serve as a test-only catalog entry, not as the real "mnist" entry.
T10K_IMAGES_SHA256 = "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b"
T10K_LABELS_SHA256 = "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c"
DIGITS = [str(i) for i in range(10)]
CIFAR_BATCH = 4  # images per batch in the tiny CIFAR archive


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry(name: str, kind: str, files: dict[str, str], **extra: object) -> dict:
    return {
        "name": name,
        "title": name.replace("_", " ").title(),
        "description": f"test entry ({kind})",
        "kind": kind,
        "files": [{"name": f, "sha256": h, "max_bytes": 4 << 20} for f, h in files.items()],
        "class_names": DIGITS,
        **extra,
    }


def t10k_files(folder: Path) -> dict[str, str]:
    """The real t10k files, as Fashion-MNIST's four names (the test pair doubles as train)."""
    images = shared_file("data/mnist/t10k-images-idx3-ubyte.gz")
    labels = shared_file("data/mnist/t10k-labels-idx1-ubyte.gz")
    copies = {
        "train-images-idx3-ubyte.gz": images, "train-labels-idx1-ubyte.gz": labels,
        "t10k-images-idx3-ubyte.gz": images, "t10k-labels-idx1-ubyte.gz": labels,
    }  # fmt: skip
    for name, src in copies.items():
        shutil.copyfile(src, folder / name)
    real = {images: T10K_IMAGES_SHA256, labels: T10K_LABELS_SHA256}
    return {name: real[src] for name, src in copies.items()}


def tiny_npz(folder: Path, n: int = 40) -> dict[str, str]:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (n, 8, 8), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    path = folder / "tiny.npz"
    half = n // 2  # compressed, as Keras's mnist.npz is
    np.savez_compressed(path, x_train=x[:half], y_train=y[:half], x_test=x[half:], y_test=y[half:])
    return {path.name: sha256(path)}


def cifar_batch(n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, n)]
    # Protocol 3 stores bytes as bytes (as the real files' Python 2 strings load).
    return pickle.dumps({b"batch_label": b"x", b"data": data, b"labels": labels}, protocol=3)


def tiny_cifar(folder: Path, test_member: bytes | None = None) -> dict[str, str]:
    path = folder / "tiny-cifar.tar.gz"
    members = {f"data_batch_{i}": cifar_batch(CIFAR_BATCH, i) for i in range(1, 6)}
    members["test_batch"] = test_member if test_member is not None else cifar_batch(CIFAR_BATCH, 9)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return {path.name: sha256(path)}


@dataclass
class Mirror:
    folder: Path  # what DATASETS_MIRROR may name as a folder
    catalog: Path  # the extra-catalog JSON (DATASETS_EXTRA_CATALOG)


def make_mirror(root: Path, with_t10k: bool = True) -> Mirror:
    folder = root / "mirror"
    folder.mkdir(parents=True)
    entries = [entry("tiny_npz", "npz", tiny_npz(folder))]
    entries.append(entry("tiny_cifar", "cifar", tiny_cifar(folder), batch_size=CIFAR_BATCH))
    if with_t10k:
        entries.append(entry("digits_t10k", "idx", t10k_files(folder)))
    catalog = root / "catalog.json"
    catalog.write_text(json.dumps(entries))
    return Mirror(folder, catalog)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    hits: dict[str, int]
    pause_s: float  # after each 64 KiB sent: a slow link, so progress can be watched
    no_head: bool  # answer HEAD with 405, as some servers do

    def do_HEAD(self) -> None:
        if self.no_head:
            self.send_error(405)
            return
        super().do_HEAD()

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        super().do_GET()

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        while chunk := source.read(64 * 1024):
            outputfile.write(chunk)
            time.sleep(self.pause_s)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(
    folder: Path, hits: dict[str, int] | None = None, pause_s: float = 0.0, no_head: bool = False
) -> Iterator[str]:
    """An HTTP server for `folder` on a free loopback port: its URL prefix (ending in /).
    `hits` counts the GETs per path; `pause_s` slows it down."""
    counted = hits if hits is not None else {}

    def handler(*args: object) -> _Quiet:
        made = _Quiet.__new__(_Quiet)
        made.hits, made.pause_s, made.no_head = counted, pause_s, no_head
        made.__init__(*args, directory=str(folder))  # type: ignore[arg-type, misc]
        return made

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a stalled network."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        listener.close()


def closed_port_url() -> str:
    """A loopback URL on which nothing listens: connection refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"
