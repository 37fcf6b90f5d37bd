"""Dataset import: time and peak memory, format by format, against the arrays stored.

Each import runs in a fresh process, through the same service the API calls
(app.datasets.service.create_dataset: copy the upload, parse, split, describe, register); a
thread samples the process's resident memory every 2 ms, and the peak above the level just
before the import is what the import cost. The goal (issue 12): that peak stays within ~2x
the arrays the dataset stores, whatever the input. Two fixed costs come on top, and show on
small datasets: FIXED_MB (4 MB read blocks, the zip's entry list, the test split's labels)
and, for images, one image decoded at full size (PIL holds RGB at 4 bytes a pixel; the header
caps it at MAX_IMAGE_PIXELS). Beside each, the plain way of loading the same input whole, in
the same run. Prints figures; asserts no times.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
ROWS, PIXELS = 60_000, 784
FIXED_MB = 16

# Both child scripts sample their own resident memory every 2 ms while the import runs.
SAMPLER = """import threading
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
peak_seen = [0.0]
done = threading.Event()
def sample():  # ru_maxrss is the peak since start; we want the peak of this call only
    while not done.is_set():
        peak_seen[0] = max(peak_seen[0], rss_mb())
        done.wait(0.002)
before = rss_mb()
threading.Thread(target=sample, daemon=True).start()
"""

# Runs in a child process: import everything first, then measure only the import itself.
CHILD = textwrap.dedent("""
    import json, sys, time, tempfile
    from pathlib import Path
    from sqlmodel import Session, select
    from app.config import Settings
    from app.datasets.base import Options
    from app.datasets.service import create_dataset
    from app.db import make_engine, migrate
    from app.models import User
    import app.datasets.store as store
    store._parsers()
    kind, paths = sys.argv[1], sys.argv[2:]
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), max_dataset_bytes=2**40)
    engine = make_engine(settings.db_url)
    migrate(engine)
    with Session(engine) as session:
        user = session.exec(select(User)).first()
        files = [(Path(p).name, open(p, "rb")) for p in paths]
        {sampler}
        start = time.perf_counter()
        dataset = create_dataset(session, settings, user, name="bench", files=files,
                                 format=kind, options=Options(), test_fraction=None)
        seconds = time.perf_counter() - start
        done.set()
        peak = max(peak_seen[0], rss_mb())
        folder = settings.paths.dataset(dataset.id)
        stored = sum(f.stat().st_size for f in folder.glob("*.npy"))
        rows = dataset.num_train + dataset.num_test
    print(json.dumps({"seconds": seconds, "rows": rows, "before_mb": before, "peak_mb": peak,
                      "stored_mb": stored / 2**20}))
""")

BASELINE = textwrap.dedent("""
    import gzip, json, sys, time, zipfile
    import numpy as np
    kind, paths = sys.argv[1], sys.argv[2:]
    {sampler}
    start = time.perf_counter()
    scale = 1
    if kind == "idx":
        x = np.frombuffer(gzip.decompress(open(paths[0], "rb").read()), np.uint8, offset=16)
    elif kind == "npz":
        with np.load(paths[0]) as archive:
            x = archive["x"].astype(np.float32) if archive["x"].dtype.kind == "f" else archive["x"]
    elif kind == "zip":
        from PIL import Image
        with zipfile.ZipFile(paths[0]) as archive:
            x = [np.asarray(Image.open(archive.open(n))) for n in archive.namelist()]
    else:  # np.loadtxt on a tenth of the rows, scaled up: the whole file takes minutes
        with open(paths[0]) as f:
            head = [next(f) for _ in range(6001)]
        x = np.loadtxt(head[1:], delimiter=",", dtype=np.float32)
        scale = 10
    seconds = (time.perf_counter() - start) * scale
    done.set()
    peak = max(peak_seen[0], rss_mb())
    print(json.dumps({"seconds": seconds, "before_mb": before, "peak_mb": peak,
                      "scaled": scale > 1}))
