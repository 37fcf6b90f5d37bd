"""Dataset import: time and peak memory for the real MNIST IDX pair and a 60,000-row CSV.

Each import runs in a fresh process; a thread samples its resident memory every 2 ms, and
the peak above the level just before the import is what the import cost. Beside it, the
plain-NumPy way of loading the same file (decompress or parse all of it in memory), in the
same run. Goals (from the datasets issue): peak memory well under 4x the decoded array, and a
60,000 x 784 CSV in under 20 s on these 2-core machines. Prints figures; asserts no times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
ROWS, PIXELS = 60_000, 784

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
    from sqlmodel import Session
    from app.config import Settings
    from app.datasets.base import Options, Upload
    from app.datasets.store import Incoming, import_upload, work_root
    from app.db import make_engine, migrate
    import app.datasets.store as store
    store._parsers()
    kind, paths = sys.argv[1], sys.argv[2:]
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    engine = make_engine(settings.db_url)
    migrate(engine)
    work = work_root(settings) / "bench"
    work.mkdir(parents=True)
    uploads = [Upload(Path(p), Path(p).name) for p in paths]
    {sampler}
    start = time.perf_counter()
    with Session(engine) as session:
        dataset = import_upload(session, settings, Incoming("bench", kind, "bench"), uploads,
                                Options(), work)
        rows = dataset.num_train + dataset.num_test
    seconds = time.perf_counter() - start
    done.set()
    peak = max(peak_seen[0], rss_mb())
    print(json.dumps({"seconds": seconds, "rows": rows, "before_mb": before, "peak_mb": peak}))
""")

BASELINE = textwrap.dedent("""
    import gzip, json, sys, time
    import numpy as np
    kind, paths = sys.argv[1], sys.argv[2:]
    {sampler}
    start = time.perf_counter()
    if kind == "idx":
        x = np.frombuffer(gzip.decompress(open(paths[0], "rb").read()), np.uint8, offset=16)
        rows, scale = len(x) // 784, 1
    else:  # np.loadtxt on a tenth of the rows, scaled up: the whole file takes minutes
        with open(paths[0]) as f:
            head = [next(f) for _ in range(6001)]
        x = np.loadtxt(head[1:], delimiter=",", dtype=np.float32)
        rows, scale = len(x) * 10, 10
    seconds = (time.perf_counter() - start) * scale
    done.set()
    peak = max(peak_seen[0], rss_mb())
    print(json.dumps({"seconds": seconds, "rows": rows, "before_mb": before, "peak_mb": peak,
                      "scaled": scale > 1}))
""")


def run(code: str, kind: str, paths: list[Path]) -> dict:
    code = code.replace("{sampler}", SAMPLER)
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


def report(name: str, decoded_mb: float, ours: dict, plain: dict, goal_s: float | None) -> None:
    growth = ours["peak_mb"] - ours["before_mb"]
    plain_growth = plain["peak_mb"] - plain["before_mb"]
    ratio = growth / decoded_mb
    print(f"{name:<22} {ours['rows']:>7,} rows  decoded {decoded_mb:6.1f} MB")
    print(
        f"  layerstack import     {ours['seconds']:6.2f} s   peak +{growth:6.1f} MB "
        f"({ratio:.2f}x decoded; goal < 4x: {'met' if ratio < 4 else 'missed'})"
    )
    note = " (1/10 of the rows, scaled)" if plain.get("scaled") else ""
    print(f"  plain NumPy load      {plain['seconds']:6.2f} s   peak +{plain_growth:6.1f} MB{note}")
    if goal_s is not None:
        verdict = "met" if ours["seconds"] < goal_s else "missed"
        print(f"  goal < {goal_s:.0f} s: {verdict}")


def main() -> None:
    print("dataset import benchmark (2 cores)")
    idx = [MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"]
    report(
        "MNIST IDX pair (real)",
        10_000 * PIXELS / 1e6,
        run(CHILD, "idx", idx),
        run(BASELINE, "idx", idx),
        None,
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "mnist_train.csv"
        make_csv(csv)
        print(f"(generated {csv.stat().st_size / 1e6:.0f} MB CSV)")
        report(
            "CSV 60,000 x 785",
            ROWS * PIXELS / 1e6,
            run(CHILD, "csv", [csv]),
            run(BASELINE, "csv", [csv]),
            20.0,
        )


if __name__ == "__main__":
    main()
