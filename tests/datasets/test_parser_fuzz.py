"""Fuzzing the upload parsers (issue 12): random bytes, valid small files of every format, the
same files truncated or with bytes flipped, inserted or deleted (inside an archive or gzip
stream as well as outside it), and headers that lie (IDX dimensions, a forged gzip size,
.npy shapes and dtypes, zip sizes, methods and flags).

Every upload must end in one of two ways: refused with a 4xx (`DatasetError`, or a service
error), leaving no row, no dataset folder and no work file behind; or imported as a dataset
whose arrays agree with its row. Anything else (a 500, a leftover) fails the test.

Most examples call `create_dataset` in-process, on a real SQLite file in a temporary data dir;
a few go through POST /api/datasets to prove the 4xx mapping. Hypothesis runs derandomized
(a fixed seed): the same examples every run, about 25 s of CPU in all while they pass. A
failure's note holds the upload in full (format, options, bytes), ready to paste into a test.
"""

from __future__ import annotations

import gzip
import io
import math
import re
import shutil
import struct
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import hypothesis
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.service import ensure_local_user
from app.config import Settings
from app.datasets import service, store
from app.datasets.base import DatasetError, Options
from app.db import make_engine, migrate
from app.errors import ServiceError
from app.models import Dataset, User
from tests.helpers.images import encode
from tests.helpers.uploads import npz_bytes, post

Files = list[tuple[str, bytes]]  # (the client's file name, the bytes), as uploaded

