"""convcli.images.tiffread: a plain TIFF read without Pillow is the picture Pillow reads
(samples, layout, mode, resolution, ICC profile), from a file or from bytes, in either byte
order and however its strips lie; every other TIFF is left to Pillow, which reads it as before
or says why not."""

from __future__ import annotations

import io
import struct
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.errors import ImageReadError
from convcli.images import tiffread
from convcli.images.imageio import read_picture
from convcli.images.tiffread import plain_tiff
from convcli.images.tiffwrite import tiff_parts

SHORT, LONG, RATIONAL, UNDEFINED = 3, 4, 5, 7
#: layout, sample type → (photometric, extra samples, sample format)
KINDS = {
    ("L", "u1"): (1, (), 1),
    ("LA", "u1"): (1, (2,), 1),
    ("RGB", "u1"): (2, (), 1),
    ("RGBA", "u1"): (2, (2,), 1),
    ("CMYK", "u1"): (5, (), 1),
    ("L", "u2"): (1, (), 1),
    ("L", "f4"): (1, (), 3),
}
KIND_IDS = [f"{layout}-{kind}" for layout, kind in KINDS]


def samples(layout: str, kind: str, height: int = 9, width: int = 7) -> np.ndarray:
    rng = np.random.default_rng(len(layout) * 7 + len(kind))
    shape = (height, width, len(layout))
    if kind == "f4":
        return rng.normal(size=shape).astype(np.float32)
    dtype = np.dtype(kind)
    return rng.integers(0, np.iinfo(dtype).max + 1, size=shape).astype(dtype)


