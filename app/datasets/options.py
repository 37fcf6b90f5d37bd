"""Upload options as sent in a form (strings), checked and turned into `Options`."""

from __future__ import annotations

import re

from app.datasets.base import DatasetError, Options

_SIZE = re.compile(r"^\s*(\d+)\s*[,xX]\s*(\d+)\s*(?:[,xX]\s*(\d+)\s*)?$")
MAX_SIDE = 1024


def parse_size(text: str) -> tuple[int, ...]:
    match = _SIZE.match(text)
    dims = tuple(int(d) for d in match.groups() if d is not None) if match else ()
    if not dims or not all(1 <= d <= MAX_SIDE for d in dims):
        raise DatasetError(
            f"Expected image_size as height,width (e.g. 28,28), each 1 to {MAX_SIDE}. "
            f"Received: image_size={text!r}.",
            field="image_size",
        )
    return dims


def parse_options(
    image_size: str | None, color_mode: str | None, label_column: str, class_names: str | None
) -> Options:
    size = parse_size(image_size) if image_size else None
    if color_mode is not None and color_mode not in ("grayscale", "rgb"):
        raise DatasetError(
            f"Expected color_mode 'grayscale' or 'rgb'. Received: color_mode={color_mode!r}.",
            field="color_mode",
        )
    names = [n.strip() for n in class_names.split(",")] if class_names else None
    if names is not None and (any(not n for n in names) or len(set(names)) != len(names)):
        raise DatasetError(
            f"Expected distinct, non-empty class names separated by commas. "
            f"Received: class_names={class_names!r}.",
            field="class_names",
        )
    return Options(
        image_size=(size[0], size[1]) if size else None,
        color_mode=color_mode,
        label_column=label_column,
        image_shape=size,  # a CSV row is an image of this shape (28,28 or 28,28,1)
        class_names=names,
    )