FUZZ = hypothesis.settings(
    derandomize=True,  # the same examples every run: CI-stable, and a failure reproduces
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Examples per strategy (per format where the test is per format): about 25 s of CPU in all
# once every example passes; a failure adds its shrinking.
RANDOM_EXAMPLES = 400
VALID_EXAMPLES = 50
DAMAGED_EXAMPLES = 200
LYING_EXAMPLES = 150
NOT_FINITE_EXAMPLES = 20
HTTP_EXAMPLES = 20

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
FORMATS = (None, "zip", "idx", "csv", "npz", "folders", "mnist", "parquet")
DATE = (2020, 1, 1, 0, 0, 0)  # zip entries' timestamp: the same bytes every run
NAMES = np.array(["bird", "cat", "dog", "fish"])  # string labels, by class index


# -- The world each example runs in, and the one check every example ends with -----------------


@dataclass
class World:
    settings: Settings
    engine: Engine
    user: User


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    config = Settings(data_dir=data_dir, workers=0, predictors=0)
    engine = make_engine(config.db_url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        user = ensure_local_user(session)
    yield World(config, engine, user)
    engine.dispose()


def _state(world: World) -> tuple[set[int], set[str]]:
    """Dataset rows and dataset folders."""
    with Session(world.engine) as session:
        rows = set(session.exec(select(Dataset.id)).all())
    root = world.settings.paths.datasets
    return rows, {p.name for p in root.iterdir()} if root.exists() else set()


def _work_files(world: World) -> list[str]:
    tmp = world.settings.paths.tmp
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")) if tmp.exists() else []


def _tidy(world: World, rows: set[int], folders: set[str]) -> None:
    """Put back the state before the example, whatever it left, so the next starts clean."""
    paths = world.settings.paths
    shutil.rmtree(paths.tmp, ignore_errors=True)
    now_rows, now_folders = _state(world)
    for name in now_folders - folders:
        shutil.rmtree(paths.datasets / name, ignore_errors=True)
    with Session(world.engine) as session:
        for row in now_rows - rows:
            session.delete(session.get(Dataset, row))
        session.commit()


def assert_consistent(folder: Path, dataset: Dataset) -> None:
    """The stored arrays agree with the row: counts, shape, dtype, labels and class counts."""
    classes = len(dataset.class_names)
    splits = {"train": dataset.num_train, "test": dataset.num_test}
    # A carved test split may be empty (one sample per class), but it is there.
    present = {"train"} | {s for s in splits if (folder / f"x_{s}.npy").exists()}
    assert {p.name for p in folder.iterdir()} == {f"{a}_{s}.npy" for s in present for a in "xy"}
    assert dataset.num_train > 0
    seen = np.zeros(classes, dtype=np.int64)
    for split in present:
        x = np.load(folder / f"x_{split}.npy", mmap_mode="r")
        y = np.load(folder / f"y_{split}.npy", mmap_mode="r")
        assert len(x) == len(y) == splits[split]
        assert list(x.shape[1:]) == dataset.input_shape, (split, x.shape)
        assert str(x.dtype) == dataset.dtype, (
            f"x_{split} is {x.dtype}; the row says {dataset.dtype}"
        )
        # NaN or infinity trains nothing: the CSV parser refuses them, so every parser must.
        assert x.dtype.kind != "f" or np.isfinite(x).all(), "x holds NaN or infinity"
        assert y.dtype == np.int32 and (not len(y) or (y.min() >= 0 and y.max() < classes))
        counts = np.bincount(y, minlength=classes)
        assert counts.tolist() == dataset.class_counts[split]
        seen += counts
    assert np.count_nonzero(seen) >= 2, "a classifier needs two classes"
    # Declared as floats in DatasetPublic: JSON has no NaN or infinity.
    assert math.isfinite(dataset.value_min) and math.isfinite(dataset.value_max), (
        dataset.value_min,
        dataset.value_max,
    )


def _create(
    world: World, files: Files, fmt: str | None, options: Options, test_fraction: float | None
) -> int:
    """201 (the dataset checked, then deleted), or the status it was refused with."""
    with Session(world.engine) as session:
        try:
            dataset = service.create_dataset(
                session,
                world.settings,
                world.user,
                name="fuzz",
                files=[(name, io.BytesIO(data)) for name, data in files],
                format=fmt,
                options=options,
                test_fraction=test_fraction,
            )
        except (DatasetError, ServiceError) as error:
            return error.status
        assert dataset.id is not None
        assert_consistent(world.settings.paths.dataset(dataset.id), dataset)
        store.delete_dataset(session, world.settings.paths, dataset)
        return 201


def import_upload(
    world: World,
    files: Files,
    fmt: str | None,
    options: Options | None = None,
    test_fraction: float | None = None,
) -> int:
    """create_dataset on the upload: 201 with consistent arrays, or a 4xx that left nothing
    behind (no row, no folder, no work file, no open file)."""
    rows, folders = _state(world)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)  # a file the import left open
            status = _create(world, files, fmt, options or Options(), test_fraction)
        assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
        assert _work_files(world) == [], "work files left behind"
        assert _state(world) == (rows, folders), "a row or a dataset folder left behind"
        assert status == 201 or 400 <= status < 500, status
        return status
    except BaseException as error:
        # The upload, in full: Hypothesis's own report of the example can come out blank
        # (under schemathesis's pytest plugin), and a repro needs the bytes.
        error.add_note(f"{fmt=}\n{options=}\n{test_fraction=}\n{files=}")
        # Files a crash left open close now, not in whichever test runs when Hypothesis lets
        # go of the error: they are this failure's, not another test's.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            traceback.clear_frames(error.__traceback__)
        raise
    finally:
        _tidy(world, rows, folders)


# -- Valid uploads, built in two layers so damage can reach inside archives ---------------------


@dataclass(frozen=True)
class Built:
    """A valid upload: `members` (IDX files before gzip, .npy files or images before they are
    zipped, a CSV's text) and `pack`, which makes the files sent from them."""

    format: str
    members: Files
    pack: Callable[[Files], Files]
    classes: int  # distinct labels in all: two or more, and the upload must import
    options: Options = field(default_factory=Options)
    test_fraction: float | None = None

    def files(self) -> Files:
        return self.pack(self.members)

    def send(self, world: World, files: Files | None = None, fmt: str | None = "own") -> int:
        """Import these files (the built ones by default) with this upload's options."""
        fmt = self.format if fmt == "own" else fmt
        files = self.files() if files is None else files
        return import_upload(world, files, fmt, self.options, self.test_fraction)


# The format an upload is sent as: detected, its own, or any (a wrong one, or nonsense).
formats = st.one_of(st.sampled_from([None, "own"]), st.sampled_from(FORMATS))
test_fractions = st.sampled_from([None, 0.0, 0.5])
class_names = st.sampled_from([None, NAMES.tolist()])  # names that fit labels 0..3


def idx_file(magic: int, dims: tuple[int, ...], data: bytes) -> bytes:
    return struct.pack(f">{1 + len(dims)}I", magic, *dims) + data


def gzipped(data: bytes, forge: bool = False) -> bytes:
    """gzip, deterministic; `forge`: the trailer's size says what the IDX header claims."""
    packed = gzip.compress(data, compresslevel=1, mtime=0)
    if forge and len(data) >= 4 and 1 <= data[3] <= 4:
        raw = data[4 : 4 + 4 * data[3]].ljust(4 * data[3], b"\0")
        claimed = 4 + len(raw) + math.prod(struct.unpack(f">{data[3]}I", raw))
        packed = packed[:-4] + (claimed % 2**32).to_bytes(4, "little")
    return packed


def pack_idx(compress: list[bool], forge: bool, members: Files) -> Files:
    return [
        (f"{name}.gz", gzipped(data, forge)) if gz else (name, data)
        for (name, data), gz in zip(members, compress, strict=True)
    ]


def pack_zip(method: int, name: str, members: Files) -> Files:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, data in members:
            archive.writestr(zipfile.ZipInfo(entry, DATE), data, compress_type=method)
    return [(name, buffer.getvalue())]


def as_is(members: Files) -> Files:
    return list(members)


zip_methods = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])