def tiff(
    pixels: np.ndarray,
    layout: str,
    *,
    order: str = "<",
    rows_per_strip: int | None = None,
    reversed_strips: bool = False,
    tags: dict[int, tuple[int, tuple[int, ...] | bytes]] | None = None,
    drop: tuple[int, ...] = (),
) -> bytes:
    """A TIFF built by hand: one directory after the header, values after it, then the strips
    (bottom strip first when ``reversed_strips``); ``tags`` adds or replaces entries."""
    height, width, channels = pixels.shape
    kind = f"{pixels.dtype.kind}{pixels.dtype.itemsize}"
    photometric, extra, sample_format = KINDS.get((layout, kind), (2, (), 1))
    rows = rows_per_strip or height
    row = pixels[0].nbytes
    stored = pixels.astype(pixels.dtype.newbyteorder(order)).tobytes()
    strips = [stored[top * row : (top + rows) * row] for top in range(0, height, rows)]
    on_disk = list(range(len(strips)))[:: -1 if reversed_strips else 1]
    entries: dict[int, tuple[int, tuple[int, ...] | bytes]] = {
        256: (LONG, (width,)),
        257: (LONG, (height,)),
        258: (SHORT, (pixels.dtype.itemsize * 8,) * channels),
        259: (SHORT, (1,)),
        262: (SHORT, (photometric,)),
        273: (LONG, (0,) * len(strips)),
        277: (SHORT, (channels,)),
        278: (LONG, (rows,)),
        279: (LONG, tuple(len(s) for s in strips)),
        339: (SHORT, (sample_format,) * channels),
    }
    if extra:
        entries[338] = (SHORT, extra)
    entries.update(tags or {})
    for tag in drop:
        entries.pop(tag)

    def assemble() -> bytes:
        sizes = {SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1}
        codes = {SHORT: "H", LONG: "I", RATIONAL: "I"}
        directory_end = 8 + 2 + 12 * len(entries) + 4
        body, values = b"", b""
        for tag, (kind, value) in sorted(entries.items()):
            data = (
                value
                if isinstance(value, bytes)
                else struct.pack(f"{order}{len(value)}{codes[kind]}", *value)
            )
            if len(data) <= 4:
                field = data.ljust(4, b"\0")
            else:
                field = struct.pack(f"{order}I", directory_end + len(values))
                values += data + b"\0" * (len(data) % 2)
            body += struct.pack(f"{order}HHI", tag, kind, len(data) // sizes[kind]) + field
        mark = b"II" if order == "<" else b"MM"
        head = mark + struct.pack(f"{order}HIH", 42, 8, len(entries))
        return head + body + b"\0" * 4 + values

    start = len(assemble())  # the strips follow the values; offsets do not change the length
    offsets = [0] * len(strips)
    for index in on_disk:
        offsets[index] = start
        start += len(strips[index])
    if 273 in entries:
        entries[273] = (entries[273][0], tuple(offsets))
    return assemble() + b"".join(strips[i] for i in on_disk)


def pillow_reads(source):
    """The picture as convcli read TIFFs before this module: through Pillow."""
    with mock.patch.object(tiffread, "plain_tiff", lambda source: None):
        return read_picture(source, "x.tif")


def assert_same_picture(ours, pillows) -> None:
    assert ours.pixels.dtype == pillows.pixels.dtype
    np.testing.assert_array_equal(ours.pixels, pillows.pixels)
    assert (ours.layout, ours.source_mode) == (pillows.layout, pillows.source_mode)
    assert (ours.dpi, ours.icc_profile, ours.notes) == (pillows.dpi, pillows.icc_profile, ())


@pytest.mark.parametrize(("layout", "kind"), KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
@pytest.mark.parametrize(
    "strips", [(None, False), (2, False), (4, True)], ids=["one strip", "strips", "strips reversed"]
)
def test_a_plain_tiff_reads_as_pillow_reads_it(layout, kind, order, strips):
    rows, backwards = strips
    data = tiff(
        samples(layout, kind), layout, order=order, rows_per_strip=rows, reversed_strips=backwards
    )
    assert plain_tiff(data) is not None
    ours = read_picture(data, "x.tif")
    assert ours.pixels.dtype.isnative
    assert_same_picture(ours, pillow_reads(data))


@pytest.mark.parametrize(("layout", "kind"), KINDS, ids=KIND_IDS)
def test_the_files_pillow_and_convcli_write_are_read_from_a_path_too(layout, kind, tmp_path):
    from PIL import Image

    pixels = samples(layout, kind, height=400, width=300)  # Pillow writes strips of ~64 KiB
    mode = {"u2": "I;16", "f4": "F"}.get(kind, layout)
    image = Image.frombytes(mode, (300, 400), pixels.tobytes())
    by_pillow, by_convcli = tmp_path / "pillow.tif", tmp_path / "convcli.tif"
    image.save(by_pillow, dpi=(300, 150.5))
    parts = tiff_parts(pixels, layout, icc_profile=b"a profile", dpi=(72.0, 96.0))
    by_convcli.write_bytes(b"".join(parts))
    for path in (by_pillow, by_convcli):
        found = plain_tiff(path)
        assert found is not None
        assert_same_picture(read_picture(path, path.name), pillow_reads(path))
    assert read_picture(by_convcli, "c.tif").icc_profile == b"a profile"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [((2,), (300.0, 150.5)), ((3,), (300.0 * 2.54, 150.5 * 2.54)), ((1,), None), (None, None)],
    ids=["per inch", "per centimetre", "no unit", "no unit tag"],
)
def test_the_resolution_is_the_one_pillow_reports(unit, expected):
    resolution = {282: (RATIONAL, (600, 2)), 283: (RATIONAL, (301, 2))}
    if unit is not None:
        resolution[296] = (SHORT, unit)
    data = tiff(samples("RGB", "u1"), "RGB", tags=resolution)
    ours = read_picture(data, "x.tif")
    assert ours.dpi == pytest.approx(expected) if expected else ours.dpi is None
    assert_same_picture(ours, pillow_reads(data))


def _pillow_file(frames: int = 1, **options) -> bytes:
    from PIL import Image

    stream = io.BytesIO()
    first, *more = [Image.new("RGB", (16, 12), (200, 30, 10 + n)) for n in range(frames)]
    first.save(stream, format="TIFF", save_all=bool(more), append_images=more, **options)
    return stream.getvalue()


def _with_count(data: bytes, tag: int) -> bytes:
    """``data`` with the count of ``tag`` (an UNDEFINED entry) raised past the end of the file:
    a directory found so damaged in the wild, which Pillow cannot read."""
    entry = data.index(struct.pack("<HH", tag, UNDEFINED))
    return data[: entry + 4] + struct.pack("<I", 65281) + data[entry + 8 :]


RGB = samples("RGB", "u1")
LEFT_TO_PILLOW = {
    "compressed": _pillow_file(compression="tiff_deflate"),
    "two frames": _pillow_file(frames=2),
    "turned": tiff(RGB, "RGB", tags={274: (SHORT, (6,))}),
    "16-bit RGB": tiff(RGB.astype(np.uint16) * 257, "RGB"),
    "white is zero": tiff(RGB[:, :, :1], "L", tags={262: (SHORT, (0,))}),
    "planar": tiff(RGB, "RGB", tags={284: (SHORT, (2,))}),
    "associated alpha": tiff(samples("RGBA", "u1"), "RGBA", tags={338: (SHORT, (1,))}),
    "bit-reversed": tiff(RGB, "RGB", tags={266: (SHORT, (2,))}),
    "predictor": tiff(RGB, "RGB", tags={317: (SHORT, (2,))}),
    "tiled": tiff(RGB, "RGB", tags={322: (SHORT, (16,)), 323: (SHORT, (16,))}),
    "strip sizes that do not add up": tiff(RGB, "RGB", tags={279: (LONG, (RGB.nbytes - 1,))}),
    "no strip sizes": tiff(RGB, "RGB", drop=(279,)),
    "width as a BYTE": tiff(RGB, "RGB", tags={256: (UNDEFINED, bytes([7]))}),
    "ICC profile as numbers": tiff(RGB, "RGB", tags={34675: (SHORT, (1, 2, 3))}),
    "a tag past the end": _with_count(tiff(RGB, "RGB", tags={700: (UNDEFINED, b"<x/>" * 2)}), 700),
}


@pytest.mark.parametrize("data", LEFT_TO_PILLOW.values(), ids=LEFT_TO_PILLOW.keys())
def test_every_other_tiff_is_left_to_pillow(data):
    assert plain_tiff(data) is None
    try:
        pillows = pillow_reads(data)
    except ImageReadError as exc:
        with pytest.raises(ImageReadError) as ours:
            read_picture(data, "x.tif")
        assert str(ours.value) == str(exc)
    else:
        ours = read_picture(data, "x.tif")
        np.testing.assert_array_equal(ours.pixels, pillows.pixels)
        assert ours.notes == pillows.notes


def test_a_file_cut_short_is_left_to_pillow_which_says_it_is_truncated(tmp_path):
    path = tmp_path / "cut.tif"
    path.write_bytes(tiff(RGB, "RGB")[:-5])
    assert plain_tiff(path) is None
    with pytest.raises(ImageReadError, match="truncated or corrupt"):
        read_picture(path, "cut.tif")


def test_a_huge_stated_size_is_not_plain_and_the_pixel_limit_is_checked_before_reading():
    data = tiff(RGB, "RGB", tags={256: (LONG, (100_000,)), 257: (LONG, (100_000,))})
    data = data[: -RGB.nbytes]  # the strip offsets now point past the end: not plain
    assert plain_tiff(data) is None
    bomb = tiff(samples("L", "u1", height=1, width=1), "L")
    with pytest.raises(ImageReadError, match="above the limit"):
        read_picture(bomb, "x.tif", max_pixels=0)


def test_the_samples_of_a_file_are_read_into_memory_of_their_own(tmp_path):
    path = tmp_path / "x.tif"
    path.write_bytes(tiff(RGB, "RGB"))
    pixels = read_picture(path, "x.tif").pixels
    assert pixels.flags.writeable and pixels.flags.c_contiguous


@settings(max_examples=300)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    order=st.sampled_from("<>"),
    changes=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=3),
)
def test_whatever_a_damaged_directory_says_the_reading_is_pillows_or_none(kind, order, changes):
    """Bytes changed anywhere in the header, directory or values: either this module declines,
    or Pillow reads the very same picture; nothing but an ImageReadError ever escapes."""
    layout, sample = kind
    damaged = bytearray(tiff(samples(layout, sample, 5, 4), layout, order=order, rows_per_strip=2))
    for position, value in changes:
        damaged[position % len(damaged)] = value
    data = bytes(damaged)
    if plain_tiff(data) is None:
        return
    try:
        pillows = pillow_reads(data)
    except ImageReadError as exc:
        pytest.fail(f"read here, refused by Pillow: {exc}")
    assert_same_picture(read_picture(data, "x.tif"), pillows)
