"""The fast PNG encoder: round trips through Pillow and convcli's 16-bit reader, the filtered
stream checked byte for byte against a plain-Python reference written from the PNG
specification, the parallel zlib stream, thread-count independence, metadata and arguments."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from unittest import mock

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from convcli.images import pngwrite
from convcli.images.png16 import read_png16, write_png16
from convcli.images.pngwrite import write_png

LAYOUTS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
STRATEGIES = ["none", "sub", "up", "average", "paeth", "adaptive"]
KIND = {"none": 0, "sub": 1, "up": 2, "average": 3, "paeth": 4}
SHAPES = [(1, 1), (1, 9), (9, 1), (17, 5), (40, 33)]
ICC = bytes(range(256)) * 5
LIMIT = 89_478_485

Pixels = npt.NDArray[np.unsignedinteger]


def smooth(height: int, width: int, channels: int, dtype: type = np.uint8, seed: int = 0) -> Pixels:
    """Gradients with noise in a band of rows: smooth rows favour some filters, noisy rows
    others, so the adaptive choice varies from row to row."""
    top = 255 if dtype is np.uint8 else 65535
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * (3 + k) + y * (5 - k) + 40 * k for k in range(channels)], axis=-1)
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 4, base.shape)
    band = noise[height // 3 : 2 * height // 3]
    band[...] = rng.integers(0, top + 1, band.shape)
    scale = 1 if dtype is np.uint8 else 257
    return ((base * scale + noise) % (top + 1)).astype(dtype)


def noise(height: int, width: int, channels: int, dtype: type = np.uint8, seed: int = 0) -> Pixels:
    top = 256 if dtype is np.uint8 else 65536
    return np.random.default_rng(seed).integers(0, top, (height, width, channels), dtype)


def pillow_decode(data: bytes) -> npt.NDArray[np.generic]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


def as_pillow_sees(pixels: Pixels) -> Pixels:
    """Pillow returns gray images as (H, W)."""
    return pixels[..., 0] if pixels.shape[2] == 1 else pixels


# -- a plain-Python reference, straight from the PNG specification ----------------------------


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


def reference_stream(pixels: Pixels, strategy: str) -> bytes:
    """The filtered scanlines PNG stores: filter byte then filtered row, big-endian samples; for
    "adaptive" the filter whose bytes, read as signed, have the least sum of magnitudes."""
    height, width, channels = pixels.shape
    samples = pixels.astype(">u2" if pixels.dtype.itemsize == 2 else np.uint8)
    bpp = channels * pixels.dtype.itemsize
    prior = bytes(width * bpp)
    out = bytearray()
    for r in range(height):
        row = samples[r].tobytes()
        if strategy == "adaptive":
            costs = [
                sum(v if v < 128 else 256 - v for v in filter_row(k, row, prior, bpp))
                for k in range(5)
            ]
            kind = costs.index(min(costs))
        else:
            kind = KIND[strategy]
        out += bytes([kind]) + filter_row(kind, row, prior, bpp)
        prior = row
    return bytes(out)


def chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, body) of every chunk, checking the signature, lengths and CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        yield kind, body
        pos += 12 + length
    assert pos == len(data)


def idat_stream(data: bytes) -> bytes:
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and kinds.count(b"IEND") == 1
    first = kinds.index(b"IDAT")
    assert set(kinds[first : first + kinds.count(b"IDAT")]) == {b"IDAT"}, "IDATs must be adjacent"
    return b"".join(body for kind, body in chunks(data) if kind == b"IDAT")


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_8_bit_round_trips_through_pillow(layout: str, strategy: str) -> None:
    for height, width in SHAPES:
        for make in (smooth, noise):
            pixels = make(height, width, LAYOUTS[layout], np.uint8, seed=height)
            data = write_png(pixels, layout, filter_strategy=strategy)
            decoded = pillow_decode(data)
            assert decoded.dtype == np.uint8
            np.testing.assert_array_equal(decoded, as_pillow_sees(pixels))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_16_bit_gray_round_trips_through_pillow(strategy: str) -> None:
    for height, width in SHAPES:
        pixels = smooth(height, width, 1, np.uint16, seed=width)
        with Image.open(io.BytesIO(write_png(pixels, "L", filter_strategy=strategy))) as image:
            assert image.mode == "I;16"
            np.testing.assert_array_equal(np.asarray(image), pixels[..., 0])


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_16_bit_round_trips_through_read_png16(layout: str, strategy: str) -> None:
    for height, width in SHAPES:
        pixels = smooth(height, width, LAYOUTS[layout], np.uint16, seed=width)
        data = write_png(pixels, layout, filter_strategy=strategy, icc_profile=ICC, dpi=(72, 72))
        decoded = read_png16(data, max_pixels=LIMIT)
        assert decoded.layout == layout and decoded.icc_profile == ICC
        np.testing.assert_array_equal(decoded.pixels, pixels)


def test_every_compress_level_round_trips() -> None:
    pixels = smooth(30, 70, 3)
    sizes = []
    for level in range(10):
        data = write_png(pixels, "RGB", compress_level=level)
        np.testing.assert_array_equal(pillow_decode(data), pixels)
        sizes.append(len(data))
    assert sizes[0] > 30 * (1 + 70 * 3) > sizes[9]  # 0 is stored, 9 compresses


def test_byte_order_and_strides_of_the_input_do_not_matter() -> None:
    pixels = noise(6, 10, 4, np.uint16)
    expected = write_png(pixels, "RGBA")
    assert write_png(pixels.astype(">u2"), "RGBA") == expected
    assert write_png(np.asfortranarray(pixels), "RGBA") == expected
    view = pixels[::2, ::3]
    np.testing.assert_array_equal(
        read_png16(write_png(view, "RGBA"), max_pixels=LIMIT).pixels, view
    )
    eight = noise(5, 7, 3)
    np.testing.assert_array_equal(pillow_decode(write_png(eight[:, ::-1], "RGB")), eight[:, ::-1])


def test_write_png16_delegates() -> None:
    pixels = smooth(9, 14, 3, np.uint16)
    assert write_png16(pixels, "RGB", dpi=(96.0, 96.0)) == write_png(pixels, "RGB", dpi=(96, 96))
    assert write_png16(pixels, "RGB", compress_level=-1) == write_png(pixels, "RGB")
    with pytest.raises(ValueError, match="uint16"):
        write_png16(smooth(2, 2, 3), "RGB")


# -- the filtered stream and the zlib stream --------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    ("layout", "dtype"),
    [("L", np.uint8), ("RGB", np.uint8), ("LA", np.uint16), ("RGBA", np.uint16)],
)
def test_filtered_bytes_match_the_reference(layout: str, dtype: type, strategy: str) -> None:
    pixels = smooth(12, 7, LAYOUTS[layout], dtype, seed=3)
    stream = idat_stream(write_png(pixels, layout, filter_strategy=strategy))
    assert zlib.decompress(stream) == reference_stream(pixels, strategy)


def test_adaptive_really_mixes_filters() -> None:
    pixels = smooth(24, 16, 3)
    raw = zlib.decompress(idat_stream(write_png(pixels, "RGB")))
    kinds = {raw[r * (1 + 16 * 3)] for r in range(24)}
    assert len(kinds) >= 3
    assert raw == reference_stream(pixels, "adaptive")


@pytest.mark.parametrize("level", range(10))
def test_zlib_stream_is_valid_across_many_pieces(level: int) -> None:
    """Pieces of 100 bytes: dozens of seams, with the header, sync flushes and the combined
    Adler-32 all checked by zlib itself, and the trailer compared with zlib.adler32 directly."""
    pixels = smooth(30, 21, 3, np.uint8, seed=level)
    with mock.patch.object(pngwrite, "_PIECE_BYTES", 100):
        stream = idat_stream(write_png(pixels, "RGB", compress_level=level, threads=3))
    expected = reference_stream(pixels, "adaptive")
    assert zlib.decompress(stream) == expected
    assert stream[:2] == zlib.compress(b"", level)[:2]
    assert struct.unpack(">I", stream[-4:])[0] == zlib.adler32(expected)


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 40])
def test_pieces_are_whole_rows_and_one_idat_each(rows: int) -> None:
    """Each deflate piece holds whole scanlines and travels in one IDAT chunk of its own."""
    pixels = smooth(rows, 50, 3)
    with mock.patch.object(pngwrite, "_PIECE_BYTES", 3 * (1 + 150)):  # three rows a piece
        data = write_png(pixels, "RGB", threads=2)
    assert data.count(b"IDAT") == -(-rows // 3)
    np.testing.assert_array_equal(pillow_decode(data), pixels)


@pytest.mark.parametrize("extra", [-1, 0, 1, 2])
def test_stream_of_one_piece_and_a_little_more(extra: int) -> None:
    """One row of gray making a stream of exactly one full piece plus ``extra`` bytes."""
    width = pngwrite._PIECE_BYTES - 1 + extra
    pixels = np.resize(np.arange(251, dtype=np.uint8), (1, width, 1))
    data = write_png(pixels, "L", compress_level=1)
    np.testing.assert_array_equal(pillow_decode(data), pixels[..., 0])


@pytest.mark.parametrize(("shape", "piece"), [((3, 4), 1), ((3, 4), 6), ((1, 12), 3), ((5, 4), 20)])
def test_pieces_smaller_than_a_row_still_hold_one_row(shape: tuple[int, int], piece: int) -> None:
    """A piece size below one scanline gives one row per piece, and the image still decodes."""
    small = smooth(*shape, 1)
    with mock.patch.object(pngwrite, "_PIECE_BYTES", piece):
        data = write_png(small, "L", threads=2)
    np.testing.assert_array_equal(pillow_decode(data), small[..., 0])


def test_output_does_not_depend_on_the_thread_count() -> None:
    pixels = smooth(300, 400, 3)  # 360 kB of stream: four pieces of 90 kB
    outputs = {write_png(pixels, "RGB", compress_level=1, threads=n) for n in (1, 2, 4, None)}
    assert len(outputs) == 1
    with mock.patch.object(pngwrite, "_PIECE_BYTES", 997):
        for layout, dtype in [("RGBA", np.uint16), ("L", np.uint8)]:
            image = smooth(61, 37, LAYOUTS[layout], dtype)
            outputs = {write_png(image, layout, threads=n) for n in (1, 2, 4, 7)}
            assert len(outputs) == 1


def test_large_image_data_is_split_into_idat_chunks_of_at_most_one_mebibyte() -> None:
    pixels = noise(700, 600, 4)  # 1.7 MB that does not compress
    data = write_png(pixels, "RGBA", compress_level=0)
    sizes = [len(body) for kind, body in chunks(data) if kind == b"IDAT"]
    assert len(sizes) >= 2 and max(sizes) <= 1 << 20
    np.testing.assert_array_equal(pillow_decode(data), pixels)


def test_adler32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 100, 5552, 5553, 70000):
        data = rng.integers(0, 256, size, np.uint8).tobytes()
        for cut in sorted({0, size // 3, size // 2, size}):
            left, right = data[:cut], data[cut:]
            combined = pngwrite._adler32_combine(
                zlib.adler32(left), zlib.adler32(right), len(right)
            )
            assert combined == zlib.adler32(data)


def test_uint8_paeth_equals_the_specification_on_every_input() -> None:
    """All 256³ (left, up, up-left) triples, one up-left value at a time."""
    a, b = (grid.astype(np.uint8) for grid in np.mgrid[0:256, 0:256])
    a16, b16 = a.astype(np.int16), b.astype(np.int16)
    scratch = pngwrite._Scratch(256, 256, adaptive=False)
    zeros = np.zeros((256, 256), np.uint8)
    result = np.empty((256, 256), np.uint8)
    for value in range(256):
        c = np.full((256, 256), value, np.uint8)
        pngwrite._paeth_into(result, zeros, a, b, c, scratch)
        pa, pb, pc = np.abs(b16 - value), np.abs(a16 - value), np.abs(a16 + b16 - 2 * value)
        spec = np.where((pa <= pb) & (pa <= pc), a16, np.where(pb <= pc, b16, value))
        np.testing.assert_array_equal(result, (-spec).astype(np.uint8))


# -- metadata ---------------------------------------------------------------------------------


def test_icc_profile_dpi_and_text_reach_pillow() -> None:
    pixels = smooth(5, 6, 3)
    text = {"Title": "A picture", "Comment": "café ±1", "Software": "convcli"}
    data = write_png(pixels, "RGB", icc_profile=ICC, dpi=(300.0, 72.5), text=text)
    with Image.open(io.BytesIO(data)) as image:
        assert image.info["icc_profile"] == ICC
        assert image.info["dpi"] == pytest.approx((300.0, 72.5), abs=0.0254)
        assert image.text == text
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds.index(b"iCCP") < kinds.index(b"IDAT") and kinds.index(b"pHYs") < kinds.index(
        b"IDAT"
    )
    iccp = dict(chunks(data))[b"iCCP"]
    assert iccp.startswith(b"ICC profile\x00\x00") and zlib.decompress(iccp[13:]) == ICC


def test_text_that_tEXt_cannot_hold_is_skipped() -> None:
    text = {
        "Title": "kept",
        "Euro": "€ is not Latin-1",
        "Nul": "a\x00b",
        "": "empty keyword",
        " Lead": "leading space",
        "Two  spaces": "doubled space",
        "K" * 80: "keyword too long",
        "Ключ": "keyword not Latin-1",
        "Tab\tkey": "control character",
    }
    data = write_png(smooth(2, 2, 1), "L", text=text)
    assert [body for kind, body in chunks(data) if kind == b"tEXt"] == [b"Title\x00kept"]


def test_no_metadata_means_no_ancillary_chunks() -> None:
    data = write_png(smooth(3, 3, 4), "RGBA", icc_profile=b"", text={})
    assert {kind for kind, _ in chunks(data)} == {b"IHDR", b"IDAT", b"IEND"}


def test_ihdr() -> None:
    for layout, colour in {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6}.items():
        for dtype, depth in ((np.uint8, 8), (np.uint16, 16)):
            data = write_png(smooth(3, 5, LAYOUTS[layout], dtype), layout)
            assert dict(chunks(data))[b"IHDR"] == struct.pack(
                ">IIBBBBB", 5, 3, depth, colour, 0, 0, 0
            )


# -- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pixels", "layout", "message"),
    [
        (np.zeros((2, 2, 3), np.int16), "RGB", "uint8 or uint16"),
        (np.zeros((2, 2, 3), np.uint32), "RGB", "uint8 or uint16"),
        (np.zeros((2, 2, 3), np.float32), "RGB", "uint8 or uint16"),
        (np.zeros((2, 2, 3), bool), "RGB", "uint8 or uint16"),
        (np.zeros((2, 2), np.uint8), "L", "shape"),
        (np.zeros((2, 2, 3), np.uint8), "RGBA", "shape"),
        (np.zeros((2, 2, 4), np.uint8), "CMYK", "layout"),
        (np.zeros((2, 2, 1), np.uint8), "P", "layout"),
        (np.zeros((0, 2, 1), np.uint8), "L", "2×0"),
        (np.zeros((2, 0, 1), np.uint8), "L", "0×2"),
        ([[[0]]], "L", "NumPy array"),
    ],
)
def test_refuses_pixels_it_cannot_encode(pixels: object, layout: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_png(pixels, layout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"compress_level": 10}, "compress_level"),
        ({"compress_level": -1}, "compress_level"),
        ({"compress_level": 1.5}, "compress_level"),
        ({"compress_level": True}, "compress_level"),
        ({"filter_strategy": "best"}, "filter_strategy"),
        ({"filter_strategy": "Sub"}, "filter_strategy"),
        ({"threads": 0}, "threads"),
        ({"threads": -2}, "threads"),
        ({"threads": 2.0}, "threads"),
        ({"threads": True}, "threads"),
        ({"dpi": (0.0, 72.0)}, "dpi"),
        ({"dpi": (float("nan"), 72.0)}, "dpi"),
        ({"dpi": (float("inf"), 72.0)}, "dpi"),
        ({"dpi": (1e12, 72.0)}, "dpi"),
        ({"dpi": (72.0,)}, "dpi"),
        ({"dpi": "72"}, "dpi"),
        ({"icc_profile": "profile"}, "icc_profile"),
        ({"text": [("Title", "x")]}, "text"),
        ({"text": {"Title": 3}}, "text"),
    ],
)
def test_refuses_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_png(smooth(2, 2, 1), "L", **options)  # type: ignore[arg-type]


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    layout=st.sampled_from(list(LAYOUTS)),
    dtype=st.sampled_from([np.uint8, np.uint16]),
    strategy=st.sampled_from(STRATEGIES),
    level=st.integers(0, 9),
    piece=st.sampled_from([5, 64, 1 << 18]),
    threads=st.integers(1, 3),
    data=st.data(),
)
def test_property_random_images_round_trip(
    layout: str,
    dtype: type,
    strategy: str,
    level: int,
    piece: int,
    threads: int,
    data: st.DataObject,
) -> None:
    shape = (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)), LAYOUTS[layout])
    pixels = data.draw(arrays(dtype, shape))
    with mock.patch.object(pngwrite, "_PIECE_BYTES", piece):
        encoded = write_png(
            pixels, layout, compress_level=level, filter_strategy=strategy, threads=threads
        )
    if dtype is np.uint16 and layout != "L":  # Pillow reads these as 8 bits
        np.testing.assert_array_equal(read_png16(encoded, max_pixels=LIMIT).pixels, pixels)
    else:
        np.testing.assert_array_equal(pillow_decode(encoded), as_pillow_sees(pixels))
