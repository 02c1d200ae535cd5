"""The 16-bit PNG codec: round trips, decoding checked against an independent reference encoder
and against Pillow, and refusal of malformed or hostile files."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from convcli.errors import ImageReadError
from convcli.images import png16
from convcli.images.png16 import is_wide_png, read_png16, write_png16

LAYOUTS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
COLOUR = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}
SIZES = [(1, 1), (1, 9), (9, 1), (17, 5)]
ICC = bytes(range(256)) * 3
LIMIT = 89_478_485
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
ADAM7 += [(0, 1, 1, 2)]

Pixels = npt.NDArray[np.uint16]
Chooser = Callable[[int, bytes, bytes, int], int]


def random_pixels(height: int, width: int, channels: int, seed: int = 0) -> Pixels:
    return np.random.default_rng(seed).integers(0, 65536, (height, width, channels), np.uint16)


def smooth_pixels(height: int, width: int, channels: int, seed: int = 0) -> Pixels:
    """A gradient with a little noise, so that Average/Paeth/adaptive choices vary by row."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 900 + y * 300 + 4000 * k) for k in range(channels)], axis=-1)
    noise = np.random.default_rng(seed).integers(0, 300, base.shape)
    return ((base + noise) % 65536).astype(np.uint16)


# -- an independent reference encoder: plain Python, straight from the PNG specification ------


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def fixed(kind: int) -> Chooser:
    return lambda r, row, prior, bpp: kind


def cycling(r: int, row: bytes, prior: bytes, bpp: int) -> int:
    return (r * 3 + 1) % 5  # every ordered pair of filter types occurs in consecutive rows


def adaptive(r: int, row: bytes, prior: bytes, bpp: int) -> int:
    """The specification's heuristic: least sum of absolute values, bytes taken as signed."""
    cost = [
        sum(v if v < 128 else 256 - v for v in filter_row(k, row, prior, bpp)) for k in range(5)
    ]
    return cost.index(min(cost))


def scanlines(pixels: Pixels, choose: Chooser) -> bytes:
    height, width, channels = pixels.shape
    bpp = 2 * channels
    prior = bytes(width * bpp)
    out = bytearray()
    for r in range(height):
        row = pixels[r].astype(">u2").tobytes()
        kind = choose(r, row, prior, bpp)
        out += bytes([kind]) + filter_row(kind, row, prior, bpp)
        prior = row
    return bytes(out)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def ihdr(width: int, height: int, depth: int = 16, colour: int = 2, interlace: int = 0) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def reference_png(
    pixels: Pixels,
    layout: str,
    choose: Chooser,
    *,
    interlace: bool = False,
    extra: Sequence[bytes] = (),
    idat_size: int = 1 << 20,
) -> bytes:
    """A PNG built by the reference filters, with ``extra`` chunks before the image data."""
    height, width = pixels.shape[:2]
    if interlace:
        passes = [pixels[y0::dy, x0::dx] for x0, y0, dx, dy in ADAM7]
        raw = b"".join(scanlines(p, choose) for p in passes if p.size)
    else:
        raw = scanlines(pixels, choose)
    stream = zlib.compress(raw)
    idats = [chunk(b"IDAT", stream[i : i + idat_size]) for i in range(0, len(stream), idat_size)]
    head = png16._SIGNATURE + ihdr(width, height, 16, COLOUR[layout], int(interlace))
    return head + b"".join(extra) + b"".join(idats) + chunk(b"IEND", b"")


def chunk_offsets(data: bytes) -> dict[bytes, int]:
    """Offset of the first chunk of each type."""
    found: dict[bytes, int] = {}
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        found.setdefault(data[pos + 4 : pos + 8], pos)
        pos += 12 + length
    return found