""")


def run(code: str, kind: str, paths: list[Path]) -> dict:
    # The placeholder's own indent starts the first line; the others need the same.
    sampler = textwrap.indent(SAMPLER, "    " if code is CHILD else "").lstrip()
    code = code.replace("{sampler}", sampler)
    result = subprocess.run(
        [sys.executable, "-c", code, kind, *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"{kind} import failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def mnist_images() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(MNIST / "t10k-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(MNIST / "t10k-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y


def make_csv(path: Path) -> None:
    """Kaggle's mnist_train.csv shape: label, then 784 pixel columns of ints 0..255."""
    rng = np.random.default_rng(0)
    with path.open("w") as f:
        f.write("label," + ",".join(f"pixel{i}" for i in range(PIXELS)) + "\n")
        for _ in range(0, ROWS, 5000):
            block = rng.integers(0, 256, (5000, PIXELS + 1))
            block[:, 0] %= 10
            # Real MNIST pixels are mostly 0: zero out most, like the real file.
            block[:, 1:][rng.random((5000, PIXELS)) < 0.8] = 0
            f.write("\n".join(",".join(map(str, row)) for row in block.tolist()) + "\n")


def make_npz(path: Path, x: np.ndarray, y: np.ndarray, fortran: bool = False) -> None:
    np.savez(path, x=np.asfortranarray(x) if fortran else x, y=y)


def make_zip(path: Path, images: list[np.ndarray], labels: list[int]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, "PNG")
            archive.writestr(f"class{label}/{i}.png", buffer.getvalue())


def report(name: str, ours: dict, plain: dict, image_mb: float) -> float:
    """Prints one case; returns (peak - fixed costs) / stored."""
    growth = ours["peak_mb"] - ours["before_mb"]
    plain_growth = plain["peak_mb"] - plain["before_mb"]
    ratio = max(0.0, growth - FIXED_MB - image_mb) / ours["stored_mb"]
    image = f" - {image_mb:.0f} MB image" if image_mb else ""
    print(f"{name:<44} {ours['rows']:>7,} rows  stored {ours['stored_mb']:7.1f} MB")
    print(
        f"  layerstack import  {ours['seconds']:6.2f} s   peak +{growth:6.1f} MB "
        f"({growth / ours['stored_mb']:4.2f}x stored; less {FIXED_MB} MB fixed{image}: "
        f"{ratio:4.2f}x, goal ~2x: {'met' if ratio <= 2.2 else 'missed'})"
    )
    note = " (1/10 of the rows, scaled)" if plain.get("scaled") else ""
    print(f"  plain load whole   {plain['seconds']:6.2f} s   peak +{plain_growth:6.1f} MB{note}")
    return ratio


def main() -> None:
    print("dataset import benchmark (2 cores): peak memory against the arrays stored")
    x, y = mnist_images()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big_x, big_y = np.tile(x, (6, 1, 1)), np.tile(y, 6)  # 60,000 real digits
        flat64 = big_x[:30_000].reshape(30_000, -1).astype(np.float64) / 255
        cases: list[tuple[str, str, list[Path], object, float]] = [
            ("MNIST IDX pair (real, gzip)", "idx",
             [MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"], None, 0),
            ("CSV 60,000 x 785 (Kaggle shape)", "csv", [folder / "mnist.csv"],
             lambda p: make_csv(p), 0),
            ("NPZ 60,000 x 28 x 28 uint8", "npz", [folder / "u8.npz"],
             lambda p: make_npz(p, big_x, big_y), 0),
            ("NPZ 30,000 x 784 float64 -> float32", "npz", [folder / "f64.npz"],
             lambda p: make_npz(p, flat64, big_y[:30_000]), 0),
            ("NPZ 30,000 x 784 float64, Fortran order", "npz", [folder / "fortran.npz"],
             lambda p: make_npz(p, flat64, big_y[:30_000], fortran=True), 0),
            ("zip of 10,000 PNG digits", "zip", [folder / "digits.zip"],
             lambda p: make_zip(p, list(x), y.tolist()), 28 * 28 / 2**20),
            ("zip of 8 flat 4000x3000 PNGs (scaled)", "zip", [folder / "large.zip"],
             lambda p: make_zip(p, [np.full((3000, 4000, 3), 90, np.uint8)] * 8,
                                [0, 1] * 4), 4000 * 3000 * 4 / 2**20),
        ]  # fmt: skip
        ratios = []
        for name, kind, paths, make, image_mb in cases:
            if callable(make):
                make(paths[0])
            ours, plain = run(CHILD, kind, paths), run(BASELINE, kind, paths)
            ratios.append(report(name, ours, plain, image_mb))
        print(f"largest (peak - fixed costs) / stored: {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
