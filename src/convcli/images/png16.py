"""A small 16-bit PNG codec (gray, gray+alpha, RGB, RGBA), in NumPy and zlib only.

Why it exists: Pillow reads 16-bit RGB(A) and gray+alpha PNGs as 8 bits and cannot write them,
and convcli promises that 16-bit stays 16-bit. Only bit depth 16 is handled; everything else
goes through Pillow.

Decoding is vectorised. Filters None, Sub and Up need no per-pixel work (Sub is a cumulative sum
per byte lane, runs of Up rows a cumulative sum down the columns). Average and Paeth need the
reconstructed left neighbour, so rows from the first to the last such row are reconstructed as an
anti-diagonal wavefront: every pixel with ``row + column == t`` depends only on diagonals ``t - 1``
and ``t - 2``, so step ``t`` handles a whole diagonal at once, each row with its own filter. In a
buffer padded with one zero column on the left, a diagonal is a plain slice with step ``width``
of the flat pixel array, so no gathering or copying of the image is needed.

Encoding is convcli.images.pngwrite's, which handles 8 and 16 bits alike; ``write_png16`` remains as
the 16-bit entry point.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.errors import ImageReadError
from convcli.images.pngwrite import write_png

__all__ = ["Png16", "is_wide_png", "read_png16", "write_png16"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
_LAYOUTS = {0: "L", 2: "RGB", 4: "LA", 6: "RGBA"}
_COLOUR_TYPES = {layout: colour for colour, layout in _LAYOUTS.items()}
_KNOWN_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
_MAX_DIMENSION = 2**31 - 1
#: An embedded ICC profile larger than this is treated as corrupt (real ones are < 4 MB).
_MAX_ICC_BYTES = 64 * 1024 * 1024
_METRES_PER_INCH = 0.0254
#: (x0, y0, dx, dy) of the seven Adam7 passes.
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)

_Bytes = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Png16:
    """A decoded 16-bit PNG: the pixels plus the metadata convcli carries through a filter."""

    #: (H, W, C) native-endian uint16, C = 1, 3, 2, 4 for "L", "RGB", "LA", "RGBA".
    pixels: npt.NDArray[np.uint16]
    layout: str
    #: The decompressed iCCP profile, if any.
    icc_profile: bytes | None
    #: Dots per inch from pHYs, only when its unit is the metre.
    dpi: tuple[float, float] | None


def is_wide_png(header: bytes) -> bool:
    """True if these leading bytes (>= 33) are a PNG whose IHDR says bit depth 16 and colour type
    0, 2, 4 or 6: the PNGs Pillow would truncate or cannot write, so the caller routes them here."""
    return (
        len(header) >= 33
        and header[:8] == _SIGNATURE
        and header[8:16] == b"\x00\x00\x00\x0dIHDR"
        and header[24] == 16
        and header[25] in _CHANNELS
    )


def read_png16(data: bytes, *, max_pixels: int) -> Png16:
    """Decode a 16-bit PNG (colour types 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA; non-interlaced and
    Adam7-interlaced). Anything malformed raises ImageReadError; ``max_pixels`` is checked from
    the IHDR before anything is decompressed, and decompression stops one byte past the size the
    IHDR implies, so a zip bomb cannot allocate more than that."""
    view = memoryview(data).cast("B")
    if len(view) < 8 or bytes(view[:8]) != _SIGNATURE:
        raise ImageReadError("not a PNG file (bad signature)")
    header: tuple[int, int, int, int] | None = None
    idat: list[memoryview] = []
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    seen_iccp = seen_phys = False
    for kind, body in _chunks(view):
        if header is None:
            if kind != b"IHDR":
                raise ImageReadError("PNG is corrupt: the first chunk is not IHDR")
            header = _parse_ihdr(body, max_pixels)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break  # _chunks raises if the file ends before IEND
        elif kind == b"IHDR":
            raise ImageReadError("PNG is corrupt: more than one IHDR chunk")
        elif kind == b"iCCP" and not seen_iccp:
            seen_iccp = True
            icc_profile = _parse_iccp(body)
        elif kind == b"pHYs" and not seen_phys:
            seen_phys = True
            dpi = _parse_phys(body)
        elif kind not in _KNOWN_CRITICAL and (kind[0] & 0x20) == 0:
            name = kind.decode("latin-1")
            raise ImageReadError(f"PNG has an unknown critical chunk {name!r}")
    if header is None:
        raise ImageReadError("PNG is truncated: no IHDR chunk")
    if not idat:
        raise ImageReadError("PNG has no image data (no IDAT chunk)")
    width, height, colour, interlace = header
    channels = _CHANNELS[colour]
    bpp = 2 * channels
    if interlace:
        passes = [(x0, y0, dx, dy) for x0, y0, dx, dy in _ADAM7 if x0 < width and y0 < height]
        sizes = [(-(-(height - y0) // dy), -(-(width - x0) // dx)) for x0, y0, dx, dy in passes]
    else:
        passes, sizes = [(0, 0, 1, 1)], [(height, width)]
    expected = sum(h * (1 + w * bpp) for h, w in sizes)
    raw = _inflate(b"".join(idat), expected)
    del idat
    if interlace:
        image = np.empty((height, width, bpp), dtype=np.uint8)
        offset = 0
        for (x0, y0, dx, dy), (h, w) in zip(passes, sizes, strict=True):
            size = h * (1 + w * bpp)
            image[y0::dy, x0::dx] = _unfilter(raw[offset : offset + size].reshape(h, -1), bpp)
            offset += size
    else:
        image = _unfilter(raw.reshape(height, -1), bpp)
    del raw
    pixels = image.view(">u2").astype(np.uint16)
    return Png16(pixels, _LAYOUTS[colour], icc_profile, dpi)


def write_png16(
    pixels: npt.NDArray[np.uint16],
    layout: str,
    *,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    compress_level: int = 6,
) -> bytes:
    """Encode (H, W, C) uint16 pixels as a 16-bit PNG with the colour type for ``layout``
    ("L", "LA", "RGB", "RGBA"), through images.pngwrite (adaptive filters, parallel deflate).
    This only insists on 16 bits; ``compress_level`` -1 is zlib's default, 6."""
    if layout not in _COLOUR_TYPES:
        raise ValueError(f"layout must be one of L, LA, RGB, RGBA, not {layout!r}")
    if not isinstance(pixels, np.ndarray) or pixels.dtype.kind != "u" or pixels.itemsize != 2:
        what = pixels.dtype if isinstance(pixels, np.ndarray) else type(pixels).__name__
        raise ValueError(f"a 16-bit PNG needs uint16 pixels, not {what}")
    level = 6 if compress_level == -1 else compress_level
    return write_png(pixels, layout, icc_profile=icc_profile, dpi=dpi, compress_level=level)