def read(data: bytes, max_pixels: int = LIMIT) -> png16.Png16:
    return read_png16(data, max_pixels=max_pixels)


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("height", "width"), SIZES)
def test_round_trip_keeps_pixels_icc_and_dpi(layout: str, height: int, width: int) -> None:
    pixels = random_pixels(height, width, LAYOUTS[layout], seed=height * width)
    decoded = read(write_png16(pixels, layout, icc_profile=ICC, dpi=(300.0, 72.0)))
    assert decoded.layout == layout
    assert decoded.pixels.dtype == np.uint16 and decoded.pixels.dtype.isnative
    np.testing.assert_array_equal(decoded.pixels, pixels)
    assert decoded.icc_profile == ICC
    assert decoded.dpi == pytest.approx((300.0, 72.0), abs=0.0254)


def test_round_trip_without_metadata_and_at_every_level() -> None:
    pixels = smooth_pixels(33, 21, 3)
    for level in (-1, 0, 1, 9):
        decoded = read(write_png16(pixels, "RGB", compress_level=level))
        np.testing.assert_array_equal(decoded.pixels, pixels)
        assert decoded.icc_profile is None and decoded.dpi is None


def test_big_endian_and_strided_input_is_accepted() -> None:
    pixels = random_pixels(6, 10, 4)
    np.testing.assert_array_equal(read(write_png16(pixels.astype(">u2"), "RGBA")).pixels, pixels)
    view = pixels[::2, ::3]
    np.testing.assert_array_equal(read(write_png16(view, "RGBA")).pixels, view)


def test_image_data_over_one_mebibyte_spans_several_idat_chunks() -> None:
    pixels = random_pixels(300, 300, 4, seed=5)  # noise: ~720 kB raw does not compress
    data = write_png16(np.concatenate([pixels, pixels[::-1]]), "RGBA", compress_level=1)
    assert data.count(b"IDAT") >= 2
    np.testing.assert_array_equal(read(data).pixels, np.concatenate([pixels, pixels[::-1]]))


@settings(max_examples=50, deadline=None)
@given(
    layout=st.sampled_from(list(LAYOUTS)),
    data=st.data(),
)
def test_property_random_arrays_round_trip(layout: str, data: st.DataObject) -> None:
    shape = (
        data.draw(st.integers(1, 12)),
        data.draw(st.integers(1, 12)),
        LAYOUTS[layout],
    )
    pixels = data.draw(arrays(np.uint16, shape))
    np.testing.assert_array_equal(read(write_png16(pixels, layout)).pixels, pixels)


# -- decoding, checked against the reference encoder ------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("choose", [0, 1, 2, 3, 4, "adaptive", "cycling"])
def test_every_filter_type_decodes_exactly(layout: str, choose: int | str) -> None:
    chooser = {"adaptive": adaptive, "cycling": cycling}.get(str(choose)) or fixed(int(choose))
    for height, width in [(7, 13), (13, 3), (1, 5), (5, 1)]:
        pixels = smooth_pixels(height, width, LAYOUTS[layout], seed=height)
        decoded = read(reference_png(pixels, layout, chooser, idat_size=50))
        np.testing.assert_array_equal(decoded.pixels, pixels)
        assert decoded.layout == layout


def test_adaptive_reference_really_mixes_filters() -> None:
    raw = scanlines(smooth_pixels(20, 9, 3), adaptive)
    assert len({raw[r * (1 + 9 * 6)] for r in range(20)}) >= 3


@pytest.mark.parametrize(
    "kinds",
    [
        [2, 1, 2, 2, 4, 0, 3, 2, 2, 1, 2],  # Up at the top, then a wavefront block mid-image
        [2, 2, 0, 2, 1, 1, 2, 2, 0, 2, 2],  # only the fast path, Up runs after each anchor
        [4, 4, 2, 2, 3, 1, 0, 4, 1, 2, 2],  # wavefront from row 0, fast suffix anchored on it
    ],
)
def test_fast_path_and_wavefront_meet_correctly(kinds: list[int]) -> None:
    pixels = smooth_pixels(len(kinds), 6, 2, seed=3)
    data = reference_png(pixels, "LA", lambda r, row, prior, bpp: kinds[r])
    np.testing.assert_array_equal(read(data).pixels, pixels)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("height", "width"), [(1, 1), (2, 3), (5, 17), (9, 9), (16, 13)])
