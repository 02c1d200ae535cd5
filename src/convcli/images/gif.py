"""An animated GIF written one frame at a time, so a thousand-frame animation never holds a
thousand frames in memory (Pillow's ``save_all`` keeps every frame until the end).

Every frame shares one global palette and is stored as the rectangle that changed since the
frame before, drawn over it (disposal 1). Pillow's encoder compresses each rectangle (it is
saved as a one-frame GIF); this module only writes the headers around the image data.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

_LOOP_FOREVER = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
_TRAILER = b"\x3b"


def gif_header(width: int, height: int, palette: bytes) -> bytes:
    """The file's start: the screen size, the 256-colour ``palette`` (768 bytes) and looping."""
    if len(palette) != 768:
        raise ValueError("a GIF palette here has 256 RGB colours")
    screen = struct.pack("<HHBBB", width, height, 0xF7, 0, 0)  # global table of 2⁸ colours
    return b"GIF89a" + screen + palette + _LOOP_FOREVER


def gif_frame(
    patch: Image.Image,
    position: tuple[int, int],
    duration_ms: int,
    transparent: int | None = None,
) -> bytes:
    """One frame: the palette image ``patch`` drawn at ``position`` (left, top) over the frame
    before, shown for ``duration_ms`` (GIF counts hundredths of a second); where it holds the
    palette index ``transparent``, the frame before shows through."""
    left, top = position
    encoded = io.BytesIO()
    patch.save(encoded, "GIF", optimize=False, interlace=False)
    data = encoded.getvalue()
    start = _image_descriptor(data)
    delay = max(2, round(duration_ms / 10))
    flags = 0b100 | (transparent is not None)  # disposal 1: keep; bit 0: a transparent index
    control = b"\x21\xf9\x04" + struct.pack("<BHB", flags, delay, transparent or 0) + b"\x00"
    descriptor = b"\x2c" + struct.pack("<HH", left, top) + data[start + 5 : start + 10]
    return control + descriptor + data[start + 10 : -1]


def gif_trailer() -> bytes:
    return _TRAILER


def _image_descriptor(data: bytes) -> int:
    """Where the image descriptor of a one-frame GIF starts, past its palette and extensions."""
    flags = data[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while data[position] == 0x21:  # an extension block: label, then sub-blocks up to a 0
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    if data[position] != 0x2C or data[position + 9] & 0x80:
        raise ValueError("unexpected GIF layout from the encoder")  # no local palette expected
    return position