# -- reading ----------------------------------------------------------------------------------


def _chunks(view: memoryview) -> Iterator[tuple[bytes, memoryview]]:
    """Split the file into (type, body) pairs up to IEND, checking lengths and CRCs.

    A bad CRC on a critical chunk, or on iCCP/pHYs whose contents we use, is an error; other
    ancillary chunks with bad CRCs are dropped, as libpng does."""
    pos = 8
    while True:
        if pos + 8 > len(view):
            if pos == 8:
                raise ImageReadError("PNG is truncated: no IHDR chunk")
            raise ImageReadError("PNG is truncated (a chunk header is cut off)")
        (length,) = struct.unpack_from(">I", view, pos)
        kind = bytes(view[pos + 4 : pos + 8])
        if length > _MAX_DIMENSION or not all(65 <= c <= 90 or 97 <= c <= 122 for c in kind):
            raise ImageReadError("PNG is corrupt (a chunk header is invalid)")
        end = pos + 8 + length
        if end + 4 > len(view):
            name = kind.decode("latin-1")
            raise ImageReadError(f"PNG is truncated (the {name} chunk is cut off)")
        body = view[pos + 8 : end]
        (crc,) = struct.unpack_from(">I", view, end)
        if zlib.crc32(view[pos + 4 : end]) != crc:
            critical = (kind[0] & 0x20) == 0
            if critical or kind in (b"iCCP", b"pHYs"):
                name = kind.decode("latin-1")
                raise ImageReadError(f"PNG is corrupt (CRC mismatch in the {name} chunk)")
        else:
            yield kind, body
        pos = end + 4
        if kind == b"IEND":
            return


