"""A fast PNG encoder (8 and 16 bits; gray, gray+alpha, RGB, RGBA) in NumPy and zlib only.

Why it exists: PNG encoding dominates convcli's batch throughput, and Pillow's encoder runs on
one core, with a filter heuristic written per byte in C. Two facts make a faster one possible
in Python:

* Filtering, unlike unfiltering, has no sequential dependency: every filter of a row reads only
  the unfiltered row and the unfiltered row above it. So NumPy computes all five filters for a
  block of rows at once, and the adaptive choice (libpng's heuristic: least sum of the filtered
  bytes read as signed) for all its rows at once. Paeth is done in uint8 arithmetic (see
  ``_paeth_into``), and every operation writes into preallocated buffers: NumPy temporaries of
  this size would cost more in page faults than the arithmetic itself.
* Deflate can be split the way pigz does it: the filtered stream is cut into pieces, each
  compressed on its own as raw deflate primed with the 32 KiB before it (so nearly nothing is lost
  at the seams), every piece but the last ending on a sync flush (a byte boundary, no final
  block). Behind a zlib header and the Adler-32 of the whole stream, the concatenation is one
  valid zlib stream. zlib releases the GIL, so the pieces compress in parallel in threads,
  each handed over as soon as the calling thread has filtered its rows. The pieces depend only
  on the stream's size, never on the thread count, so the output is byte-identical for any
  number of threads.
"""

from __future__ import annotations

import math
import numbers
import os
import struct
import zlib
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

__all__ = ["FILTER_STRATEGIES", "LAYOUTS", "write_png"]

#: Channels for each layout, and the PNG colour type it is written as.
LAYOUTS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_COLOUR_TYPES = {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6}
#: How deflate looks for repeats: LZ77 ("default"), run lengths ("rle"), or the better on the
#: first piece ("auto").
ZLIB_STRATEGIES = ("auto", "default", "rle")
#: How much of the stream "auto" compresses both ways to choose.
_SAMPLE_BYTES = 16 * 1024
#: Filter strategy names; the fixed ones map to their PNG filter type.
_FIXED_FILTERS = {"none": 0, "sub": 1, "up": 2, "average": 3, "paeth": 4}
FILTER_STRATEGIES = (*_FIXED_FILTERS, "adaptive")

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_DIMENSION = 2**31 - 1
_METRES_PER_INCH = 0.0254
#: Most bytes of the filtered stream per deflate piece (whole rows). Small enough that a
#: 512×512 RGB image still makes four pieces for the threads to share, large enough that the
#: per-piece cost (a fresh compressor primed with its dictionary, a 5-byte sync marker, new
#: Huffman tables) is lost in the noise: 128 KiB to 1 MiB pieces give the same size to 0.05%.
#: Each piece becomes one IDAT chunk, so this also keeps IDATs well under 1 MiB.
_PIECE_BYTES = 256 * 1024
#: Deflate's window: each piece is primed with this much of the stream before it.
_WINDOW = 32 * 1024
#: Target bytes of unfiltered rows per filtering block, so that the block and its ~15 scratch
#: buffers stay in a core's L2 cache.
_BLOCK_BYTES = 64 * 1024
_ADLER_BASE = 65521

_Bytes = npt.NDArray[np.uint8]
_Piece = tuple[bytes, int, int]  #: deflated bytes, Adler-32 of the input, IDAT CRC so far


def write_png(pixels: npt.NDArray[np.unsignedinteger], layout: str, **options: Any) -> bytes:
    """Encode (H, W, C) uint8 or uint16 pixels as PNG bytes; see :func:`png_parts`."""
    return b"".join(png_parts(pixels, layout, **options))


