"""Parts of a picture for people and pipelines: one channel, a region, values as text or JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.errors import UsageError
from convcli.images.picture import Picture

Box = tuple[int, int, int, int]  #: x, y, width, height


def choose_channel(picture: Picture, channel: str | None) -> int:
    """The index of ``channel`` (a letter of the layout, or a number); the first by default."""
    if channel is None:
        return 0
    key = channel.strip().upper()
    if key.isdigit() and int(key) < len(picture.layout):
        return int(key)
    if len(key) == 1 and key in picture.layout:
        return picture.layout.index(key)
    choices = ", ".join(picture.layout) + f" or 0–{len(picture.layout) - 1}"
    raise UsageError(f"`channel` {channel!r}: this image has channels {picture.layout} ({choices})")


def crop(values: npt.NDArray[Any], box: Box) -> tuple[Box, bool]:
    """``box`` cut to the image, and whether it had to be cut; outside entirely is an error."""
    x, y, width, height = box
    rows, cols = values.shape[:2]
    if x >= cols or y >= rows:
        raise UsageError(f"`region` {x},{y},{width},{height} lies outside the {cols}×{rows} image")
    fitted = (x, y, min(width, cols - x), min(height, rows - y))
    return fitted, fitted != box


def fitting_region(values: npt.NDArray[Any], columns: int, rows: int) -> Box:
    """The top-left corner of ``values`` that fits a terminal of ``columns`` × ``rows``."""
    sample = values[: min(rows, values.shape[0]), : min(64, values.shape[1])]
    widest = max(len(short_number(v)) for v in sample.ravel())
    cell = max(widest, len(str(values.shape[1] - 1))) + 1
    index = len(str(values.shape[0])) + 1
    fit_columns = max(1, (columns - index) // cell)
    return 0, 0, min(fit_columns, values.shape[1]), min(max(rows, 1), values.shape[0])


def encode_values(
    picture: Picture, channel: str | None, box: Box | None, fmt: str
) -> tuple[bytes, bool]:
    """The values of ``box`` (the whole picture by default) as csv, txt, json or npy bytes.

    csv and txt hold one channel (``channel``, the first by default); json and npy hold all
    channels unless one is chosen.
    """
    cut = False
    pixels = picture.pixels
    if box is not None:
        (x, y, width, height), cut = crop(pixels, box)
        pixels = pixels[y : y + height, x : x + width]
    if channel is not None or fmt in ("csv", "txt"):
        index = choose_channel(picture, channel)
        pixels = pixels[:, :, index : index + 1]
    if fmt == "npy":
        stream = io.BytesIO()
        np.save(stream, pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, allow_pickle=False)
        return stream.getvalue(), cut
    if fmt == "json":
        document = {
            "width": int(pixels.shape[1]),
            "height": int(pixels.shape[0]),
            "channels": picture.layout if channel is None else picture.layout[index],
            "depth": picture.depth_name,
            "values": pixels.tolist() if pixels.shape[2] > 1 else pixels[:, :, 0].tolist(),
        }
        return (json.dumps(document) + "\n").encode(), cut
    separator = "," if fmt == "csv" else " "
    lines = (separator.join(_text(v) for v in row) for row in pixels[:, :, 0])
    return ("\n".join(lines) + "\n").encode(), cut


def short_number(value: Any) -> str:
    """For people: whole numbers as they are, others to 4 significant digits; noise below
    1e-12 (sums such as 1e-17) reads as 0."""
    number = float(value)
    if abs(number) < 1e-12:
        number = 0.0
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.4g}"


def _text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.9g}"
