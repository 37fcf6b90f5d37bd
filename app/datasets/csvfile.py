"""CSV uploads shaped like Kaggle's mnist_train.csv: a header row, a label column anywhere in
it, and numeric feature (pixel) columns.

It streams: pass 1 counts the data rows so the output memmap can be sized, pass 2 reads blocks
of whole lines, checks their shape with numpy (no Python object per cell) and parses all of a
block's numbers in one numpy call. Only a block that fails is parsed again cell by cell, to
name the exact line, column and value at fault.

Cells may be quoted as RFC 4180 writes them: a comma, a doubled quote or a newline inside
quotes, e.g. a class name "Bag, leather". A row ends at a newline outside quotes: both passes
find those by the parity of the quotes before each newline (numpy, linear time), and a block
that holds a quote keeps the numpy fast path for its delimiters outside quotes (quoted labels
cost nothing); only a block whose numbers are quoted, or that fails, goes through the csv
module. "Line N" counts rows (the header is line 1), so a quoted newline does not start a new
line.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np

from app.datasets.base import (
    DatasetError,
    Options,
    Parsed,
    Upload,
    check_budget,
    default_class_names,
    open_split,
    too_many_classes,
)

# A block's numpy temporaries are ~10x its size: 512 KiB keeps them near 15 MB, and larger
# blocks measured no faster.
BLOCK_BYTES = 512 << 10
HEADER_LIMIT = 16 << 20
LINE_LIMIT = 16 << 20  # one data row, as long as the header may be; numpy needs ~10x
COMMA, NEWLINE, QUOTE = ord(","), ord("\n"), ord('"')
# Distinct label texts kept while reading, per class allowed: " 1", "01" and "1.0" are one
# class, so a few spellings each are honest; millions of distinct labels would fill memory.
SPELLINGS_PER_CLASS = 16
MAX_INT_DIGITS = 18  # longer integers would saturate int64, so they take the float path
NOT_CSV = "{} does not look like a CSV ({}). Upload comma-separated UTF-8 text with a header row."
QUOTING = (
    'Quote a cell that holds a comma, a newline or a " as a whole ("Bag, leather"), and write '
    'each " inside it twice ("").'
)


@dataclass(frozen=True)
class _Table:
    name: str
    columns: list[str]
    label: int  # index of the label column

    def at(self, row: int, col: int) -> str:
        """Where a data row's cell is, as a text editor numbers lines: the header is line 1."""
        return f"{self.name}: line {row + 2}, column {self.columns[col]}"


def parse_csv(files: list[Upload], options: Options, out: Path) -> Parsed:
    if len(files) != 1:
        names = ", ".join(f.filename for f in files) or "none"
        raise DatasetError(f"A CSV dataset is exactly one file; received {len(files)} ({names}).")
    name = files[0].filename or files[0].path.name
    with files[0].path.open("rb") as f:
        table = _read_header(f, name, options.label_column)
        start = f.tell()
        end, count = _scan(f, start, name)
        if count == 0:
            raise DatasetError(f"{name} has a header but no data rows. Add one row per sample.")
        shape = _sample_shape(name, len(table.columns) - 1, options.image_shape)
        check_budget(name, count, shape, np.uint8, options)  # float32 checked if it widens
        x, y = open_split(out, "train", count, shape, np.uint8)
        codes = np.empty(count, dtype=np.int32)  # per row: its label text's index in `texts`
        texts: dict[bytes, int] = {}
        row = 0
        for block in _blocks(f, start, end, name):
            values, labels = _parse_block(block, row, table)
            if x.dtype == np.uint8 and not _fits_uint8(values):
                where = f"{name} (it holds values beyond 0..255 or fractions: stored as float32)"
                check_budget(where, count, shape, np.float32, options)
                x, y = _widen(out, x, row, shape)
            x[row : row + len(values)] = values.reshape(len(values), *shape)
            codes[row : row + len(values)] = [texts.setdefault(t, len(texts)) for t in labels]
            _check_spellings(len(texts), table, options.max_classes)
            row += len(values)
    lookup, class_names = _classes(list(texts), codes, table, options)
    y[:] = lookup[codes]
    x.flush()
    y.flush()
    return Parsed(splits={"train": count}, class_names=class_names)


