"""convcli.images.tiffwrite: TIFFs written from the samples' own memory are the files Pillow
writes (same tags, same samples), and what it cannot write is left to Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest

from convcli.images.tiffwrite import tiff_parts

CASES = [
    ("L", np.uint8),
    ("LA", np.uint8),
    ("RGB", np.uint8),
    ("RGBA", np.uint8),
    ("CMYK", np.uint8),
    ("L", np.uint16),
    ("L", np.float32),
]
PILLOW_MODE = {np.uint16: "I;16", np.float32: "F"}


def _samples(layout: str, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(len(layout) * 10 + np.dtype(dtype).itemsize)
    shape = (5, 7, len(layout))
    if dtype is np.float32:
        return rng.normal(size=shape).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max + 1, size=shape).astype(dtype)


def _pillow_tiff(pixels: np.ndarray, layout: str, **options: object) -> bytes:
    from PIL import Image

    mode = PILLOW_MODE.get(pixels.dtype.type, layout)
    image = Image.frombytes(mode, (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
    stream = io.BytesIO()
    image.save(stream, format="TIFF", **options)
    return stream.getvalue()


def _tags_and_samples(data: bytes) -> tuple[dict, str, np.ndarray]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        tags = {tag: value for tag, value in image.tag_v2.items() if tag != 273}  # offsets
        return tags, image.mode, np.asarray(image)


@pytest.mark.parametrize("layout, dtype", CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in CASES])
@pytest.mark.parametrize(
    "metadata",
    [{}, {"dpi": (300.0, 72.5)}, {"icc_profile": b"an ICC profile", "dpi": (96.0, 96.0)}],
    ids=["plain", "dpi", "icc and dpi"],
)
def test_the_file_is_the_one_pillow_writes(layout, dtype, metadata):
    """Every tag Pillow writes, with the same values, and the same samples read back."""
    pixels = _samples(layout, dtype)
    ours = b"".join(tiff_parts(pixels, layout, **metadata))
    theirs = _pillow_tiff(pixels, layout, **metadata)
    our_tags, our_mode, our_samples = _tags_and_samples(ours)
    their_tags, their_mode, their_samples = _tags_and_samples(theirs)
    assert our_tags == their_tags
    assert our_mode == their_mode
    np.testing.assert_array_equal(our_samples, their_samples)
    np.testing.assert_array_equal(our_samples.reshape(pixels.shape), pixels)


def test_tifffile_reads_the_same_samples():
    """A second, independent reader agrees."""
    tifffile = pytest.importorskip("tifffile")
    pixels = _samples("RGBA", np.uint8)
    data = b"".join(tiff_parts(pixels, "RGBA", dpi=(150.0, 150.0)))
    np.testing.assert_array_equal(tifffile.imread(io.BytesIO(data)), pixels)


def test_the_samples_are_written_from_their_own_memory():
    """No copy of the picture is made: the last part is a view of the samples."""
    pixels = _samples("RGB", np.uint8)
    parts = tiff_parts(pixels, "RGB")
    assert np.shares_memory(np.frombuffer(parts[-1], dtype=np.uint8), pixels)
    assert len(parts[0]) < 300  # header and directory only


@pytest.mark.parametrize(
    "pixels, layout, dpi",
    [
        (np.zeros((4, 4, 3), np.uint16), "RGB", None),  # 16-bit colour: not a TIFF convcli writes
        (np.zeros((4, 4, 1), np.int32), "L", None),
        (np.zeros((0, 4, 1), np.uint8), "L", None),
        (np.zeros((4, 4, 3), np.uint8), "LA", None),  # layout and channels disagree
        (np.zeros((4, 4, 1), np.uint8), "L", (1e12, 72.0)),  # no 32-bit fraction
    ],
    ids=["16-bit RGB", "int32", "empty", "wrong layout", "huge dpi"],
)
def test_what_it_cannot_write_is_left_to_pillow(pixels, layout, dpi):
    assert tiff_parts(pixels, layout, dpi=dpi) is None


def test_a_tiff_this_writer_refuses_is_still_written_by_pillow():
    """encode_parts falls back to Pillow (here: a resolution no 32-bit fraction can hold)."""
    from PIL import Image

    from convcli.images.imageio import encode_parts, output_format
    from convcli.images.picture import Picture

    picture = Picture(np.full((4, 6, 1), 7, np.uint8), "L", dpi=(1e12, 72.0))
    parts, _ = encode_parts(picture, output_format("x.tif"), "x.tif")
    with Image.open(io.BytesIO(b"".join(parts))) as image:
        assert image.format == "TIFF"
        np.testing.assert_array_equal(np.asarray(image), np.full((4, 6), 7, np.uint8))