def png_parts(
    pixels: npt.NDArray[np.unsignedinteger],
    layout: str,
    *,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    compress_level: int = 6,
    filter_strategy: str = "adaptive",
    zlib_strategy: str = "auto",
    threads: int | None = None,
    text: dict[str, str] | None = None,
) -> list[bytes]:
    """Encode (H, W, C) uint8 or uint16 pixels as PNG. layout: "L", "LA", "RGB", "RGBA".

    The bit depth follows the dtype (any byte order). ``icc_profile`` goes into an iCCP chunk
    (an empty profile is left out, as Pillow does), ``dpi`` into pHYs in pixels per metre, and
    each ``text`` entry into a tEXt chunk; entries that tEXt cannot hold (not Latin-1, a bad
    keyword, a NUL in the value) are skipped. ``compress_level`` is zlib's, 0 (stored) to 9.
    ``filter_strategy`` is "none", "sub", "up", "average", "paeth" for one filter on every row,
    or "adaptive" for libpng's per-row choice. ``threads`` defaults to the usable cores; pass 1
    when the caller already runs one encode per core (the output is the same either way)."""
    array, depth = _checked_pixels(pixels, layout)
    if isinstance(compress_level, bool) or not isinstance(compress_level, int):
        raise ValueError(f"compress_level must be an integer from 0 to 9, not {compress_level!r}")
    if not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be an integer from 0 to 9, not {compress_level!r}")
    if zlib_strategy not in ZLIB_STRATEGIES:
        names = ", ".join(ZLIB_STRATEGIES)
        raise ValueError(f"zlib_strategy must be one of {names}, not {zlib_strategy!r}")
    if filter_strategy not in FILTER_STRATEGIES:
        names = ", ".join(FILTER_STRATEGIES)
        raise ValueError(f"filter_strategy must be one of {names}, not {filter_strategy!r}")
    workers = _usable_cores() if threads is None else threads
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"threads must be a positive integer or None, not {threads!r}")
    if icc_profile is not None and not isinstance(icc_profile, bytes | bytearray | memoryview):
        raise ValueError(f"icc_profile must be bytes, not {type(icc_profile).__name__}")
    metadata = [_chunk(b"IHDR", _ihdr(array, depth, layout))]
    if icc_profile:
        profile = zlib.compress(bytes(icc_profile), compress_level)
        metadata.append(_chunk(b"iCCP", b"ICC profile\x00\x00" + profile))
    if dpi is not None:
        metadata.append(_chunk(b"pHYs", _phys(dpi)))
    metadata.extend(_chunk(b"tEXt", body) for body in _text_bodies(text))

    height, width, bpp = array.shape
    raw = array.reshape(height, width * bpp)
    del array
    pieces = -(-height // max(1, _PIECE_BYTES // (1 + width * bpp)))
    workers = min(workers, pieces)
    settings = _Deflate(compress_level, zlib_strategy)
    if workers == 1:
        idat = _encode(raw, bpp, filter_strategy, settings, None, window=1)
    else:
        from concurrent.futures import ThreadPoolExecutor  # not loaded for JPEG or TIFF runs

        with ThreadPoolExecutor(workers, thread_name_prefix="pngwrite") as pool:
            idat = _encode(raw, bpp, filter_strategy, settings, pool, window=2 * workers)
    return [_SIGNATURE, *metadata, *idat, _chunk(b"IEND", b"")]


# -- arguments and metadata -------------------------------------------------------------------


def _checked_pixels(pixels: object, layout: str) -> tuple[_Bytes, int]:
    """The pixels as a C-contiguous array of big-endian samples viewed as bytes, shaped
    (H, W, bytes per pixel), and the bit depth; ValueError for anything PNG cannot hold."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of L, LA, RGB, RGBA, not {layout!r}")
    if not isinstance(pixels, np.ndarray):
        raise ValueError(f"pixels must be a NumPy array, not {type(pixels).__name__}")
    if pixels.dtype.kind != "u" or pixels.dtype.itemsize not in (1, 2):
        raise ValueError(f"pixels must be uint8 or uint16, not {pixels.dtype}")
    if pixels.ndim != 3 or pixels.shape[2] != LAYOUTS[layout]:
        raise ValueError(
            f"pixels of shape {pixels.shape} do not fit layout {layout!r} "
            f"(expected (height, width, {LAYOUTS[layout]}))"
        )
    height, width = int(pixels.shape[0]), int(pixels.shape[1])
    if not (0 < width <= _MAX_DIMENSION and 0 < height <= _MAX_DIMENSION):
        raise ValueError(f"a PNG cannot be {width}×{height} pixels")
    depth = 8 * pixels.dtype.itemsize
    samples = np.ascontiguousarray(pixels, dtype=">u2" if depth == 16 else np.uint8)
    return samples.view(np.uint8).reshape(height, width, -1), depth


def _usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC of type and body."""
    crc = zlib.crc32(body, zlib.crc32(kind))
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _ihdr(array: _Bytes, depth: int, layout: str) -> bytes:
    """The IHDR body: deflate, adaptive filtering method 0, no interlacing."""
    height, width = array.shape[:2]
    return struct.pack(">IIBBBBB", width, height, depth, _COLOUR_TYPES[layout], 0, 0, 0)


def _phys(dpi: tuple[float, float]) -> bytes:
    """A pHYs body in pixels per metre for ``dpi``, rounded to nearest as Pillow does."""
    values = tuple(dpi) if isinstance(dpi, tuple | list) else ()
    if len(values) != 2 or not all(
        isinstance(d, numbers.Real) and not isinstance(d, bool) for d in values
    ):
        raise ValueError(f"dpi must be two numbers, not {dpi!r}")
    x, y = (float(d) for d in values)
    if not all(math.isfinite(d) and d > 0 for d in (x, y)):
        raise ValueError(f"dpi must be two positive numbers, not {dpi!r}")
    ppm = [int(d / _METRES_PER_INCH + 0.5) for d in (x, y)]
    if not all(0 < p <= _MAX_DIMENSION for p in ppm):
        raise ValueError(f"dpi {dpi!r} cannot be stored in a PNG")
    return struct.pack(">IIB", ppm[0], ppm[1], 1)


def _text_bodies(text: dict[str, str] | None) -> list[bytes]:
    """tEXt bodies for the entries that tEXt can hold: a keyword of 1-79 printable Latin-1
    characters without leading, trailing or doubled spaces, and a Latin-1 value without NUL.
    Other entries are skipped: metadata that cannot be written must not stop the image."""
    if text is None:
        return []
    if not isinstance(text, dict):
        raise ValueError(f"text must be a dict of str to str, not {type(text).__name__}")
    bodies = []
    for key, value in text.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"text keys and values must be str, not {key!r}: {value!r}")
        printable = all(32 <= ord(c) <= 126 or 161 <= ord(c) <= 255 for c in key)
        if not (0 < len(key) < 80 and printable) or key != key.strip(" ") or "  " in key:
            continue
        try:
            encoded = value.encode("latin-1")
        except UnicodeEncodeError:
            continue
        if b"\x00" not in encoded:
            bodies.append(key.encode("latin-1") + b"\x00" + encoded)
    return bodies


