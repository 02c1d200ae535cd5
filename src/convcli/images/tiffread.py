"""Plain TIFF read straight into NumPy: one image of uncompressed strips, as convcli writes it.

Pillow reads such a file through its TIFF plugin (15-25 ms to import), into its own image
(4 KiB pages, each faulted in on first write), then packs it out again; here the strips are
read into the array itself. Measured on a 3840×2160 RGB file: 0.12 s → 0.015 s in a new
process, and a TIFF in → TIFF out run imports no Pillow at all.

Only what gives the same samples and metadata as Pillow's reading is taken: one directory,
uncompressed chunky strips, fill order 1, upright, and L, LA or RGB(A) in 8 bits, or L in 16
bits or float32, either byte order. Anything else, and anything inconsistent (strips past the
end of the file, sizes that do not add up), is left to Pillow, which reads it or says why not.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

#: (photometric, samples per pixel, extra samples) → layout; 2 in ExtraSamples is unassociated
#: alpha, the only alpha Pillow hands over unchanged.
_LAYOUTS = {
    (1, 1, ()): "L",
    (1, 2, (2,)): "LA",
    (2, 3, ()): "RGB",
    (2, 4, (2,)): "RGBA",
    (5, 4, ()): "CMYK",
}
#: (bits, sample format) → sample kind; wider samples only for one channel, as Pillow has.
_SAMPLES = {(8, 1): "u1", (16, 1): "u2", (32, 3): "f4"}
#: The mode Pillow reports for one-channel pictures of wider samples, by byte order.
_WIDE_MODES = {("<", "u2"): "I;16", (">", "u2"): "I;16B", ("<", "f4"): "F", (">", "f4"): "F"}
#: The byte size of each of TIFF's field types (BigTIFF's too, as Pillow knows them).
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_TYPE_SIZES |= {16: 8, 17: 8, 18: 8}
_TYPE_CODES = {3: "H", 4: "I"}  # the numbers read here are SHORTs or LONGs, as Pillow takes them
#: The tags whose values are read: sizes, sample layout, strips, resolution, ICC profile.
_READ = frozenset(
    (256, 257, 258, 259, 262, 266, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 338, 339)
) | {34675}
_MANY_ROWS = 2**32 - 1  # RowsPerStrip's default: the whole image in one strip


@dataclass(frozen=True)
class PlainTiff:
    """A plain TIFF's directory: enough to check the picture's size, then read its samples."""

    width: int
    height: int
    layout: str
    #: The mode Pillow would report (``RGB``, ``I;16`` ...), kept as the picture's source mode.
    mode: str
    dtype: np.dtype[Any]
    strips: tuple[tuple[int, int], ...]  # (offset, byte count), top to bottom
    icc_profile: bytes | None
    dpi: tuple[float, float] | None

    def read(self, source: bytes | Path) -> npt.NDArray[Any]:
        """The samples as (H, W, C), in native byte order."""
        flat = _strip_bytes(source, self.strips)
        samples = flat.view(self.dtype).reshape(self.height, self.width, len(self.layout))
        return samples if samples.dtype.isnative else samples.astype(samples.dtype.newbyteorder())


def plain_tiff(source: bytes | Path) -> PlainTiff | None:
    """The directory of ``source`` if it is a plain TIFF this module reads, else None.

    Raises OSError if the file cannot be read."""
    if isinstance(source, bytes):
        return _parse(_from_bytes(source), len(source))
    with source.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        return _parse(_from_stream(stream, size), size)


_Fetch = Callable[[int, int], bytes]
_Tags = dict[int, tuple[int, int, bytes]]  # tag → (field type, count, value bytes)


class _NotPlain(Exception):
    """The file is not one this module reads: Pillow's turn."""


def _from_bytes(data: bytes) -> _Fetch:
    def fetch(offset: int, length: int) -> bytes:
        if offset < 0 or offset + length > len(data):
            raise _NotPlain
        return data[offset : offset + length]

    return fetch


def _from_stream(stream: Any, size: int) -> _Fetch:
    def fetch(offset: int, length: int) -> bytes:
        if offset < 0 or offset + length > size:
            raise _NotPlain
        stream.seek(offset)
        data = stream.read(length)
        if len(data) != length:
            raise _NotPlain
        return bytes(data)

    return fetch


def _parse(fetch: _Fetch, size: int) -> PlainTiff | None:
    try:
        return _directory(fetch, size)
    except (_NotPlain, struct.error, ValueError, KeyError, OverflowError):
        return None


def _directory(fetch: _Fetch, size: int) -> PlainTiff | None:
    order = {b"II": "<", b"MM": ">"}.get(fetch(0, 2))
    if order is None or struct.unpack(f"{order}H", fetch(2, 2))[0] != 42:
        return None
    start = struct.unpack(f"{order}I", fetch(4, 4))[0]
    (count,) = struct.unpack(f"{order}H", fetch(start, 2))
    table = fetch(start + 2, 12 * count + 4)
    if struct.unpack(f"{order}I", table[-4:])[0] != 0:
        return None  # more than one image: Pillow counts the frames and says so
    tags: _Tags = {}
    for index in range(count):
        tag, kind, number = struct.unpack(f"{order}HHI", table[12 * index : 12 * index + 8])
        if tag in tags or kind not in _TYPE_SIZES:
            return None
        length = _TYPE_SIZES[kind] * number
        inline = table[12 * index + 8 : 12 * index + 12]
        where = struct.unpack(f"{order}I", inline)[0]
        if length > 4 and where + length > size:
            return None  # Pillow skips such a tag and may lose its place in the directory
        if tag not in _READ:
            tags[tag] = (kind, number, b"")  # only its presence matters here
        else:
            tags[tag] = (kind, number, inline[:length] if length <= 4 else fetch(where, length))
    return _plain(tags, order, size)