@st.composite
def labels_for(draw: st.DrawFn, sizes: list[int]) -> list[list[int]]:
    """Labels 0..3 for splits of these sizes: two to four classes, shuffled over the splits;
    now and then a single class (which must be refused)."""
    k = draw(st.sampled_from([2, 3, 4, 1]))
    spread = draw(st.permutations([i % k for i in range(sum(sizes))]))
    ends = np.cumsum(sizes).tolist()
    return [spread[end - n : end] for n, end in zip(sizes, ends, strict=True)]


def distinct(labels: list[list[int]]) -> int:
    return len({v for split in labels for v in split})


@st.composite
def idx_uploads(draw: st.DrawFn) -> Built:
    """Images and labels files, train only or train and t10k, gzipped or raw, in any order."""
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    prefixes = ("train", "t10k")[: draw(st.integers(1, 2))]
    labels = draw(labels_for([draw(st.integers(2, 6)) for _ in prefixes]))
    members = []
    for prefix, y in zip(prefixes, labels, strict=True):
        size = len(y) * rows * cols
        pixels = draw(st.binary(min_size=size, max_size=size))
        members += [
            (f"{prefix}-images-idx3-ubyte", idx_file(IMAGES_MAGIC, (len(y), rows, cols), pixels)),
            (f"{prefix}-labels-idx1-ubyte", idx_file(LABELS_MAGIC, (len(y),), bytes(y))),
        ]
    members = draw(st.permutations(members))
    compress = draw(st.lists(st.booleans(), min_size=len(members), max_size=len(members)))
    pack = partial(pack_idx, compress, False)
    options = Options(class_names=draw(class_names))
    return Built("idx", members, pack, distinct(labels), options, draw(test_fractions))


@st.composite
def csv_uploads(draw: st.DrawFn) -> Built:
    """A header and a few rows; the label column anywhere; integers, floats, words."""
    features = draw(st.integers(1, 4))
    at = draw(st.integers(0, features))
    spell = draw(st.sampled_from(["{}", "{}.0", " {}", '"{}"', "word"]))
    value = st.one_of(
        st.integers(0, 255).map(str),
        st.integers(-1000, 100_000).map(str),
        st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    )
    header = [*(f"f{i}" for i in range(at)), "label", *(f"g{i}" for i in range(at, features))]
    [labels] = draw(labels_for([draw(st.integers(2, 8))]))
    lines = [",".join(header)]
    for label in labels:
        cells = draw(st.lists(value, min_size=features, max_size=features))
        cells.insert(at, NAMES[label] if spell == "word" else spell.format(label))
        lines.append(",".join(cells))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines)
    text += draw(st.sampled_from(["", newline, newline * 3]))
    image = draw(st.sampled_from([None, (features, 1), (1, features, 1)]))
    options = Options(image_shape=image, class_names=draw(class_names))
    members = [("data.csv", text.encode())]
    return Built("csv", members, as_is, distinct([labels]), options, draw(test_fractions))