def _read_header(f: BinaryIO, name: str, label_column: str) -> _Table:
    first = f.readline(HEADER_LIMIT)
    if not first:
        raise DatasetError(f"{name} is empty. Upload a header row and one row per sample.")
    try:
        header = first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(NOT_CSV.format(name, "it is binary data, e.g. an image")) from None
    if "\0" in header or (not first.endswith(b"\n") and f.read(1)):
        raise DatasetError(NOT_CSV.format(name, "its first line is not a header row"))
    if not header.strip():
        raise DatasetError(f"{name}: line 1 is blank. The first line must name the columns.")
    if header.count('"') % 2:
        raise DatasetError(f"{name}: line 1 (the header) has a quote that never closes. {QUOTING}")
    try:
        columns = [c.strip().strip('"') for c in next(csv.reader([header], strict=True))]
    except csv.Error as error:
        raise DatasetError(f"{name}: line 1 (the header): {error}. {QUOTING}") from None
    repeated = [repr(c) for c, n in Counter(columns).items() if n > 1]
    if repeated:
        raise DatasetError(
            f"{name} has duplicate column names: {', '.join(repeated[:5])}. "
            "Rename them so each column is unique."
        )
    if label_column not in columns:
        found = ", ".join(map(repr, columns[:5]))
        found += f" and {len(columns) - 5} more" if len(columns) > 5 else ""
        if len(columns) == 1 and ("\t" in header or ";" in header):
            found += " (the file looks tab- or semicolon-separated; save it with commas)"
        raise DatasetError(
            f"{name} has no column {label_column!r}; its columns are {found}. "
            "Set `label_column` to the column that holds the labels.",
            field="label_column",
        )
    if len(columns) < 2:
        raise DatasetError(f"{name} has only the label column; add feature columns.")
    return _Table(name, columns, columns.index(label_column))


def _scan(f: BinaryIO, start: int, name: str) -> tuple[int, int]:
    """Pass 1: where the data ends (blank lines at the end are not rows), and its row count:
    the newlines outside quotes, plus one for a last row without its newline."""
    end, rows, offset, row_ends, odd = start, 0, start, 0, False
    last_quote_row = 0  # the row of the last quote seen: where an unclosed one opened
    while chunk := f.read(BLOCK_BYTES * 4):
        ends, after = _row_ends(chunk, odd)
        kept = chunk.rstrip(b" \t\r\n")
        if kept:
            inside = _count_below(chunk, ends, len(kept))
            end, rows = offset + len(kept), row_ends + inside + 1
        if ends is not None and b'"' in chunk:
            last_quote_row = row_ends + _count_below(chunk, ends, chunk.rindex(b'"'))
        row_ends += chunk.count(b"\n") if ends is None else len(ends)
        offset += len(chunk)
        odd = after
    if odd:
        raise DatasetError(
            f"{name}: line {last_quote_row + 2} opens a quoted cell that is never closed "
            f"(the file ends inside it). {QUOTING}"
        )
    return end, rows


def _row_ends(chunk: bytes, odd: bool) -> tuple[np.ndarray | None, bool]:
    """Where the chunk's rows end (its newlines outside quotes), given whether it starts inside
    a quoted cell; and whether it ends inside one. None: no quotes, every newline ends a row."""
    if not odd and b'"' not in chunk:
        return None, False
    u = np.frombuffer(chunk, dtype=np.uint8)
    inside = (np.cumsum(u == QUOTE, dtype=np.int64) + odd) & 1  # a doubled quote: no change
    return np.flatnonzero((u == NEWLINE) & (inside == 0)), bool(inside[-1])


def _count_below(chunk: bytes, ends: np.ndarray | None, stop: int) -> int:
    """Rows ended in chunk[:stop]."""
    if ends is None:
        return chunk.count(b"\n", 0, stop)
    return int(np.searchsorted(ends, stop))


