"""Helpers for the CLI and image tests: tiny images, an independent 16-bit PNG codec, decoding
outputs back to arrays, the golden reference (engine, then the documented rounding), and
snapshots of folders to prove that a failure left nothing behind."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from convcli.filtering.filters import apply_chain
from convcli.kernels import resolve_chain

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLES = REPOSITORY / "sample_images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}

Array = npt.NDArray[Any]

#: A terminal size that makes Rich's rendering the same on every machine.
TERMINAL = {"COLUMNS": "100", "LINES": "40", "TERMINAL_WIDTH": "100"}


# -- pictures to filter -----------------------------------------------------------------------


def ramp(height: int, width: int, channels: int = 0, seed: int = 0, high: int = 256) -> Array:
    """Deterministic noisy samples (uint8, or uint16 when ``high`` > 256): (H, W) or (H, W, C)."""
    shape = (height, width) if channels == 0 else (height, width, channels)
    dtype = np.uint8 if high <= 256 else np.uint16
    return np.random.default_rng(seed).integers(0, high, shape).astype(dtype)


def save(path: Path, pixels: Array, mode: str | None = None, **params: Any) -> Path:
    """Write ``pixels`` with Pillow; ``mode`` for the modes ``fromarray`` cannot infer (CMYK, F)."""
    pixels = np.ascontiguousarray(pixels)
    if mode == "CMYK":
        image = Image.frombytes("CMYK", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
    elif mode == "F":
        data = pixels.astype("<f4").tobytes()
        image = Image.frombytes("F", (pixels.shape[1], pixels.shape[0]), data)
    else:
        image = Image.fromarray(pixels)
        if mode is not None and image.mode != mode:
            image = image.convert(mode)
    image.save(path, **params)
    return path


def disk_rgba(size: int = 21, radius: float = 6.0) -> Array:
    """An opaque pure-red disk on transparent black: the picture for --premultiply."""
    y, x = np.mgrid[0:size, 0:size]
    inside = np.hypot(y - size // 2, x - size // 2) <= radius
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[inside] = (255, 0, 0, 255)
    return rgba


# -- an independent PNG codec for 16-bit samples (straight from the specification) ------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png16_bytes(pixels: Array, layout: str) -> bytes:
    """A 16-bit PNG of ``pixels`` (H, W, C), every row with filter 0: no convcli code involved."""
    pixels = pixels if pixels.ndim == 3 else pixels[:, :, np.newaxis]
    height, width = pixels.shape[:2]
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, COLOUR_TYPES[layout], 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def bomb_png(width: int, height: int, depth: int = 8, colour: int = 0) -> bytes:
    """A PNG whose IHDR claims ``width`` × ``height`` but whose data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> tuple[Array, str, int]:
    """(pixels (H, W, C), layout, bit depth) of a non-interlaced 8/16-bit PNG, in plain Python."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert interlace == 0 and depth in (8, 16) and colour in CHANNELS
    channels = CHANNELS[colour]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    rows = []
    for r in range(height):
        kind = raw[r * (stride + 1)]
        line = bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            predictor = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[i] = (line[i] + predictor) % 256
        rows.append(bytes(line))
        previous = line
    dtype = ">u2" if depth == 16 else "u1"
    pixels = np.frombuffer(b"".join(rows), dtype).reshape(height, width, channels)
    layout = {0: "L", 2: "RGB", 4: "LA", 6: "RGBA"}[colour]
    return pixels.astype(np.uint16 if depth == 16 else np.uint8), layout, depth


# -- outputs back to arrays -------------------------------------------------------------------


def decode_bytes(data: bytes, kind: str = "") -> Array:
    """The samples in ``data``: (H, W) for one channel, (H, W, C) otherwise.

    16-bit PNGs go through the independent decoder above (Pillow would truncate colour ones);
    ``.npy`` through NumPy, text through ``np.loadtxt``, everything else through Pillow.
    """
    if data.startswith(b"\x93NUMPY"):
        return np.load(io.BytesIO(data), allow_pickle=False)
    if kind in (".txt", ".csv"):
        return np.loadtxt(
            io.StringIO(data.decode()), delimiter="," if kind == ".csv" else None, ndmin=2
        )
    if data.startswith(PNG_SIGNATURE) and data[24] == 16:
        pixels, _, _ = decode_png(data)
        return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    with Image.open(io.BytesIO(data)) as image:
        if image.mode == "F":
            return np.asarray(image, dtype=np.float32)
        return np.asarray(image).copy()


def decode(path: Path) -> Array:
    """The samples of the file ``path`` (see ``decode_bytes``)."""
    return decode_bytes(path.read_bytes(), path.suffix.lower())


def mode_of(path: Path) -> str:
    with Image.open(path) as image:
        return image.mode


# -- the golden reference ---------------------------------------------------------------------


def filtered(
    pixels: Array, spec: str, *, full_range: float = 255.0, convolve: bool = False, **engine: Any
) -> Array:
    """The engine's float result for ``spec`` (a kernel or a chain), computed in float64."""
    return apply_chain(
        np.asarray(pixels, dtype=np.float64),
        resolve_chain(spec),
        convolve=convolve,
        full_range=full_range,
        **engine,
    )


def quantized(values: Array, out_max: int = 255, in_max: float = 255.0) -> Array:
    """The documented output rounding: scale to the output range, np.rint, then clip."""
    dtype = np.uint8 if out_max == 255 else np.uint16
    return np.clip(np.rint(values * (out_max / in_max)), 0, out_max).astype(dtype)


def golden(pixels: Array, spec: str, out_max: int = 255, in_max: float = 255.0, **engine: Any):
    """What convcli must write for ``pixels`` filtered by ``spec`` (every channel filtered)."""
    return quantized(filtered(pixels, spec, full_range=in_max, **engine), out_max, in_max)


# -- proving that nothing changed -------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder under ``folder`` (hidden ones too) with its bytes and mtime."""
    state = {}
    for path in sorted(folder.rglob("*")):
        content = path.read_bytes() if path.is_file() else b"<folder>"
        state[str(path.relative_to(folder))] = (content, path.stat().st_mtime_ns)
    return state


def error_line(stderr: str, *fragments: str) -> str:
    """Check that ``stderr`` is exactly one line, ``Error: ...`` with ``fragments``; return it."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    line = lines[0]
    assert line.startswith("Error: "), line
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def parse_matrix(text: str) -> tuple[list[int], list[int], Array]:
    """Column indices, row indices and values of a matrix printed by ``--as-array``."""
    lines = [line for line in text.splitlines() if line.strip()]
    columns = [int(token) for token in lines[0].split()]
    rows, values = [], []
    for line in lines[1:]:
        first, *cells = line.split()
        rows.append(int(first))
        values.append([float(cell) for cell in cells])
    return columns, rows, np.array(values)


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """``text`` without ANSI colour sequences."""
    return ANSI.sub("", text)
