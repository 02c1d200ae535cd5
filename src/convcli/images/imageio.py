"""Reading and writing pictures: Pillow for image files, NumPy for .npy, text for .txt/.csv.

Every decoded pixel is kept: 16-bit stays 16-bit, float stays float, palettes are expanded,
EXIF orientation is applied. Everything that fails becomes an ImageReadError or ImageWriteError
whose message names the file. Encoding happens in memory, so a failure never leaves a partial file.
"""

from __future__ import annotations

import io
import struct
import threading
import tokenize
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.errors import ImageReadError, ImageWriteError, UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS
from convcli.images.outputs import Part
from convcli.images.picture import LAYOUTS, Picture

ARRAY_FORMATS = {".npy": "NPY", ".txt": "TXT", ".csv": "CSV"}
_NPY_MAGIC = b"\x93NUMPY"

#: What Pillow's decoders raise on damaged files (found by fuzzing real formats): these mean
#: "corrupt input"; anything else is a bug in convcli and is not disguised as one.
DECODER_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    ZeroDivisionError,
)
_pillow_limit_lock = threading.Lock()


def read_picture(
    source: bytes | Path, name: str, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Picture:
    """Decode ``source``: the bytes of a file called ``name`` (stdin when ``name`` is "-"), or
    the file itself, which Pillow then reads as it decodes (no copy of the file in memory)."""
    from convcli.images import png16

    head = source[:64] if isinstance(source, bytes) else _head(source, name)
    if not head:
        raise ImageReadError(f"{name}: the file is empty (0 bytes)")
    whole = head.startswith(_NPY_MAGIC) or _suffix(name) in (".txt", ".csv")
    if _suffix(name) in (".txt", ".csv") and not head.startswith(_NPY_MAGIC) and b"\x00" in head:
        raise ImageReadError(
            f"{name}: not a text matrix (it is not UTF-8 text: it holds NUL bytes)"
        )
    if isinstance(source, Path) and (whole or png16.is_wide_png(head)):
        source = _read_all(source, name)
    if head.startswith(_NPY_MAGIC):
        assert isinstance(source, bytes)
        return _read_npy(source, name, max_pixels)
    if _suffix(name) in (".txt", ".csv"):
        assert isinstance(source, bytes)
        return _read_text(source, name, max_pixels)
    if head.startswith(_TIFF_MAGIC):
        plain = _read_plain_tiff(source, name, max_pixels)
        if plain is not None:
            return plain
    return _read_with_pillow(source, head, name, max_pixels)


def _head(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(64)
    except OSError as exc:
        raise ImageReadError(f"cannot read {name}: {exc.strerror or exc}") from None


def _read_all(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"cannot read {name}: {exc.strerror or exc}") from None


def output_format(name: str, explicit: str | None = None) -> str:
    """The format to write: ``explicit`` (``--format``) or the one ``name``'s extension implies."""
    if explicit:
        key = explicit.strip().lower().lstrip(".")
        if f".{key}" in ARRAY_FORMATS:
            return ARRAY_FORMATS[f".{key}"]
        fmt = _writer_for(f".{key}") or _writer_named(key.upper())
        if fmt is None:
            raise UsageError(f"unknown output format {explicit!r}; try png, tif, jpg, npy or txt")
        return fmt
    if name == "-":
        return "PNG"  # stdout has no extension; PNG keeps every pixel
    suffix = _suffix(name)
    if suffix in ARRAY_FORMATS:
        return ARRAY_FORMATS[suffix]
    implied = _writer_for(suffix)
    if implied is None:
        what = f"extension {suffix!r}" if suffix else "no extension"
        raise UsageError(
            f"{name}: cannot tell the output format ({what}); add `format` png or similar"
        )
    return implied


#: Pillow plugins to load for an extension or a file's first bytes, beyond the five Pillow
#: always loads (BMP, GIF, JPEG, PPM, PNG). Everything else goes through ``Image.init()``,
#: which imports all of Pillow's ~45 plugins: 50-80 ms of every run, measured here.
_PLUGIN_BY_SUFFIX = {".webp": "WebPImagePlugin"}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_PLUGIN_BY_MAGIC = (
    *((magic, "TiffImagePlugin") for magic in _TIFF_MAGIC),
    (b"RIFF", "WebPImagePlugin"),
)


#: Formats convcli writes itself (images/tiffwrite.py; PNG's plugin is always loaded anyway):
#: naming them needs no Pillow plugin, and Pillow's save loads one if it is ever the fallback.
_OWN_WRITERS = {".tif": "TIFF", ".tiff": "TIFF"}


def _writer_for(suffix: str) -> str | None:
    """The Pillow format that writes files ending in ``suffix``, loading few plugins."""
    if suffix in _OWN_WRITERS:
        return _OWN_WRITERS[suffix]
    from PIL import Image

    Image.preinit()
    if suffix in _PLUGIN_BY_SUFFIX:
        _load_plugin(_PLUGIN_BY_SUFFIX[suffix])
    fmt = Image.EXTENSION.get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        Image.init()
        fmt = Image.registered_extensions().get(suffix)
    return fmt if fmt in Image.SAVE else None


def _writer_named(fmt: str) -> str | None:
    from PIL import Image

    Image.init()
    return fmt if fmt in Image.SAVE else None


def _load_plugin_for(head: bytes) -> None:
    """Load the plugin that reads a file starting with ``head``, when it is one of those above
    (``Image.open`` loads them all when the five it starts with all refuse the file)."""
    for magic, plugin in _PLUGIN_BY_MAGIC:
        if head.startswith(magic):
            _load_plugin(plugin)
            return


def _load_plugin(plugin: str) -> None:
    import importlib

    try:
        importlib.import_module(f"PIL.{plugin}")
    except ImportError:  # a Pillow built without it: Image.init() will say what it has
        pass


@dataclass(frozen=True)
class Encoding:
    """How to compress outputs.

    PNG level 1 with adaptive filters is the measured sweet spot: on a 4K photograph it
    encodes 6.5× faster than level 6 for a file about 7 % larger (docs/performance.md).
    JPEG and WebP default to quality 95, not Pillow's 75, since convcli is asked for pixels.
    """

    compression: int = 1  #: zlib level for PNG, 0-9
    quality: int = 95  #: JPEG and WebP quality, 1-100
    threads: int | None = None  #: PNG compression threads (None: every usable core)


def encode_picture(
    picture: Picture, fmt: str, name: str, settings: Encoding | None = None
) -> tuple[bytes, list[str]]:
    """The bytes of ``picture`` in format ``fmt``, and notes about anything the format dropped."""
    parts, notes = encode_parts(picture, fmt, name, settings)
    return b"".join(parts), notes


def encode_parts(
    picture: Picture, fmt: str, name: str, settings: Encoding | None = None
) -> tuple[list[Part], list[str]]:
    """As :func:`encode_picture`, in parts to write one after the other: a large PNG is never
    joined into one more copy in memory."""
    if fmt == "NPY":
        return [_encode_npy(picture)], []
    if fmt in ("TXT", "CSV"):
        return [_encode_text(picture, name, "," if fmt == "CSV" else " ")], []
    return _encode_with_pillow(picture, fmt, name, settings or Encoding())


def decode_preview(picture: Picture, columns: int, rows: int) -> npt.NDArray[np.uint8]:
    """An 8-bit RGB thumbnail fitting ``columns`` × ``rows`` pixels, for drawing in a terminal."""
    from PIL import Image

    rgb = display_rgb(picture)
    image = Image.fromarray(rgb)
    image.thumbnail((max(1, columns), max(1, rows)), Image.Resampling.BOX)
    return np.asarray(image.convert("RGB"))


# -- reading --------------------------------------------------------------------------------


def _read_plain_tiff(source: bytes | Path, name: str, max_pixels: int) -> Picture | None:
    """A plain uncompressed TIFF read without Pillow (images/tiffread.py), or None for Pillow."""
    from convcli.images import tiffread

    try:
        found = tiffread.plain_tiff(source)
        if found is None:
            return None
        _check_pixels(found.width, found.height, name, max_pixels)
        pixels = found.read(source)
    except OSError as exc:
        raise ImageReadError(f"cannot read {name}: {exc.strerror or exc}") from None
    except MemoryError:
        raise ImageReadError(f"{name}: not enough memory to decode this image") from None
    return Picture(pixels, found.layout, found.mode, icc_profile=found.icc_profile, dpi=found.dpi)


def _read_with_pillow(source: bytes | Path, head: bytes, name: str, max_pixels: int) -> Picture:
    from PIL import Image, UnidentifiedImageError

    from convcli.images import png16

    if isinstance(source, bytes) and png16.is_wide_png(head):
        data = source
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        _check_pixels(width, height, name, max_pixels)
        try:
            wide = png16.read_png16(data, max_pixels=max_pixels)
        except ImageReadError as exc:
            raise ImageReadError(f"{name}: {exc}") from None
        return Picture(
            wide.pixels, wide.layout, "PNG 16-bit", icc_profile=wide.icc_profile, dpi=wide.dpi
        )
    _load_plugin_for(head)
    try:
        opened = io.BytesIO(source) if isinstance(source, bytes) else source
        with _pillow_limits(), Image.open(opened) as image:
            _check_pixels(*image.size, name, max_pixels)
            frames = getattr(image, "n_frames", 1)
            owned = _decode_into_numpy(image)
            image.load()
            info = dict(image.info)
            resolution_known = _has_resolution(image)
            source_mode = image.mode
            oriented = _upright(image)
            samples = owned(oriented) if owned else None
            pixels, layout = (
                (samples, image.mode) if samples is not None else _pillow_to_array(oriented)
            )
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image convcli can read (unknown format)") from None
    except Image.DecompressionBombError:
        raise ImageReadError(f"{name}: too many pixels (decompression bomb guard)") from None
    except DECODER_ERRORS as exc:
        raise ImageReadError(
            f"{name}: the image is truncated or corrupt ({_reason(exc)})"
        ) from None
    except MemoryError:
        raise ImageReadError(f"{name}: not enough memory to decode this image") from None
    notes = []
    if frames > 1:
        notes.append(f"{name} has {frames} frames; only the first is filtered")
    return Picture(
        pixels,
        layout,
        source_mode,
        icc_profile=info.get("icc_profile") or None,
        dpi=_dpi(info.get("dpi")) if resolution_known else None,
        notes=tuple(notes),
    )


#: Pillow modes whose memory NumPy can provide: the bytes Pillow keeps per pixel.
_PILLOW_PIXEL_BYTES = {"L": 1, "RGB": 4, "RGBA": 4}


def _decode_into_numpy(image: Any) -> Callable[[Any], npt.NDArray[Any] | None] | None:
    """Let Pillow decode ``image`` into NumPy's memory; returns what then gives the samples
    (None for a picture Pillow decoded elsewhere after all), or None if it cannot.

    Pillow's own memory comes in 4 KiB pages, each faulted in on its first write; a large
    NumPy array gets huge pages, and its samples need no packing out of Pillow afterwards.
    Measured on a 3840×2160 RGB JPEG, decode to array: 116-128 ms → 84-109 ms.
    """
    from PIL import Image

    stored = _PILLOW_PIXEL_BYTES.get(image.mode)
    width, height = image.size
    if stored is None or not width or not height:
        return None
    memory = np.empty((height, width, stored), dtype=np.uint8)
    try:
        mapped = Image.core.map_buffer(  # type: ignore[attr-defined]
            memory, image.size, "raw", 0, (image.mode, width * stored, 1)
        )
        image.im = mapped
    except (AttributeError, TypeError, ValueError):  # a Pillow without this internal: its way
        return None

    def samples(decoded: Any) -> npt.NDArray[Any] | None:
        if decoded is not image or image.im is not mapped:
            return None  # turned upright, or Pillow chose memory of its own: pack it out
        return _rgb_from_rgbx(memory) if image.mode == "RGB" else memory

    return samples


def _rgb_from_rgbx(memory: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The first three of every four bytes, packed: one strided copy per channel (NumPy's
    copy of the (H, W, 3) view loops over 3 bytes at a time: 87 ms against 14 for 4K)."""
    height, width, _ = memory.shape
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    packed, source = rgb.reshape(-1, 3), memory.reshape(-1, 4)
    for channel in range(3):
        packed[:, channel] = source[:, channel]
    return rgb


def _pillow_to_array(image: Any) -> tuple[npt.NDArray[Any], str]:
    """(H, W, C) samples and their layout for any Pillow mode."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return _channels(_as_array(image)), mode
    if mode.startswith("I;16"):
        return _channels(np.asarray(image).astype(np.uint16)), "L"
    if mode == "I":
        values = np.asarray(image)
        if values.size and values.min() >= 0 and values.max() <= 65535:
            return _channels(values.astype(np.uint16)), "L"
        return _channels(values.astype(np.float32)), "L"
    if mode == "F":
        return _channels(np.asarray(image, dtype=np.float32)), "L"
    if mode == "1":
        return _channels(np.asarray(image.convert("L"))), "L"
    if mode == "P":
        target = "RGBA" if "transparency" in image.info or image.palette.mode == "RGBA" else "RGB"
        return _channels(np.asarray(image.convert(target))), target
    target = "RGBA" if mode in ("PA", "RGBa", "La") or "A" in mode else "RGB"
    if mode == "La":
        target = "LA"
    return _channels(np.asarray(image.convert(target))), target


def _as_array(image: Any) -> npt.NDArray[Any]:
    """The samples of an 8-bit image, packed out of Pillow once (a read-only array).

    ``np.asarray`` goes through ``tobytes()``, which packs row-sized pieces and joins them: two
    copies, and the picture held three times at the peak. One call of the raw encoder that
    ``tobytes`` uses, with room for every row, packs it once (measured on a 3840×2160 RGB
    picture: 24 ms against 45-57 ms). Pillow versions without that encoder get ``np.asarray``.
    """
    from PIL import Image

    width, height = image.size
    channels = len(image.getbands())
    shape = (height, width, channels) if channels > 1 else (height, width)
    size = width * height * channels
    if not size:
        return np.zeros(shape, dtype=np.uint8)
    try:
        encoder = Image._getencoder(image.mode, "raw", image.mode)
        encoder.setimage(image.im, (0, 0, width, height))
    except (AttributeError, TypeError, ValueError, OSError):
        return np.asarray(image).reshape(shape)
    try:
        _, status, data = encoder.encode(max(size, width * 4, 65536))  # see RawEncode.c
    finally:
        encoder.cleanup()
    if status != 1 or len(data) != size:
        return np.asarray(image).reshape(shape)
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _read_npy(data: bytes, name: str, max_pixels: int) -> Picture:
    try:
        stream = io.BytesIO(data)
        major, _ = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        shape, _, _ = read_header(stream)
        _check_array_shape(shape, name, max_pixels)
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ImageReadError:
        raise
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        raise ImageReadError(f"{name}: not a readable .npy array ({_reason(exc)})") from None
    return _array_picture(array, name, "npy")


def _read_text(data: bytes, name: str, max_pixels: int) -> Picture:
    """Numbers, one row per line (spaces and/or commas): how the article prints its image."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImageReadError(f"{name}: not a text matrix (it is not UTF-8 text)") from None
    rows: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].replace(",", " ").split()
        if not content:
            continue
        row = [_number(token, name, number) for token in content]
        if rows and len(row) != len(rows[0]):
            raise ImageReadError(
                f"{name} line {number}: expected {len(rows[0])} values (as in the first row), "
                f"got {len(row)}"
            )
        rows.append(row)
        if len(rows) * len(row) > max_pixels:
            raise ImageReadError(
                f"{name}: more than {max_pixels:,} values, the pixel limit; "
                "raise it with `max_pixels` if the matrix is genuine"
            )
    if not rows:
        raise ImageReadError(f"{name}: no numbers found")
    return _array_picture(np.array(rows), name, "text")


def _array_picture(array: npt.NDArray[Any], name: str, kind: str) -> Picture:
    """A Picture from a (H, W) or (H, W, C) array, choosing the narrowest exact sample type."""
    if array.dtype.kind not in "biuf":
        raise ImageReadError(f"{name}: an image array must hold numbers, not {array.dtype}")
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3 or array.shape[2] not in LAYOUTS or 0 in array.shape:
        raise ImageReadError(
            f"{name}: an image array is (H, W) or (H, W, C) with 1 to 4 channels, not {array.shape}"
        )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ImageReadError(f"{name}: the array holds NaN or infinite values")
    pixels = _narrowest(array)
    return Picture(np.ascontiguousarray(pixels), LAYOUTS[array.shape[2]], kind)


def _narrowest(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """uint8 or uint16 when every value is a whole number in range, else float32."""
    if array.dtype in (np.uint8, np.uint16):
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    low, high = float(array.min()), float(array.max())
    whole = array.dtype.kind in "iu" or bool(np.all(array == np.round(array)))
    if whole and low >= 0 and high <= 255:
        return array.astype(np.uint8)
    if whole and low >= 0 and high <= 65535:
        return array.astype(np.uint16)
    return array.astype(np.float32)


def _check_array_shape(shape: tuple[int, ...], name: str, max_pixels: int) -> None:
    if len(shape) in (2, 3):
        _check_pixels(shape[1], shape[0], name, max_pixels)


def _check_pixels(width: int, height: int, name: str, max_pixels: int) -> None:
    """Refuse images above the pixel limit before decoding them (decompression bombs)."""
    if width * height > max_pixels:
        raise ImageReadError(
            f"{name}: {width}×{height} is {width * height:,} pixels, above the limit of "
            f"{max_pixels:,} (a guard against decompression bombs); if the image is genuine, "
            "raise `max_pixels` or filter it tile by tile with `tiled`"
        )


# -- writing --------------------------------------------------------------------------------


def _encode_npy(picture: Picture) -> bytes:
    stream = io.BytesIO()
    pixels = picture.pixels
    np.save(stream, pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, allow_pickle=False)
    return stream.getvalue()


def _encode_text(picture: Picture, name: str, separator: str) -> bytes:
    if picture.pixels.shape[2] != 1:
        raise ImageWriteError(
            f"{name}: a text matrix holds one channel, this result has {picture.layout}; "
            "use `gray`, `channels`, or write .npy"
        )
    values = picture.pixels[:, :, 0]
    whole = values.dtype.kind in "iu" or bool(
        np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53)
    )
    fmt = "%d" if whole else "%.9g"
    stream = io.StringIO()
    np.savetxt(stream, values.astype(np.int64) if whole else values, fmt=fmt, delimiter=separator)
    return stream.getvalue().encode()


def _encode_with_pillow(
    picture: Picture, fmt: str, name: str, settings: Encoding
) -> tuple[list[Part], list[str]]:
    from convcli.images import pngwrite

    notes: list[str] = []
    picture = _fit_format(picture, fmt, name, notes)
    pixels, layout = picture.pixels, picture.layout
    if fmt == "PNG" and layout in ("L", "LA", "RGB", "RGBA") and pixels.dtype.kind == "u":
        encoded: list[Part] = [
            *pngwrite.png_parts(
                pixels,
                layout,
                icc_profile=picture.icc_profile,
                dpi=picture.dpi,
                compress_level=settings.compression,
                threads=settings.threads,
            )
        ]
        return encoded, notes
    if fmt == "TIFF":
        from convcli.images.tiffwrite import tiff_parts

        parts = tiff_parts(pixels, layout, icc_profile=picture.icc_profile, dpi=picture.dpi)
        if parts is not None:
            return parts, notes
    from PIL import Image  # only here: PNG and TIFF out of convcli's own writers need none

    options: dict[str, Any] = {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = settings.quality
    if picture.icc_profile and fmt in ("PNG", "JPEG", "TIFF", "WEBP"):
        options["icc_profile"] = picture.icc_profile
    if picture.dpi and fmt in ("PNG", "JPEG", "TIFF"):
        options["dpi"] = picture.dpi
    height, width = pixels.shape[:2]
    # Pillow unpacks straight from the array's memory: no tobytes() copy in between.
    if pixels.dtype == np.uint16:
        image = Image.frombytes("I;16", (width, height), np.ascontiguousarray(pixels, "<u2"))
    elif pixels.dtype == np.float32:
        image = Image.frombytes("F", (width, height), np.ascontiguousarray(pixels, "<f4"))
    elif fmt == "JPEG" and layout == "RGB":
        image = _rgbx_image(pixels)
    else:
        image = Image.frombytes(layout, (width, height), np.ascontiguousarray(pixels))
    stream = io.BytesIO()
    try:
        image.save(stream, format=fmt, **options)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageWriteError(f"{name}: {fmt} cannot store this image ({_reason(exc)})") from None
    return [stream.getvalue()], notes


def _rgbx_image(pixels: npt.NDArray[np.uint8]) -> Any:
    """An RGBX Pillow image (JPEG writes it as RGB, the same bytes) over NumPy's memory, which
    Pillow unpacks the samples into: its own memory would cost 4 KiB page faults (28 ms of
    zero-filling for a 3840×2160 picture, then the unpacking; 40 ms → 13 ms in all)."""
    from PIL import Image

    height, width = pixels.shape[:2]
    memory = np.empty((height, width, 4), dtype=np.uint8)
    image = Image.frombuffer("RGBX", (width, height), memory, "raw", "RGBX", 0, 1)
    image.frombytes(np.ascontiguousarray(pixels), "raw", "RGB")
    return image


def _fit_format(picture: Picture, fmt: str, name: str, notes: list[str]) -> Picture:
    """Adapt ``picture`` to what ``fmt`` can hold, refusing what cannot be done without loss."""
    pixels, layout = picture.pixels, picture.layout
    if pixels.dtype == np.float32:
        if fmt != "TIFF":
            raise ImageWriteError(
                f"{name}: {fmt} cannot hold float values; write .tif or .npy, "
                "or choose `depth` 8 or 16"
            )
        if layout != "L":
            raise ImageWriteError(
                f"{name}: float TIFFs hold one channel, this result has {layout}; "
                "write .npy, or use `gray` or `depth` 8/16"
            )
    if pixels.dtype == np.uint16 and layout != "L" and fmt != "PNG":
        raise ImageWriteError(
            f"{name}: convcli writes 16-bit {layout} only as PNG; write .png or .npy, "
            "or choose `depth` 8"
        )
    if pixels.dtype == np.uint16 and fmt not in ("PNG", "TIFF"):
        raise ImageWriteError(f"{name}: {fmt} cannot hold 16-bit samples; use `depth` 8")
    alpha_unsupported = fmt in ("JPEG", "BMP", "PPM", "EPS", "PCX")
    if "A" in layout and alpha_unsupported:
        keep = [i for i, c in enumerate(layout) if c != "A"]
        notes.append(f"{name}: {fmt} has no alpha channel; alpha was dropped")
        pixels, layout = pixels[:, :, keep], layout.replace("A", "")
    if layout == "CMYK" and fmt not in ("JPEG", "TIFF"):
        notes.append(f"{name}: {fmt} cannot hold CMYK; converted to RGB")
        from PIL import Image

        rgb = Image.frombytes("CMYK", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
        pixels, layout = _channels(np.asarray(rgb.convert("RGB"))), "RGB"
    return picture.with_pixels(np.ascontiguousarray(pixels), layout)


def display_rgb(picture: Picture) -> npt.NDArray[np.uint8]:
    """8-bit RGB for showing on screen (alpha composited over mid-grey, floats stretched)."""
    values = picture.pixels.astype(np.float64)
    if picture.is_float:
        low, high = float(values.min()), float(values.max())
        values = (values - low) / (high - low or 1.0)
    else:
        values = values / picture.full_range
    layout = picture.layout
    if layout == "CMYK":
        c, m, y, k = (values[:, :, i] for i in range(4))
        values = np.stack([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)], axis=2)
        layout = "RGB"
    alpha = None
    if "A" in layout:
        alpha = values[:, :, layout.index("A")][:, :, np.newaxis]
        values = values[:, :, [i for i, c in enumerate(layout) if c != "A"]]
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    if alpha is not None:
        values = values * alpha + 0.5 * (1 - alpha)
    return np.rint(np.clip(values, 0, 1) * 255).astype(np.uint8)


# -- helpers --------------------------------------------------------------------------------


@contextmanager
def _pillow_limits() -> Iterator[None]:
    """Replace Pillow's global bomb check by convcli's own (done before decoding) while open."""
    from PIL import Image

    with _pillow_limit_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _upright(image: Any) -> Any:
    """The image turned as its EXIF orientation says; the image itself when there is nothing to
    turn (Pillow's exif_transpose would copy it, doubling memory for a large picture)."""
    from PIL import ImageOps

    try:
        orientation = image.getexif().get(0x0112, 1)
        return ImageOps.exif_transpose(image) if orientation not in (1, None) else image
    except DECODER_ERRORS:  # a damaged EXIF block must not lose the picture
        return image


def _has_resolution(image: Any) -> bool:
    """Whether the file states a resolution (Pillow reports 1 dpi for TIFFs that don't)."""
    if image.format == "TIFF":
        return 296 in getattr(image, "tag_v2", {})  # ResolutionUnit
    return True


def _channels(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return array[:, :, np.newaxis] if array.ndim == 2 else array


def _dpi(value: object) -> tuple[float, float] | None:
    if isinstance(value, tuple) and len(value) == 2:
        try:
            x, y = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            return None
        return (x, y) if x > 0 and y > 0 else None
    return None


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > name.rfind("/") and dot >= 0 else ""


def _number(token: str, name: str, line: int) -> float:
    try:
        value = float(token)
    except ValueError:
        raise ImageReadError(f"{name} line {line}: {token[:20]!r} is not a number") from None
    if not np.isfinite(value):
        raise ImageReadError(f"{name} line {line}: {token[:20]!r} is not a finite number")
    return value


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