def test_adam7_interlaced_decodes_exactly(layout: str, height: int, width: int) -> None:
    pixels = smooth_pixels(height, width, LAYOUTS[layout], seed=width)
    for chooser in (cycling, fixed(4)):
        data = reference_png(pixels, layout, chooser, interlace=True)
        np.testing.assert_array_equal(read(data).pixels, pixels)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_property_any_filter_sequence_decodes(data: st.DataObject) -> None:
    layout = data.draw(st.sampled_from(list(LAYOUTS)))
    height, width = data.draw(st.integers(1, 10)), data.draw(st.integers(1, 10))
    pixels = data.draw(arrays(np.uint16, (height, width, LAYOUTS[layout])))
    interlace = data.draw(st.booleans())
    rows = height * 2 if interlace else height  # enough choices for every Adam7 pass
    kinds = data.draw(st.lists(st.integers(0, 4), min_size=rows, max_size=rows))
    counter = iter(range(10**6))

    def choose(r: int, row: bytes, prior: bytes, bpp: int) -> int:
        return kinds[next(counter) % rows]

    decoded = read(reference_png(pixels, layout, choose, interlace=interlace))
    np.testing.assert_array_equal(decoded.pixels, pixels)


def test_ancillary_chunks_are_ignored() -> None:
    pixels = smooth_pixels(4, 5, 4)
    extra = [
        chunk(b"gAMA", struct.pack(">I", 45455)),
        chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03"),
        chunk(b"bKGD", b"\x00\x01\x00\x02\x00\x03"),
        chunk(b"tEXt", b"Comment\x00hello"),
        chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"hi")),
        chunk(b"sBIT", b"\x10\x10\x10\x10"),
        chunk(b"prVt", b"private ancillary chunk"),
        chunk(b"PLTE", b"\x00" * 6),
        chunk(b"pHYs", struct.pack(">IIB", 5000, 5000, 0)),  # aspect ratio only: no dpi
    ]
    broken_text = bytearray(chunk(b"tEXt", b"Title\x00x"))
    broken_text[-1] ^= 0xFF  # a bad CRC on an ancillary chunk we do not use is harmless
    data = reference_png(pixels, "RGBA", fixed(1), extra=[*extra, bytes(broken_text)])
    decoded = read(data + b"trailing junk after IEND")
    np.testing.assert_array_equal(decoded.pixels, pixels)
    assert decoded.dpi is None and decoded.icc_profile is None


# -- Pillow, where it can read or write 16 bits -----------------------------------------------


def test_pillow_16_bit_gray_decodes_to_the_same_values() -> None:
    values = smooth_pixels(23, 31, 1)[..., 0]
    image = Image.frombytes("I;16", (31, 23), values.astype("<u2").tobytes())
    for options in ({}, {"optimize": True}, {"icc_profile": ICC, "dpi": (150, 150)}):
        stream = io.BytesIO()
        image.save(stream, "PNG", **options)
        data = stream.getvalue()
        assert is_wide_png(data[:33])
        decoded = read(data)
        assert decoded.layout == "L"
        np.testing.assert_array_equal(decoded.pixels[..., 0], values)
    assert decoded.icc_profile == ICC
    assert decoded.dpi == pytest.approx((150, 150), abs=0.0254)


def test_pillow_reads_our_gray_exactly_and_colour_as_the_high_byte() -> None:
    for layout, channels in LAYOUTS.items():
        pixels = random_pixels(9, 14, channels, seed=channels)
        data = write_png16(pixels, layout, icc_profile=ICC, dpi=(96.0, 96.0))
        with Image.open(io.BytesIO(data)) as image:
            assert image.info["icc_profile"] == ICC
            assert image.info["dpi"] == pytest.approx((96.0, 96.0), abs=0.0254)
            array = np.asarray(image)
        high = (pixels >> 8).astype(np.uint8)
        if layout == "L":
            np.testing.assert_array_equal(array, pixels[..., 0])
        elif layout == "LA":  # Pillow widens 16-bit LA to 8-bit RGBA
            np.testing.assert_array_equal(array[..., :3], np.repeat(high[..., :1], 3, axis=2))
            np.testing.assert_array_equal(array[..., 3], high[..., 1])
        else:
            np.testing.assert_array_equal(array, high)