X_DTYPES = ("uint8", "int8", "<i2", ">u2", "int32", ">i8", "uint64", "float16", ">f4", "<f8")
Y_KINDS = ("uint8", ">i4", "int64", "uint64", "float64", "str", "bytes", "one-hot", "column")


def npz_features(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Values every dtype holds and float32 keeps exactly (so the upload must import)."""
    if dtype.kind == "b":
        return npst.arrays(dtype, shape)
    if dtype.kind == "f":
        top = 60_000.0 if dtype.itemsize == 2 else 1e6
        elements = npst.from_dtype(dtype, min_value=-top, max_value=top, allow_nan=False)
    else:
        info = np.iinfo(dtype)
        low, high = max(int(info.min), -(2**24)), min(int(info.max), 2**24)
        elements = npst.from_dtype(dtype, min_value=low, max_value=high)
    return npst.arrays(dtype, shape, elements=elements)


def npz_labels(kind: str, y: list[int]) -> np.ndarray:
    if kind == "str":
        return NAMES[y]
    if kind == "bytes":
        return NAMES[y].astype("S")
    if kind == "one-hot":
        return np.eye(4, dtype=np.float32)[y]
    if kind == "column":
        return np.array(y, dtype=np.int16)[:, None]
    return np.array(y, dtype=kind)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@st.composite
def npz_uploads(draw: st.DrawFn) -> Built:
    """x/y or x_train/y_train (+ x_test/y_test): odd dtypes, either byte order, Fortran order
    as well as C, labels as integers, floats, strings, bytes, one-hot rows or a column."""
    layout = draw(st.sampled_from([("x",), ("x_train",), ("x_train", "x_test")]))
    dtype = np.dtype(draw(st.sampled_from((*X_DTYPES, "bool"))))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    kind = draw(st.sampled_from(Y_KINDS))
    labels = draw(labels_for([draw(st.integers(2, 6)) for _ in layout]))
    members = []
    for key, y in zip(layout, labels, strict=True):
        x = draw(npz_features(dtype, (len(y), *shape)))
        if draw(st.booleans()):
            x = np.asfortranarray(x)
        members += [
            (f"{key}.npy", npy(x)),
            (f"{key.replace('x', 'y', 1)}.npy", npy(npz_labels(kind, y))),
        ]
    members = draw(st.permutations(members))
    pack = partial(pack_zip, draw(zip_methods), "data.npz")
    options = Options(class_names=draw(class_names))
    return Built("npz", members, pack, distinct(labels), options, draw(test_fractions))


@st.composite
def zip_uploads(draw: st.DrawFn) -> Built:
    """One folder per class (maybe inside a wrapper folder) of tiny PNG, JPEG, GIF and BMP
    images, grey or colour, with the clutter real zips carry."""
    classes = ["cat", "dog", "bird"][: draw(st.sampled_from([2, 3, 1]))]
    wrapper = draw(st.sampled_from(["", "pets/"]))
    members = []
    for name in classes:
        for i in range(draw(st.integers(1, 3))):
            fmt = draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
            mode = draw(st.sampled_from(["L", "RGB", "RGBA"] if fmt == "PNG" else ["L", "RGB"]))
            h, w, c = draw(st.integers(2, 8)), draw(st.integers(2, 8)), len(mode)
            pixels = np.frombuffer(
                draw(st.binary(min_size=h * w * c, max_size=h * w * c)), np.uint8
            )
            image = pixels.reshape(h, w, c) if c > 1 else pixels.reshape(h, w)
            members.append((f"{wrapper}{name}/{i}.{fmt.lower()}", encode(image, fmt)))
    clutter = ["__MACOSX/._x.png", f"{wrapper}notes.txt", f"{wrapper}{classes[0]}/.DS_Store"]
    members += [(entry, b"\0\x05not an image") for entry in draw(st.sets(st.sampled_from(clutter)))]
    members = draw(st.permutations(members))
    size = draw(st.sampled_from([None, (8, 8), (3, 5)]))
    options = Options(image_size=size, color_mode=draw(st.sampled_from([None, "grayscale", "rgb"])))
    pack = partial(pack_zip, draw(zip_methods), "classes.zip")
    return Built("zip", members, pack, len(classes), options, draw(test_fractions))


UPLOADS = {"idx": idx_uploads(), "csv": csv_uploads(), "npz": npz_uploads(), "zip": zip_uploads()}


# -- Damage: truncations, flips, insertions, deletions; and headers that lie -------------------


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """One edit, often near the start (where the headers are)."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
    last = max(len(data) - 1, 0)
    at = draw(st.one_of(st.integers(0, min(last, 64)), st.integers(0, last)))
    if kind == "truncate":
        return data[:at]
    if kind == "flip" and data:
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 16)) :]
    return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]