def _blocks(f: BinaryIO, start: int, end: int, name: str) -> Iterator[bytes]:
    """Pass 2 reads blocks of whole rows, each ending with a newline (outside quotes). A row
    longer than a block is gathered in pieces (joined once: linear time), up to LINE_LIMIT."""
    f.seek(start)
    pieces: list[bytes] = []
    left, held, line, odd = end - start, 0, 2, False  # `line`: the first row not yet yielded
    while left > 0:
        chunk = f.read(min(BLOCK_BYTES, left))
        left -= len(chunk)
        if left <= 0 or not chunk:
            yield b"".join([*pieces, chunk, b"\n"])
            return
        ends, after = _row_ends(chunk, odd)
        cut = chunk.rfind(b"\n") + 1 if ends is None else (int(ends[-1]) + 1 if len(ends) else 0)
        odd = after
        if not cut:  # still inside one long row
            pieces.append(chunk)
            held += len(chunk)
            if held > LINE_LIMIT:
                raise DatasetError(
                    f"{name}: line {line} is longer than {LINE_LIMIT >> 20} MiB. A row holds "
                    f"one sample; check that the file uses newlines between rows (and that "
                    f"every quoted cell closes)."
                )
            continue
        block = b"".join([*pieces, chunk[:cut]])
        line += block.count(b"\n") if ends is None and not pieces else _rows_in(block)
        yield block
        pieces, held = [chunk[cut:]], len(chunk) - cut


def _rows_in(block: bytes) -> int:
    """Rows in a block of whole rows (its newlines outside quotes)."""
    ends, _ = _row_ends(block, False)
    return block.count(b"\n") if ends is None else len(ends)


def _sample_shape(name: str, features: int, image_shape: tuple[int, ...] | None) -> tuple[int, ...]:
    if image_shape is None:
        return (features,)
    needed = math.prod(image_shape)
    if needed != features:
        raise DatasetError(
            f"{name}: the CSV has {features} pixel columns but image size "
            f"{'x'.join(map(str, image_shape))} needs {needed}. Choose an image size whose "
            f"dimensions multiply to {features}.",
            field="image_size",
        )
    return tuple(image_shape)


def _parse_block(block: bytes, row0: int, table: _Table) -> tuple[np.ndarray, list[bytes]]:
    """A block's feature values (rows x features) and its label cells' text (unquoted)."""
    if not block.isascii():
        _check_utf8(block, row0, table.name)
    if b"\r" in block:  # inside quoted cells too, so every path reads the same text
        block = block.replace(b"\r\n", b"\n")
    quoted = b'"' in block
    u = np.frombuffer(block, dtype=np.uint8)
    newline, comma = u == NEWLINE, u == COMMA
    if quoted:  # a delimiter inside quotes is text (the quotes' parity, as in pass 1)
        outside = (np.cumsum(u == QUOTE, dtype=np.int64) & 1) == 0
        newline &= outside
        comma &= outside
    ends = np.flatnonzero(newline | comma)  # each cell ends at its delimiter
    rows, cols, k = int(newline.sum()), len(table.columns), table.label
    # The right count, with a newline after every `cols` cells: every line has `cols` cells.
    if ends.size != rows * cols or not newline[ends[cols - 1 :: cols]].all():
        if quoted:
            return _parse_quoted(block, row0, table)  # names the row at fault
        _raise_ragged(block, row0, table)
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    widths = ends - starts
    if not widths.all():
        r, c = divmod(int(np.argmin(widths)), cols)
        raise DatasetError(f"{table.at(row0 + r, c)} is empty. Fill every cell with a value.")
    first, last = starts[k::cols], ends[k::cols]
    labels = [block[s:e] for s, e in zip(first.tolist(), last.tolist(), strict=True)]
    # Cut each label cell and one delimiter beside it, so the rest is numbers only.
    cut_from, cut_to = (first, last + 1) if k < cols - 1 else (first - 1, last)
    marks = np.zeros(u.size + 1, dtype=np.int8)
    marks[cut_from], marks[cut_to] = 1, -1
    numbers = u[np.cumsum(marks[:-1], dtype=np.int8) == 0].tobytes()
    if quoted and (b'"' in numbers or not all(map(_well_quoted, labels))):
        return _parse_quoted(block, row0, table)  # quoted numbers (rare), or bad quoting
    w = widths.reshape(rows, cols)  # long word labels must not rule out the integer path
    widest = max(w[:, :k].max(initial=0), w[:, k + 1 :].max(initial=0))
    values = _parse_numbers(numbers, rows, cols - 1, int(widest))
    if values is None:
        if quoted:
            return _parse_quoted(block, row0, table)
        values = _parse_slowly(block, row0, table)
    return values.reshape(rows, cols - 1), [_unquote(t) for t in labels] if quoted else labels