# -- the pipeline -----------------------------------------------------------------------------


@dataclass
class _Deflate:
    """zlib settings; "auto" becomes "default" or "rle" once the first piece has been tried."""

    level: int
    strategy: str

    def choose(self, piece: memoryview, last: bool) -> _Piece:
        """Deflate the first piece, having picked the way that deflates its start smaller.

        Run-length matching (Z_RLE) is twice as fast as level 1 and smaller on photographs,
        whose filtered rows are noise-like; on drawings and screenshots, with long repeats,
        LZ77 matching wins by far. The first 16 KiB are a cheap, good enough witness.
        """
        if self.strategy == "auto" and self.level > 0:
            sample = piece[:_SAMPLE_BYTES]
            sizes = {
                "default": len(zlib.compress(sample, self.level, wbits=-15)),
                "rle": len(_rle(sample, self.level)),
            }
            self.strategy = min(sizes, key=lambda name: sizes[name])
        return _deflate_piece(piece, b"", self, True, last)


def _rle(data: memoryview, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_RLE)
    return compressor.compress(data) + compressor.flush()


def _encode(
    raw: _Bytes, bpp: int, strategy: str, deflate: _Deflate, pool: Executor | None, window: int
) -> list[bytes]:
    """Filter ``raw`` (H, W * bpp) into scanlines a piece at a time, deflate each piece, and
    return the IDAT chunks as byte strings, one chunk per piece.

    This thread filters, from the top down, and hands each piece to the pool as soon as its
    rows are filtered, so deflating overlaps filtering; at most ``window`` pieces wait, so
    memory stays at a few pieces however large the image. (Filtering in several threads would
    not pay: its NumPy calls on cache-sized blocks are short, and the threads would mostly wait
    for the GIL.) Without a pool, each piece is deflated here, in turn."""
    height, rowbytes = raw.shape
    per_piece = max(1, _PIECE_BYTES // (1 + rowbytes))  # whole rows: only the shape decides
    per_block = max(1, min(per_piece, _BLOCK_BYTES // rowbytes))
    scratch = _Scratch(per_block, rowbytes, strategy == "adaptive")
    pending: deque[tuple[Future[_Piece] | _Piece, int, bool]] = deque()
    chunks: list[bytes] = []
    adler = 1

    def collect(final: bool) -> None:
        nonlocal adler
        outcome, length, first = pending.popleft()
        data, piece_adler, crc = outcome if isinstance(outcome, tuple) else outcome.result()
        adler = _adler32_combine(adler, piece_adler, length)
        head = _zlib_header(deflate.level) if first else b""
        tail = struct.pack(">I", adler) if final else b""
        crc = zlib.crc32(tail, crc)
        size = struct.pack(">I", len(head) + len(data) + len(tail))
        chunks.extend([size + b"IDAT" + head, data, tail + struct.pack(">I", crc)])

    primer = b""  # the filtered bytes just before the next piece, to prime its deflate
    for top in range(0, height, per_piece):
        bottom = min(height, top + per_piece)
        piece = np.empty((bottom - top, 1 + rowbytes), dtype=np.uint8)
        for start in range(top, bottom, per_block):
            end = min(start + per_block, bottom)
            _filter_rows(raw, piece[start - top : end - top], bpp, strategy, start, end, scratch)
        stream = piece.reshape(-1).data
        last = bottom == height
        outcome: Future[_Piece] | _Piece
        if top == 0:
            outcome = deflate.choose(stream, last)
        else:
            call = (stream, primer, deflate, False, last)
            outcome = pool.submit(_deflate_piece, *call) if pool else _deflate_piece(*call)
        primer = (primer + bytes(stream[-_WINDOW:]))[-_WINDOW:]
        pending.append((outcome, len(stream), top == 0))
        while len(pending) > window:
            collect(final=False)
    while pending:
        collect(final=len(pending) == 1)
    return chunks


def _deflate_piece(
    piece: memoryview, primer: bytes, deflate: _Deflate, first: bool, last: bool
) -> _Piece:
    """Raw deflate of one piece of the stream, primed with the window before it, ending on a sync
    flush (or the final block, for the last piece); the piece's Adler-32; and the CRC so far of
    the IDAT chunk that carries it (with the zlib header in front of the first piece), so that
    no pass over the compressed data is left for the calling thread."""
    level = deflate.level
    strategy = zlib.Z_RLE if deflate.strategy == "rle" else zlib.Z_DEFAULT_STRATEGY
    if primer and level:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy, zdict=primer)
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
    data = compressor.compress(piece)
    data += compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    crc = zlib.crc32(b"IDAT" + (_zlib_header(level) if first else b""))
    return data, zlib.adler32(piece), zlib.crc32(data, crc)


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of A + B from those of A and B and B's length (zlib's adler32_combine).

    Over A + B, s1 is 1 + every byte, so s1(A) + s1(B) - 1; s2 sums s1 after each byte, which for
    B's bytes is larger by s1(A) - 1 than B alone counted it."""
    s1 = (first & 0xFFFF) + (second & 0xFFFF) - 1
    s2 = (first >> 16) + (second >> 16) + second_length * ((first & 0xFFFF) - 1)
    return (s2 % _ADLER_BASE) << 16 | (s1 % _ADLER_BASE)


def _zlib_header(level: int) -> bytes:
    """The two bytes zlib itself writes for ``level``: deflate with a 32 KiB window, FLEVEL as
    zlib sets it (0 fastest, 1 fast, 2 default, 3 maximum), no dictionary, and the check bits."""
    flevel = 0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3
    cmf, flg = 0x78, flevel << 6
    flg |= 31 - (cmf * 256 + flg) % 31
    return bytes([cmf, flg])


# -- filtering --------------------------------------------------------------------------------


def _filter_rows(
    raw: _Bytes, out: _Bytes, bpp: int, strategy: str, start: int, end: int, scratch: _Scratch
) -> None:
    """Filter rows ``start`` to ``end`` of ``raw`` (at most the scratch's rows) into ``out``
    (their scanlines: a filter-type byte, then the filtered row)."""
    cur = raw[start:end]
    if start:
        prior = raw[start - 1 : end - 1]
    else:  # the row above the first is zeros
        prior = scratch.take(0, end, raw.shape[1])
        prior[0] = 0
        prior[1:] = raw[: end - 1]
    if strategy == "adaptive":
        _adaptive_into(out, cur, prior, bpp, scratch)
    else:
        kind = _FIXED_FILTERS[strategy]
        out[:, 0] = kind
        _filter_into(kind, out[:, 1:], cur, prior, bpp, scratch)


class _Scratch:
    """Preallocated buffers for filtering, reused for every block of rows."""

    def __init__(self, rows: int, rowbytes: int, adaptive: bool) -> None:
        size = rows * rowbytes
        #: Slot 0 holds the zero-topped prior rows of the first block; 1-5 are temporaries.
        self.flat = np.empty(6 * size, dtype=np.uint8)
        self.size = size
        self.candidates = np.empty((5, rows, rowbytes) if adaptive else (0,), dtype=np.uint8)
        self.magnitudes = np.empty(self.candidates.shape, dtype=np.uint8)

    def take(self, slot: int, rows: int, columns: int) -> _Bytes:
        """A contiguous (rows, columns) buffer in ``slot``."""
        start = slot * self.size
        return self.flat[start : start + rows * columns].reshape(rows, columns)


def _adaptive_into(out: _Bytes, cur: _Bytes, prior: _Bytes, bpp: int, scratch: _Scratch) -> None:
    """All five filters for a block of rows, then per row the one whose bytes, read as signed,
    have the least sum of magnitudes (libpng's heuristic; ties go to the lower filter type)."""
    rows, rowbytes = cur.shape
    candidates = scratch.candidates[:, :rows]
    magnitudes = scratch.magnitudes[:, :rows]
    for kind in range(5):
        _filter_into(kind, candidates[kind], cur, prior, bpp, scratch)
    # |x| of int8 wraps -128 to -128, which read back as uint8 is 128: exactly libpng's cost.
    np.abs(candidates.view(np.int8), out=magnitudes.view(np.int8))
    total = np.uint32 if rowbytes * 128 < 2**32 else np.uint64
    costs = magnitudes.sum(axis=2, dtype=total)
    choice = costs.argmin(axis=0)
    out[:, 0] = choice
    out[:, 1:] = candidates[choice, np.arange(rows)]


def _filter_into(
    kind: int, dst: _Bytes, cur: _Bytes, prior: _Bytes, bpp: int, scratch: _Scratch
) -> None:
    """Write filter ``kind`` of rows ``cur`` (with ``prior`` the unfiltered rows above) to
    ``dst``. uint8 arithmetic wraps modulo 256, which is exactly what PNG filters do."""
    if kind == 0:
        np.copyto(dst, cur)
    elif kind == 1:
        dst[:, :bpp] = cur[:, :bpp]
        np.subtract(cur[:, bpp:], cur[:, :-bpp], out=dst[:, bpp:])
    elif kind == 2:
        np.subtract(cur, prior, out=dst)
    elif kind == 3:
        # floor((a + b) / 2) without leaving uint8: (a & b) + ((a ^ b) >> 1).
        rows, rowbytes = cur.shape
        half = scratch.take(1, rows, bpp)
        np.right_shift(prior[:, :bpp], 1, out=half)
        np.subtract(cur[:, :bpp], half, out=dst[:, :bpp])
        if rowbytes > bpp:
            a, b = cur[:, :-bpp], prior[:, bpp:]
            both = scratch.take(1, rows, rowbytes - bpp)
            either = scratch.take(2, rows, rowbytes - bpp)
            np.bitwise_and(a, b, out=both)
            np.bitwise_xor(a, b, out=either)
            np.right_shift(either, 1, out=either)
            np.add(both, either, out=both)
            np.subtract(cur[:, bpp:], both, out=dst[:, bpp:])
    else:
        # Left and upper-left are zero in the first pixel, where Paeth predicts the byte above.
        np.subtract(cur[:, :bpp], prior[:, :bpp], out=dst[:, :bpp])
        if cur.shape[1] > bpp:
            _paeth_into(
                dst[:, bpp:], cur[:, bpp:], cur[:, :-bpp], prior[:, bpp:], prior[:, :-bpp], scratch
            )


def _paeth_into(dst: _Bytes, x: _Bytes, a: _Bytes, b: _Bytes, c: _Bytes, scratch: _Scratch) -> None:
    """``x`` minus the Paeth predictor of left ``a``, up ``b``, up-left ``c``, in uint8 only.

    With lo, hi = min(a, b), max(a, b): if c <= lo, Paeth predicts hi; if c >= hi, lo. In
    between, with u = c - lo and v = hi - c, it predicts hi if 2u <= v, lo if 2v <= u, else c
    (the spec's ties, left before up before up-left, give exactly this, as both conditions are
    "<=" and hold together only when lo == c == hi). Clamping c to [lo, hi] first folds the
    outer cases in (u or v becomes 0), so the prediction is c' + v·[2u <= v] - u·[2v <= u]
    with c' the clamped c: fifteen passes of byte arithmetic, no int16, no np.where."""
    rows, columns = x.shape
    lo, hi, clamped, up_mask, down_mask = (scratch.take(s, rows, columns) for s in range(1, 6))
    np.minimum(a, b, out=lo)
    np.maximum(a, b, out=hi)
    np.maximum(c, lo, out=clamped)
    np.minimum(clamped, hi, out=clamped)
    u, v = lo, hi
    np.subtract(clamped, lo, out=u)
    np.subtract(hi, clamped, out=v)
    np.right_shift(v, 1, out=up_mask)
    np.less_equal(u, up_mask, out=up_mask)
    np.multiply(v, up_mask, out=up_mask)
    np.right_shift(u, 1, out=down_mask)
    np.less_equal(v, down_mask, out=down_mask)
    np.multiply(u, down_mask, out=down_mask)
    np.add(clamped, up_mask, out=clamped)
    np.subtract(clamped, down_mask, out=clamped)
    np.subtract(x, clamped, out=dst)