@st.composite
def damaged_one(draw: st.DrawFn, files: Files) -> Files:
    """Files with one of them edited one to three times."""
    files = list(files)
    i = draw(st.integers(0, len(files) - 1))
    name, data = files[i]
    for _ in range(draw(st.integers(1, 3))):
        data = draw(mutated(data))
    files[i] = (name, data)
    return files


@st.composite
def damaged(draw: st.DrawFn, uploads: st.SearchStrategy[Built]) -> tuple[Files, Built]:
    """A valid upload damaged inside (a member, before gzip or zip) or outside (the file)."""
    built = draw(uploads)
    if draw(st.booleans()):
        return built.pack(draw(damaged_one(built.members))), built
    return draw(damaged_one(built.files())), built


u32 = st.one_of(
    st.integers(0, 2**32 - 1),
    st.sampled_from([0, 1, 2, 255, 2**16, 2**24, 2**31 - 1, 2**31, 2**32 - 1]),
)


@st.composite
def lying_idx(draw: st.DrawFn) -> tuple[Files, Built]:
    """An IDX header dimension replaced by any 32-bit value; maybe every gzip trailer forged to
    agree with what the headers claim, so only the data itself can tell."""
    built = draw(idx_uploads())
    members = list(built.members)
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, len(members) - 1))
        name, data = members[i]
        at = 4 + 4 * draw(st.integers(0, data[3] - 1))
        members[i] = (name, data[:at] + draw(u32).to_bytes(4, "big") + data[at + 4 :])
    compress = draw(st.lists(st.booleans(), min_size=len(members), max_size=len(members)))
    return pack_idx(compress, draw(st.booleans()), members), built


NPY_DESCRS = (
    *("|u1", "<i8", ">f8", "|b1", "<U4", "|S3", "|O", "<c16", "|V4", "<M8[s]", "<f2"),
    *("|V0", "<U0", [("a", "<i4"), ("b", "|u1")]),  # no bytes per item; a record
)
npy_dims = st.one_of(
    st.integers(0, 8),
    st.sampled_from([2**20, 2**31, 2**32, 2**40, 2**62, 2**63 - 1]),  # large, not impossible
    st.integers(0, 2**63 - 1),
)