def _numbers(
    tags: _Tags, order: str, tag: int, default: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    if tag not in tags:
        if default is None:
            raise _NotPlain
        return default
    kind, number, value = tags[tag]
    if kind not in _TYPE_CODES:
        raise _NotPlain
    return struct.unpack(f"{order}{number}{_TYPE_CODES[kind]}", value)


def _one(tags: _Tags, order: str, tag: int, default: int | None = None) -> int:
    values = _numbers(tags, order, tag, None if default is None else (default,))
    if len(values) != 1:
        raise _NotPlain
    return values[0]


def _plain(tags: _Tags, order: str, size: int) -> PlainTiff | None:
    if {322, 323, 324, 325, 0xBC01} & tags.keys():  # tiles, or what Pillow refuses to read
        return None
    width, height = _one(tags, order, 256), _one(tags, order, 257)
    channels = _one(tags, order, 277, 1)
    flags = [_one(tags, order, tag, 1) for tag in (259, 284, 266, 274, 317)]
    if flags != [1] * 5:
        return None  # compressed, planar, bit-reversed, turned or predicted
    photometric, extra = _one(tags, order, 262), _numbers(tags, order, 338, ())
    layout = _LAYOUTS.get((photometric, channels, extra))
    bits, formats = _numbers(tags, order, 258, (1,)), _numbers(tags, order, 339, (1,))
    if layout is None or not {len(bits), len(formats)} <= {1, channels}:
        return None  # Pillow takes one value for all channels, or one per channel
    if len(set(bits)) != 1 or len(set(formats)) != 1:
        return None
    kind = _SAMPLES.get((bits[0], formats[0]))
    if kind is None or (kind != "u1" and channels != 1) or not width or not height:
        return None
    dtype = np.dtype(f"{order}{kind}")
    row = width * channels * dtype.itemsize
    rows = min(_one(tags, order, 278, _MANY_ROWS), height)
    offsets, counts = _numbers(tags, order, 273), _numbers(tags, order, 279)
    if not rows or len(offsets) != math.ceil(height / rows) or len(counts) != len(offsets):
        return None
    for index, (offset, count) in enumerate(zip(offsets, counts, strict=True)):
        if count != min(rows, height - index * rows) * row or offset + count > size:
            return None
    return PlainTiff(
        width=width,
        height=height,
        layout=layout,
        mode=_WIDE_MODES.get((order, kind), layout),
        dtype=dtype,
        strips=tuple(zip(offsets, counts, strict=True)),
        icc_profile=_icc_profile(tags),
        dpi=_dpi(tags, order),
    )


def _icc_profile(tags: _Tags) -> bytes | None:
    if 34675 not in tags:
        return None
    kind, _, value = tags[34675]
    if kind != 7:
        raise _NotPlain  # Pillow's reading of other field types is not copied here
    return value or None


def _dpi(tags: _Tags, order: str) -> tuple[float, float] | None:
    """The resolution as Pillow reports it, for a file that names its unit: per inch, or per
    centimetre times 2.54; no unit at all, or a relative one, gives none."""
    if 296 not in tags:
        return None
    unit = _one(tags, order, 296)
    if unit not in (2, 3):
        return None
    values = []
    for tag in (282, 283):
        kind, number, value = tags.get(tag, (5, 1, struct.pack(f"{order}II", 1, 1)))
        if kind != 5 or number != 1:
            raise _NotPlain
        numerator, denominator = struct.unpack(f"{order}II", value)
        values.append(numerator / denominator * (2.54 if unit == 3 else 1) if denominator else 0)
    x, y = values
    return (x, y) if x > 0 and y > 0 else None


def _strip_bytes(source: bytes | Path, strips: tuple[tuple[int, int], ...]) -> npt.NDArray[Any]:
    """The strips' bytes end to end: a view of ``source`` when they lie so in memory already."""
    total = sum(count for _, count in strips)
    first = strips[0][0]
    contiguous = all(a[0] + a[1] == b[0] for a, b in zip(strips, strips[1:], strict=False))
    if isinstance(source, bytes) and contiguous:
        return np.frombuffer(source, dtype=np.uint8, count=total, offset=first)
    flat = np.empty(total, dtype=np.uint8)
    if isinstance(source, bytes):
        done = 0
        for offset, count in strips:
            flat[done : done + count] = np.frombuffer(source, np.uint8, count, offset)
            done += count
        return flat
    with source.open("rb") as stream:
        runs = [(first, total)] if contiguous else list(strips)
        done = 0
        for offset, count in runs:
            stream.seek(offset)
            if stream.readinto(flat.data[done : done + count]) != count:
                raise OSError("the file got shorter while it was read")
            done += count
    return flat