def test_is_wide_png() -> None:
    assert is_wide_png(write_png16(random_pixels(2, 2, 3), "RGB")[:33])
    stream = io.BytesIO()
    Image.new("RGB", (4, 4)).save(stream, "PNG")
    assert not is_wide_png(stream.getvalue())  # 8-bit
    head = png16._SIGNATURE + ihdr(4, 4, 16, 3)
    assert not is_wide_png(head)  # palette (and not a legal depth for it)
    assert is_wide_png(png16._SIGNATURE + ihdr(4, 4, 16, 4))
    assert not is_wide_png((png16._SIGNATURE + ihdr(4, 4, 16, 2))[:32])
    assert not is_wide_png(b"GIF89a" + bytes(40))


# -- writing refuses what it cannot encode ----------------------------------------------------


@pytest.mark.parametrize(
    ("pixels", "layout"),
    [
        (np.zeros((2, 2, 3), np.uint8), "RGB"),
        (np.zeros((2, 2, 3), np.int16), "RGB"),
        (np.zeros((2, 2, 3), np.float32), "RGB"),
        (np.zeros((2, 2), np.uint16), "L"),
        (np.zeros((2, 2, 3), np.uint16), "RGBA"),
        (np.zeros((2, 2, 4), np.uint16), "CMYK"),
        (np.zeros((0, 2, 1), np.uint16), "L"),
    ],
)
def test_write_refuses_wrong_dtype_shape_or_layout(pixels: Pixels, layout: str) -> None:
    with pytest.raises(ValueError):
        write_png16(pixels, layout)


def test_write_refuses_bad_options() -> None:
    pixels = random_pixels(2, 2, 1)
    for dpi in ((0.0, 72.0), (float("nan"), 72.0), (1e12, 72.0)):
        with pytest.raises(ValueError):
            write_png16(pixels, "L", dpi=dpi)
    with pytest.raises(ValueError):
        write_png16(pixels, "L", compress_level=10)


# -- malformed and hostile input --------------------------------------------------------------


@pytest.fixture(scope="module")
def good() -> bytes:
    extra = [chunk(b"pHYs", struct.pack(">IIB", 3780, 3780, 1))]
    return reference_png(smooth_pixels(12, 10, 3), "RGB", adaptive, extra=extra, idat_size=100)


def test_fixture_is_valid(good: bytes) -> None:
    assert read(good).dpi == pytest.approx((96.012, 96.012))