@st.composite
def lying_npy(draw: st.DrawFn, data: bytes) -> bytes:
    """A .npy member whose header's shape, fortran_order or descr is replaced, or whose
    header text has a character replaced (so it no longer parses as a dict)."""
    stream = io.BytesIO(data)
    np.lib.format.read_magic(stream)
    shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    body = stream.read()
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": fortran,
        "shape": shape,
    }
    for key in draw(st.sets(st.sampled_from(sorted(header)), min_size=1)):
        if key == "shape":
            header["shape"] = tuple(draw(st.lists(npy_dims, max_size=3)))
        elif key == "fortran_order":
            header["fortran_order"] = not fortran
        else:
            header["descr"] = draw(st.sampled_from(NPY_DESCRS))
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    written = bytearray(out.getvalue())
    if draw(st.booleans()):  # the dict's text starts after magic, version and length
        written[draw(st.integers(10, len(written) - 1))] = draw(st.sampled_from(b"{}()[],:'| x0-"))
    return bytes(written) + body[: draw(st.sampled_from([len(body), 0, len(body) // 2]))]


@st.composite
def lying_npz(draw: st.DrawFn) -> tuple[Files, Built]:
    built = draw(npz_uploads())
    members = list(built.members)
    i = draw(st.integers(0, len(members) - 1))
    members[i] = (members[i][0], draw(lying_npy(members[i][1])))
    return built.pack(members), built


# The fields a zip reader trusts, by zipfile.ZipInfo's names: (offset in a central directory
# record, offset in a local file header, width in bytes).
ZIP_FIELDS = {
    "flag_bits": (8, 6, 2),
    "compress_type": (10, 8, 2),
    "CRC": (16, 14, 4),
    "compress_size": (20, 18, 4),
    "file_size": (24, 22, 4),
}
CENTRAL, LOCAL = b"PK\x01\x02", b"PK\x03\x04"


def set_zip_field(
    data: bytes,
    field: str,
    value: int,
    kinds: tuple[bytes, ...] = (CENTRAL, LOCAL),
    nth: int | None = None,
) -> bytes:
    """The zip with `field` set to `value` in every record of these kinds (or the nth)."""
    central, local, width = ZIP_FIELDS[field]
    edited = bytearray(data)
    for kind in kinds:
        starts = [m.start() for m in re.finditer(re.escape(kind), data)]
        for start in starts if nth is None else [starts[nth % len(starts)]]:
            at = start + (central if kind == CENTRAL else local)
            edited[at : at + width] = value.to_bytes(width, "little")
    return bytes(edited)


@st.composite
def lying_zip(draw: st.DrawFn, uploads: st.SearchStrategy[Built]) -> tuple[Files, Built]:
    """A zip (of class folders, or an .npz) whose declared sizes, CRCs, compression methods
    or flags are replaced by random or extreme values, in its directory or its headers."""
    built = draw(uploads)
    [(name, data)] = built.files()
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(sorted(ZIP_FIELDS)))
        if ZIP_FIELDS[field][2] == 2:
            special = [0, 1, 8, 9, 12, 14, 99, 1 << 5, 1 << 6]  # methods; patched, strong flags
            value = draw(st.one_of(st.integers(0, 2**16 - 1), st.sampled_from(special)))
        else:
            value = draw(st.one_of(u32, st.just(len(data))))
        kind = draw(st.sampled_from([CENTRAL, LOCAL]))
        data = set_zip_field(data, field, value, (kind,), draw(st.integers(0, 7)))
    return [(name, data)], built


# -- Random bytes ---------------------------------------------------------------------------

MAGICS = (
    b"",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b\x08\x00",
    b"\0\0\x08\x03",
    b"\0\0\x08\x01",
    b"\x93NUMPY\x01\x00",
    b"\x89PNG\r\n\x1a\n",
    b"label,",
    b"\xef\xbb\xbflabel,a\n",
)
random_file = st.tuples(st.sampled_from(MAGICS), st.binary(max_size=256)).map(b"".join)
random_files = st.lists(
    st.tuples(st.sampled_from(["a.bin", "train-images-idx3-ubyte", "t10k.gz", ""]), random_file),
    min_size=1,
    max_size=4,
)


# -- The tests ------------------------------------------------------------------------------


@hypothesis.settings(FUZZ, max_examples=RANDOM_EXAMPLES)
@given(files=random_files, fmt=st.sampled_from(FORMATS))
def test_random_bytes_are_refused_with_a_4xx_and_leave_nothing(world, files, fmt):
    import_upload(world, files, fmt)


@pytest.mark.parametrize("kind", sorted(UPLOADS))
def test_valid_small_uploads_import(world, kind):
    """The builders' files are real datasets: the fuzzing below starts from uploads that work
    (so a parser that refused everything would fail here)."""

    @hypothesis.settings(FUZZ, max_examples=VALID_EXAMPLES)
    @given(built=UPLOADS[kind], fmt=st.sampled_from([None, "own"]))
    def check(built: Built, fmt: str | None) -> None:
        assert built.send(world, fmt=fmt) == (201 if built.classes >= 2 else 422)

    check()


@pytest.mark.parametrize("kind", sorted(UPLOADS))
def test_damaged_uploads_are_refused_or_import_whole(world, kind):
    @hypothesis.settings(FUZZ, max_examples=DAMAGED_EXAMPLES)
    @given(upload=damaged(UPLOADS[kind]), fmt=formats)
    def check(upload: tuple[Files, Built], fmt: str | None) -> None:
        files, built = upload
        built.send(world, files, fmt)

    check()


@st.composite
def npz_not_finite(draw: st.DrawFn) -> Built:
    """Float features with a NaN or an infinity somewhere among finite values."""
    n, features = draw(st.integers(2, 6)), draw(st.integers(1, 3))
    dtype = np.dtype(draw(st.sampled_from(["float16", ">f4", "<f8"])))
    x = draw(npz_features(dtype, (n, features)))
    at = (draw(st.integers(0, n - 1)), draw(st.integers(0, features - 1)))
    x[at] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    members = [("x.npy", npy(x)), ("y.npy", npy(np.arange(n) % 2))]
    return Built("npz", members, partial(pack_zip, zipfile.ZIP_STORED, "data.npz"), 2)


@hypothesis.settings(FUZZ, max_examples=NOT_FINITE_EXAMPLES)
@given(built=npz_not_finite())
def test_npz_features_that_are_not_finite_never_make_a_dataset(world, built):
    """As in a CSV, a NaN or an infinity in x must not end up in a dataset (it trains on NaN,
    and the API cannot show its value range): refused, or replaced."""
    built.send(world)


LIARS = {
    "idx-dims": lying_idx(),
    "npy-header": lying_npz(),
    "npz-zip-fields": lying_zip(npz_uploads()),
    "folders-zip-fields": lying_zip(zip_uploads()),
}


@pytest.mark.parametrize("kind", sorted(LIARS))
def test_lying_headers_are_refused_before_they_cost_memory(world, kind):
    @hypothesis.settings(FUZZ, max_examples=LYING_EXAMPLES)
    @given(upload=LIARS[kind], fmt=st.sampled_from([None, "own"]))
    def check(upload: tuple[Files, Built], fmt: str | None) -> None:
        files, built = upload
        built.send(world, files, fmt)

    check()


# -- What the fuzzing found, kept as plain examples (500s, and datasets that are not whole) ---


def two_class_zip(method: int = zipfile.ZIP_STORED) -> bytes:
    black, white = np.zeros((2, 2), np.uint8), np.full((2, 2), 255, np.uint8)
    members = [("cat/0.png", encode(black)), ("dog/0.png", encode(white))]
    return pack_zip(method, "classes.zip", members)[0][1]


def small_npz(x: bytes | None = None, y: bytes | None = None) -> bytes:
    x = npy(np.zeros((4, 2), np.uint8)) if x is None else x
    y = npy(np.array([0, 1, 0, 1], np.uint8)) if y is None else y
    return pack_zip(zipfile.ZIP_STORED, "data.npz", [("x.npy", x), ("y.npy", y)])[0][1]


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return out.getvalue()


FOUND = {
    # The zip's offsets all one byte too low: zipfile seeks to -1 (OSError EINVAL).
    "zip-first-byte-cut": ("zip", two_class_zip()[1:]),
    # Deflate data labelled bzip2: the bz2 decompressor raises OSError("Invalid data stream").
    "zip-entry-not-bzip2": ("zip", set_zip_field(two_class_zip(8), "compress_type", 12)),
    # numpy's .npy header parser raises tokenize.TokenError (or SyntaxError), not ValueError.
    "npz-header-unparsable": (
        None,
        small_npz(y=npy(np.array([0, 1, 0, 1], np.uint8)).replace(b"(4,), }", b"(4,), |")),
    ),
    # zipfile raises NotImplementedError for a method or flag it does not know...
    "npz-method-99": (None, set_zip_field(small_npz(), "compress_type", 99, (CENTRAL,))),
    "npz-strong-encryption-flag": (None, set_zip_field(small_npz(), "flag_bits", 64, (CENTRAL,))),
    # ... and RuntimeError for an encrypted member.
    "npz-encrypted": (None, set_zip_field(small_npz(), "flag_bits", 1, (CENTRAL,))),
    # Labels of a dtype with no bytes per item: np.frombuffer raises ValueError.
    "npz-labels-of-dtype-V0": (None, small_npz(y=npy_header("|V0", (4,)))),
    # Imported, though the CSV parser refuses the same values: NaN is then left out of the
    # value range, infinity becomes null in the API's JSON.
    "npz-nan-in-x": (None, small_npz(x=npy(np.array([[np.nan], [1.0], [2.0], [3.0]])))),
    "npz-inf-in-x": (None, small_npz(x=npy(np.array([[np.inf], [1.0], [2.0], [3.0]])))),
    # Stored as they came: the row says uint8, x_test.npy holds int8 -1s.
    "npz-x-test-dtype-differs": (
        None,
        npz_bytes(
            x_train=np.zeros((2, 1), np.uint8),
            y_train=np.array([0, 1]),
            x_test=np.full((2, 1), -1, np.int8),
            y_test=np.array([0, 1]),
        ),
    ),
}


@pytest.mark.parametrize(("fmt", "data"), FOUND.values(), ids=FOUND.keys())
def test_what_fuzzing_found_is_refused_or_imported_whole(world, fmt, data):
    import_upload(world, [("upload", data)], fmt)


# -- Over HTTP: the same refusals are 4xx answers, never a 500 -----------------------------------


def _leftovers(settings: Settings) -> list[str]:
    root = settings.data_dir
    found = [p for p in (root / "tmp").rglob("*")] if (root / "tmp").exists() else []
    found += [p for p in (root / "datasets").iterdir() if p.name != "1"]  # 1: the digits
    return [str(p.relative_to(root)) for p in found]


def assert_answer(client, settings: Settings, files: Files, **form: str) -> int:
    response = post(client, files, **form)
    status = response.status_code
    if status == 201:
        assert client.delete(f"/api/datasets/{response.json()['id']}").status_code == 204
    else:
        assert 400 <= status < 500, response.text
        detail = response.json()["detail"]
        assert detail[0]["msg"] if status == 422 else isinstance(detail, str), detail
    assert client.get("/api/datasets").json()["count"] == 1
    assert _leftovers(settings) == []
    return status


any_upload = st.one_of(
    random_files.map(lambda files: (files, {})),
    *(
        damaged(uploads).map(lambda upload: (upload[0], {"format": upload[1].format}))
        for uploads in UPLOADS.values()
    ),
)


@hypothesis.settings(
    FUZZ,
    max_examples=HTTP_EXAMPLES,
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(upload=any_upload)
def test_bad_uploads_over_http_are_4xx_answers(client, settings, upload):
    files, form = upload
    assert_answer(client, settings, [(name or "upload", data) for name, data in files], **form)


ANSWERS = [
    ("unknown-content", [("a.bin", b"\x00\x01\x02 not a dataset")], {}, 415),
    ("cut-zip", [("c.zip", b"PK\x03\x04\x14\x00\x00\x00")], {"format": "zip"}, 415),
    (
        "idx-cut-short",
        [
            ("i", idx_file(IMAGES_MAGIC, (2, 2, 2), b"\0" * 5)),
            ("l", idx_file(LABELS_MAGIC, (2,), b"\0\1")),
        ],
        {},
        422,
    ),
    ("csv-ragged", [("r.csv", b"label,a,b\n0,1\n1,2,3\n")], {}, 422),
    ("npz-is-npy", [("n.npz", npy(np.zeros(3)))], {"format": "npz"}, 422),
]


@pytest.mark.parametrize(
    ("files", "form", "status"), [a[1:] for a in ANSWERS], ids=[a[0] for a in ANSWERS]
)
def test_refusals_keep_their_status_over_http(client, settings, files, form, status):
    assert assert_answer(client, settings, files, **form) == status