def _well_quoted(cell: bytes) -> bool:
    """No quote, or quoted as a whole with each quote inside doubled (RFC 4180)."""
    if b'"' not in cell:
        return True
    inner = cell[1:-1]
    return len(cell) > 1 and cell[0] == cell[-1] == QUOTE and b'"' not in inner.replace(b'""', b"")


def _unquote(cell: bytes) -> bytes:
    """A label cell's text as the csv module reads it: "Bag, leather" -> Bag, leather."""
    return cell[1:-1].replace(b'""', b'"') if cell.startswith(b'"') else cell


def _parse_numbers(text: bytes, rows: int, width: int, widest: int) -> np.ndarray | None:
    """All of a block's numbers at once, or None when one of them is not a finite number."""
    if widest <= MAX_INT_DIGITS and not text.translate(None, b"0123456789,\n"):
        # Integers parse 5x faster this way than as floats (measured).
        return np.fromstring(text.replace(b"\n", b","), dtype=np.int64, sep=",")
    try:  # the fastest numpy float parser here (measured); "#" is a value, not a comment
        values = np.loadtxt(io.BytesIO(text), np.float64, comments=None, delimiter=",", ndmin=2)
    except ValueError:
        return None
    return values if values.shape == (rows, width) and np.isfinite(values).all() else None


def _parse_slowly(block: bytes, row0: int, table: _Table) -> np.ndarray:
    """Cell by cell, to name the first bad cell. float() accepts a few spellings numpy refuses
    ("1_000"), so a block without a bad cell is parsed here in full."""
    rows = []
    for r, line in enumerate(block.split(b"\n")[:-1]):
        row = []
        for c, cell in enumerate(line.split(b",")):
            if c == table.label:
                continue
            text = cell.decode("utf-8", errors="replace")[:40]
            try:
                row.append(float(cell))
            except ValueError:
                raise DatasetError(f"{table.at(row0 + r, c)}: {text!r} is not a number.") from None
            if not math.isfinite(row[-1]):
                raise DatasetError(
                    f"{table.at(row0 + r, c)}: {text!r} is not a finite number; replace it."
                )
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _parse_quoted(block: bytes, row0: int, table: _Table) -> tuple[np.ndarray, list[bytes]]:
    """A block with quoted cells, row by row through the csv module (RFC 4180 quoting)."""
    rows = _rows_in(block)  # what pass 1 counted for this block, by the quotes' parity
    reader = csv.reader(io.StringIO(block.decode("utf-8"), newline=""), strict=True)
    cols, values, labels = len(table.columns), [], []
    try:
        for r, cells in enumerate(reader):
            where = f"{table.name}: line {row0 + r + 2}"
            if r >= rows:
                break
            if not cells:
                raise DatasetError(f"{where} is blank; remove blank lines between rows.")
            if len(cells) != cols:
                raise DatasetError(
                    f"{where} has {len(cells)} cells, the header has {cols}. "
                    "Give every row one value per column."
                )
            labels.append(cells[table.label].encode("utf-8"))
            values.append([_number(cell, table, row0 + r, c) for c, cell in enumerate(cells)
                           if c != table.label])  # fmt: skip
    except csv.Error as error:
        line = row0 + reader.line_num + 1
        raise DatasetError(f"{table.name}: line {line}: {error}. {QUOTING}") from None
    if len(values) != rows:
        raise DatasetError(
            f"{table.name}: lines {row0 + 2} to {row0 + rows + 1} hold a quote inside a cell "
            f"that does not start with one, so the rows cannot be told apart. {QUOTING}"
        )
    return np.array(values, dtype=np.float64).reshape(rows, cols - 1), labels


def _number(cell: str, table: _Table, row: int, col: int) -> float:
    if not cell:
        raise DatasetError(f"{table.at(row, col)} is empty. Fill every cell with a value.")
    try:
        value = float(cell)
    except ValueError:
        raise DatasetError(f"{table.at(row, col)}: {cell[:40]!r} is not a number.") from None
    if not math.isfinite(value):
        where = table.at(row, col)
        raise DatasetError(f"{where}: {cell[:40]!r} is not a finite number; replace it.")
    return value