def _parse_ihdr(body: memoryview, max_pixels: int) -> tuple[int, int, int, int]:
    """Width, height, colour type and interlace method, refusing anything this codec can't
    decode and any image above ``max_pixels`` before a byte of it is decompressed."""
    if len(body) != 13:
        raise ImageReadError("PNG is corrupt (IHDR has the wrong length)")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if width == 0 or height == 0 or width > _MAX_DIMENSION or height > _MAX_DIMENSION:
        raise ImageReadError(f"PNG is corrupt (its size is {width}×{height})")
    if depth != 16 or colour not in _CHANNELS:
        raise ImageReadError(
            f"not a 16-bit gray/RGB PNG (bit depth {depth}, colour type {colour}); "
            "this decoder only reads 16-bit PNGs of colour type 0, 2, 4 or 6"
        )
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise ImageReadError(
            f"PNG uses an unknown compression, filter or interlace method "
            f"({compression}, {filtering}, {interlace})"
        )
    if width * height > max_pixels:
        raise ImageReadError(
            f"{width}×{height} is {width * height:,} pixels, above the limit of {max_pixels:,} "
            "(a guard against decompression bombs)"
        )
    return width, height, colour, interlace


def _inflate(compressed: bytes, expected: int) -> _Bytes:
    """Decompress exactly ``expected`` bytes, allocating at most one byte more whatever the
    stream claims; a stream that is short, long, truncated or corrupt is an error."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, expected + 1)
        if len(raw) == expected and not inflater.eof:
            # Data may remain (too long) or the stream may lack its end (truncated).
            if inflater.decompress(inflater.unconsumed_tail, 1):
                raw += b"\0"
    except zlib.error as exc:
        raise ImageReadError(f"PNG image data is corrupt ({exc})") from None
    if len(raw) > expected:
        raise ImageReadError("PNG image data is corrupt (more data than the IHDR size implies)")
    if len(raw) < expected or not inflater.eof:
        raise ImageReadError("PNG image data is truncated (the zlib stream ends early)")
    return np.frombuffer(raw, dtype=np.uint8)


def _parse_iccp(body: memoryview) -> bytes:
    """The decompressed profile from an iCCP chunk (name, NUL, method 0, zlib stream)."""
    data = bytes(body)
    nul = data.find(b"\0", 0, 81)
    if nul < 1 or len(data) < nul + 2 or data[nul + 1] != 0:
        raise ImageReadError("PNG is corrupt (the iCCP chunk is malformed)")
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(data[nul + 2 :], _MAX_ICC_BYTES + 1)
    except zlib.error as exc:
        raise ImageReadError(
            f"PNG is corrupt (the ICC profile cannot be decompressed: {exc})"
        ) from None
    if len(profile) > _MAX_ICC_BYTES:
        raise ImageReadError("PNG is corrupt (the ICC profile is implausibly large)")
    if not inflater.eof:
        raise ImageReadError("PNG is corrupt (the ICC profile is truncated)")
    return profile


def _parse_phys(body: memoryview) -> tuple[float, float] | None:
    """Dots per inch when pHYs gives pixels per metre; None for unit 0 (aspect ratio only)."""
    if len(body) != 9:
        raise ImageReadError("PNG is corrupt (the pHYs chunk has the wrong length)")
    x, y, unit = struct.unpack(">IIB", body)
    if unit != 1 or x == 0 or y == 0:
        return None
    return (x * _METRES_PER_INCH, y * _METRES_PER_INCH)


def _unfilter(scanlines: _Bytes, bpp: int) -> _Bytes:
    """Reverse the PNG filters of ``scanlines`` (H, 1 + W * bpp), returning (H, W, bpp) bytes.

    The result is a view into a buffer with a zero row on top and a zero column on the left,
    which the wavefront needs and which saves copying the image again. Rows before the first
    Average/Paeth row and after the last one take the fast path; the rows in between go
    through the wavefront."""
    height = scanlines.shape[0]
    width = (scanlines.shape[1] - 1) // bpp
    ftypes = scanlines[:, 0]
    if int(ftypes.max()) > 4:
        row = int(np.argmax(ftypes > 4))
        raise ImageReadError(f"PNG is corrupt (unknown filter type {ftypes[row]} in row {row})")
    padded = np.zeros((height + 1, width + 1, bpp), dtype=np.uint8)
    image = padded[1:, 1:]
    image[...] = scanlines[:, 1:].reshape(height, width, bpp)
    slow = np.flatnonzero(ftypes >= 3)
    if slow.size == 0:
        _unfilter_fast(image, ftypes, None)
        return image
    first, last = int(slow[0]), int(slow[-1]) + 1
    if first:
        _unfilter_fast(image[:first], ftypes[:first], None)
    _unfilter_wavefront(padded[first : last + 1], ftypes[first:last])
    if last < height:
        _unfilter_fast(image[last:], ftypes[last:], image[last - 1])
    return image


def _unfilter_fast(image: _Bytes, ftypes: _Bytes, prior: _Bytes | None) -> None:
    """Undo None/Sub/Up in place on (H, W, bpp) bytes. Sub rows are cumulative sums along each
    byte lane; each run of Up rows is a cumulative sum down the columns from the row before it."""
    sub = np.flatnonzero(ftypes == 1)
    if sub.size:
        image[sub] = np.cumsum(image[sub], axis=1, dtype=np.uint8)
    is_up = ftypes == 2
    if not is_up.any():
        return
    # Rows that are not Up are final and anchor the Up rows after them: Up row r with anchor a
    # is C[r] - C[a - 1], C being the running sum down the columns. Up rows before any anchor
    # are anchored on ``prior``, which becomes row 0 of the stack (or on zeros: C[r] alone).
    if prior is not None:
        stack = np.concatenate([prior[None], image])
        is_up = np.concatenate([[False], is_up])
    else:
        stack = image
    total = np.cumsum(stack, axis=0, dtype=np.uint8)
    anchor = np.maximum.accumulate(np.where(is_up, -1, np.arange(len(stack))))
    up_rows = np.flatnonzero(is_up)
    before = anchor[up_rows] - 1
    result = total[up_rows]
    has_base = before >= 0
    result[has_base] -= total[before[has_base]]
    image[up_rows - (0 if prior is None else 1)] = result


def _unfilter_wavefront(padded: _Bytes, ftypes: _Bytes) -> None:
    """Undo any mix of the five filters in place, one anti-diagonal of pixels per step.

    ``padded`` is (H + 1, W + 1, bpp): the prior row (or zeros) on top, a zero column on the
    left, the filtered rows below. Flattened to pixels, image pixel (r, x) sits at
    ``(r + 1) * (W + 1) + x + 1 = r * W + (W + 2 + t)`` with ``t = r + x``: along a diagonal the
    index moves by W per row, so a diagonal and its left, up and up-left neighbours (indices
    1, W + 1 and W + 2 before it) are all slices with step W of the flat array."""
    height, width = padded.shape[0] - 1, padded.shape[1] - 1
    flat = padded.reshape(-1, padded.shape[2])  # a view: padded is a slice of rows of a C array
    kinds = sorted(int(k) for k in np.unique(ftypes))
    single = kinds[0] if len(kinds) == 1 else None
    masks = [(k, ftypes[:, None] == k) for k in kinds]
    for t in range(height + width - 1):
        lo = max(0, t - width + 1)
        hi = min(height - 1, t)
        start = lo * width + width + 2 + t
        stop = start + (hi - lo) * width + 1
        cur = flat[start:stop:width]
        a = flat[start - 1 : stop - 1 : width].astype(np.int16)
        b = flat[start - width - 1 : stop - width - 1 : width].astype(np.int16)
        if single == 3:
            pred = (a + b) >> 1
        else:
            c = flat[start - width - 2 : stop - width - 2 : width].astype(np.int16)
            if single == 4:
                pred = _paeth(a, b, c)
            else:
                chosen = [mask[lo : hi + 1] for _, mask in masks]
                pred = np.select(chosen, [_predict(k, a, b, c) for k, _ in masks])
        np.add(cur, pred.astype(np.uint8), out=cur)


def _paeth(
    a: npt.NDArray[np.int16], b: npt.NDArray[np.int16], c: npt.NDArray[np.int16]
) -> npt.NDArray[np.int16]:
    """The Paeth predictor: whichever of left, up, up-left is closest to left + up - up-left,
    ties going to left, then up."""
    da = a - c  # p - b
    db = b - c  # p - a
    pa = np.abs(db)
    pb = np.abs(da)
    pc = np.abs(da + db)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _predict(
    kind: int, a: npt.NDArray[np.int16], b: npt.NDArray[np.int16], c: npt.NDArray[np.int16]
) -> npt.NDArray[np.int16]:
    """What filter ``kind`` adds back to each byte, given its left, up and up-left bytes."""
    if kind == 0:
        return np.zeros_like(a)
    if kind == 1:
        return a
    if kind == 2:
        return b
    if kind == 3:
        return (a + b) >> 1
    return _paeth(a, b, c)