def test_truncated_files_are_refused(good: bytes) -> None:
    offsets = chunk_offsets(good)
    cuts = [0, 1, 7, 8, 12, 20, 32, 33, 40, offsets[b"IDAT"] + 5, offsets[b"IDAT"] + 60]
    cuts += [len(good) // 2, offsets[b"IEND"], len(good) - 4, len(good) - 1]
    for cut in cuts:
        with pytest.raises(ImageReadError):
            read(good[:cut])


@pytest.mark.parametrize("kind", [b"IHDR", b"IDAT", b"IEND", b"pHYs"])
def test_bad_crc_is_refused(good: bytes, kind: bytes) -> None:
    start = chunk_offsets(good)[kind]
    (length,) = struct.unpack_from(">I", good, start)
    broken = bytearray(good)
    broken[start + 8 + length] ^= 0x01
    with pytest.raises(ImageReadError, match="CRC"):
        read(bytes(broken))


def test_bad_signature_is_refused(good: bytes) -> None:
    with pytest.raises(ImageReadError, match="signature"):
        read(b"\x89PNG\r\n\x1a\x00" + good[8:])


def with_idat(raw: bytes, *, header: bytes | None = None, compress: bool = True) -> bytes:
    """A PNG (2×2 RGB unless ``header`` says otherwise) whose image data is ``raw``."""
    body = zlib.compress(raw) if compress else raw
    head = header if header is not None else ihdr(2, 2)
    return png16._SIGNATURE + head + chunk(b"IDAT", body) + chunk(b"IEND", b"")


ROW = b"\x00" + bytes(12)  # one unfiltered row of a 2-pixel RGB16 image


MALFORMED = [
    (with_idat(ROW * 2, header=ihdr(2, 2, depth=8)), "bit depth 8"),
    (with_idat(ROW * 2, header=ihdr(2, 2, colour=3)), "colour type 3"),
    (with_idat(ROW * 2, header=ihdr(2, 2, depth=16, colour=1)), "colour type 1"),
    (with_idat(ROW * 2, header=ihdr(2, 2, interlace=2)), "interlace"),
    (with_idat(ROW * 2, header=ihdr(0, 2)), "0×2"),
    (with_idat(ROW * 2, header=ihdr(2, 0)), "2×0"),
    (with_idat(ROW * 2, header=chunk(b"IHDR", bytes(12))), "IHDR"),
    (with_idat(ROW * 2, header=chunk(b"gAMA", bytes(4)) + ihdr(2, 2)), "first chunk"),
    (with_idat(ROW * 2, header=ihdr(2, 2) + ihdr(2, 2)), "more than one IHDR"),
    (with_idat(ROW * 2, header=ihdr(2, 2) + chunk(b"ABCD", b"")), "unknown critical"),
    (with_idat(ROW), "truncated"),
    (with_idat(ROW * 3), "more data"),
    (with_idat(ROW + b"\x05" + bytes(12)), "filter type 5"),
    (with_idat(b"this is not zlib data", compress=False), "corrupt"),
    (with_idat(zlib.compress(ROW * 2)[:-6], compress=False), "truncated"),
    (with_idat(zlib.compress(ROW * 2)[:-1], compress=False), "truncated"),
    (png16._SIGNATURE + ihdr(2, 2) + chunk(b"IEND", b""), "no IDAT"),
    (png16._SIGNATURE + ihdr(2, 2) + chunk(b"IDAT", zlib.compress(ROW * 2)), "truncated"),
    (png16._SIGNATURE + b"\x00\x00\x00\x0dIH\x00R" + bytes(17), "chunk header"),
    (png16._SIGNATURE + b"\xff\xff\xff\xf0IHDR" + bytes(17), "chunk header"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImageReadError, match=message):
        read(data)


@pytest.mark.parametrize(
    "body",
    [
        b"no separator",
        b"\x00\x00" + zlib.compress(b"icc"),  # empty name
        b"name\x00\x01" + zlib.compress(b"icc"),  # unknown compression method
        b"name\x00\x00garbage",
        b"name\x00\x00" + zlib.compress(b"icc profile")[:-3],
    ],
)
def test_corrupt_icc_profile_is_refused(body: bytes) -> None:
    with pytest.raises(ImageReadError, match="iCCP|ICC"):
        read(with_idat(ROW * 2, header=ihdr(2, 2) + chunk(b"iCCP", body)))


def test_bad_phys_is_refused() -> None:
    with pytest.raises(ImageReadError, match="pHYs"):
        read(with_idat(ROW * 2, header=ihdr(2, 2) + chunk(b"pHYs", bytes(8))))


def test_max_pixels_is_inclusive() -> None:
    data = write_png16(random_pixels(4, 5, 3), "RGB")
    assert read(data, max_pixels=20).pixels.shape == (4, 5, 3)
    with pytest.raises(ImageReadError, match="limit of 19"):
        read(data, max_pixels=19)


def test_huge_ihdr_is_refused_before_decompressing(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zlib.compress(bytes(50_000_000), 9)  # ~50 kB that would inflate to 50 MB
    data = with_idat(bomb, header=ihdr(60_000, 60_000), compress=False)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("decompression was attempted")

    monkeypatch.setattr(zlib, "decompressobj", forbidden)
    started = time.perf_counter()
    with pytest.raises(ImageReadError, match="3,600,000,000 pixels"):
        read(data)
    assert time.perf_counter() - started < 0.5


def test_zip_bomb_within_the_pixel_limit_is_bounded() -> None:
    bomb = zlib.compress(bytes(50_000_000), 9)
    data = with_idat(bomb, header=ihdr(100, 100), compress=False)  # expects 60,100 bytes
    tracemalloc.start()
    try:
        with pytest.raises(ImageReadError, match="more data"):
            read(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