def _check_utf8(block: bytes, row0: int, name: str) -> None:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as error:
        line = row0 + 2 + block.count(b"\n", 0, error.start)
        raise DatasetError(NOT_CSV.format(name, f"line {line} is not UTF-8 text")) from None


def _raise_ragged(block: bytes, row0: int, table: _Table) -> NoReturn:
    cols = len(table.columns)
    for r, line in enumerate(block.split(b"\n")[:-1]):
        where, cells = f"{table.name}: line {row0 + r + 2}", line.count(b",") + 1
        if not line.strip():
            raise DatasetError(f"{where} is blank; remove blank lines between rows.")
        if cells != cols:
            raise DatasetError(
                f"{where} has {cells} cells, the header has {cols}. "
                "Give every row one value per column."
            )
    raise AssertionError("a ragged block has no ragged line")


def _fits_uint8(values: np.ndarray) -> bool:
    if values.min() < 0 or values.max() > 255:
        return False
    return values.dtype.kind in "iu" or bool((values == np.round(values)).all())


def _widen(
    out: Path, x: np.memmap, done: int, shape: tuple[int, ...]
) -> tuple[np.memmap, np.memmap]:
    """Switch the output to float32 once a value does not fit uint8, keeping the rows so far."""
    narrow = Path(str(x.filename)).rename(out / "x_train.uint8")  # the open map stays valid
    wide, y = open_split(out, "train", len(x), shape, np.float32)
    for a in range(0, done, 4096):  # in chunks, so no float32 copy of it all is made
        wide[a : min(a + 4096, done)] = x[a : min(a + 4096, done)]
    narrow.unlink()
    return wide, y


def _check_spellings(found: int, table: _Table, cap: int) -> None:
    if found > SPELLINGS_PER_CLASS * cap:
        where = f"{table.name}, column {table.columns[table.label]}"
        raise too_many_classes(where, f"at least {found:,} different labels", cap)


def _classes(
    texts: list[bytes], codes: np.ndarray, table: _Table, options: Options
) -> tuple[np.ndarray, list[str]]:
    """Each distinct label text's class index, and the class names: numbers are class indices;
    words are names, sorted or in the order `class_names` gives. At most MAX_CLASSES of them."""
    given, cap = options.class_names, options.max_classes
    # Quoted cells come here unquoted (a block with a quote goes through the csv module).
    words = [t.decode("utf-8").strip() for t in texts]
    try:
        numbers = [float(w) for w in words]  # NaN and inf count as numbers: out of range
    except ValueError:
        distinct = set(words)
        if given is None and len(distinct) > cap:
            where = f"{table.name}, column {table.columns[table.label]}"
            raise too_many_classes(where, f"{len(distinct):,} different labels", cap) from None
        names = list(given) if given is not None else sorted(distinct)
        index = {w: i for i, w in enumerate(names)}
        problem = f"not one of the class names given ({', '.join(names[:10])})"
        _check_labels([w not in index for w in words], codes, words, table, problem)
        return np.array([index[w] for w in words], dtype=np.int32), names
    bad = [not (n.is_integer() and n >= 0) for n in numbers]
    _check_labels(bad, codes, words, table, "out of range; labels must be whole numbers >= 0")
    if given is not None:
        bad = [n >= len(given) for n in numbers]
        valid = f"0..{len(given) - 1} (one per class name)"
        _check_labels(bad, codes, words, table, f"out of range; labels must be {valid}")
    row = _first_bad([n >= cap for n in numbers], codes)
    if row is not None:
        word = words[int(codes[row])]
        raise too_many_classes(table.at(row, table.label), f"label {word!r} is too large", cap)
    indices = [int(n) for n in numbers]
    names = default_class_names(max(indices) + 1, given, table.name)
    return np.array(indices, dtype=np.int32), names


def _check_labels(
    bad: list[bool], codes: np.ndarray, words: list[str], table: _Table, problem: str
) -> None:
    """Name the first row whose label text is bad."""
    row = _first_bad(bad, codes)
    if row is not None:
        word = words[int(codes[row])]
        raise DatasetError(f"{table.at(row, table.label)}: label {word!r} is {problem}.")


def _first_bad(bad: list[bool], codes: np.ndarray) -> int | None:
    """The first row whose label text (by its index in `bad`) is bad, if any."""
    return int(np.flatnonzero(np.array(bad)[codes])[0]) if any(bad) else None
