"""convcli.images.imageio: every pixel format read exactly, round trips through every output format,
metadata (ICC profile, DPI, EXIF orientation) kept, and clear errors for what cannot be done."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
from pictures import SAMPLES, bomb_png, decode_png, png16_bytes, ramp
from PIL import Image, ImageCms, ImageOps

from convcli.errors import ImageReadError, ImageWriteError, UsageError
from convcli.images.imageio import decode_preview, encode_picture, output_format, read_picture
from convcli.images.picture import Picture

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def pillow_bytes(image: Image.Image, fmt: str, **params) -> bytes:
    stream = io.BytesIO()
    image.save(stream, format=fmt, **params)
    return stream.getvalue()


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- round trips ------------------------------------------------------------------------------

ROUND_TRIPS = [
    ("L", np.uint8, "PNG"),
    ("LA", np.uint8, "PNG"),
    ("RGB", np.uint8, "PNG"),
    ("RGBA", np.uint8, "PNG"),
    ("L", np.uint16, "PNG"),
    ("LA", np.uint16, "PNG"),
    ("RGB", np.uint16, "PNG"),
    ("RGBA", np.uint16, "PNG"),
    ("L", np.uint8, "TIFF"),
    ("RGB", np.uint8, "TIFF"),
    ("RGBA", np.uint8, "TIFF"),
    ("CMYK", np.uint8, "TIFF"),
    ("L", np.uint16, "TIFF"),
    ("L", np.float32, "TIFF"),
    ("RGB", np.uint8, "BMP"),
    ("L", np.uint8, "NPY"),
    ("RGBA", np.uint16, "NPY"),
    ("RGB", np.float32, "NPY"),
    ("L", np.uint8, "TXT"),
    ("L", np.float32, "CSV"),
]


def sample_pixels(layout: str, dtype, seed: int = 0) -> np.ndarray:
    shape = (5, 7, len(layout))
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return rng.normal(0, 100, shape).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max + 1, shape).astype(dtype)


@pytest.mark.parametrize("layout, dtype, fmt", ROUND_TRIPS)
def test_encoding_then_reading_gives_back_every_sample(layout, dtype, fmt):
    """What convcli writes, convcli reads back unchanged: same layout, dtype and values."""
    pixels = sample_pixels(layout, dtype)
    data, notes = encode_picture(Picture(pixels, layout), fmt, f"out.{fmt.lower()}")
    assert notes == []
    back = read_picture(data, f"out.{fmt.lower()}")
    assert back.layout == layout
    assert back.pixels.dtype == dtype
    np.testing.assert_array_equal(back.pixels, pixels)


@pytest.mark.parametrize("layout", ["L", "RGB", "RGBA", "LA"])
def test_16_bit_pngs_are_written_as_16_bit_pngs_any_decoder_reads(layout):
    """The 16-bit PNGs convcli writes decode the same with an independent decoder."""
    pixels = sample_pixels(layout, np.uint16, seed=1)
    data, _ = encode_picture(Picture(pixels, layout), "PNG", "out.png")
    decoded, written_layout, depth = decode_png(data)
    assert (written_layout, depth) == (layout, 16)
    np.testing.assert_array_equal(decoded, pixels)


@pytest.mark.parametrize("layout", ["L", "RGB", "RGBA", "LA"])
def test_16_bit_pngs_from_elsewhere_are_read_at_16_bits(layout):
    """A 16-bit PNG made by an independent encoder is read without losing the low byte."""
    pixels = sample_pixels(layout, np.uint16, seed=2)
    picture = read_picture(png16_bytes(pixels, layout), "in.png")
    assert picture.layout == layout and picture.pixels.dtype == np.uint16
    np.testing.assert_array_equal(picture.pixels, pixels)


# -- Pillow's modes ---------------------------------------------------------------------------


def test_a_palette_with_transparency_is_expanded_to_rgba():
    """P with a transparent index becomes RGBA, exactly as Pillow converts it."""
    data = (SAMPLES / "logo-palette.png").read_bytes()
    picture = read_picture(data, "logo.png")
    assert (picture.layout, picture.source_mode) == ("RGBA", "P")
    np.testing.assert_array_equal(picture.pixels, np.asarray(reopen(data).convert("RGBA")))


def test_a_palette_without_transparency_is_expanded_to_rgb():
    """P without transparency becomes RGB."""
    image = Image.fromarray(ramp(6, 6, 3)).quantize(6)
    picture = read_picture(pillow_bytes(image, "PNG"), "p.png")
    assert picture.layout == "RGB"
    np.testing.assert_array_equal(picture.pixels, np.asarray(image.convert("RGB")))


def test_a_palette_gif_with_transparency_is_rgba():
    """GIF transparency is kept as alpha."""
    image = Image.fromarray(ramp(4, 4, 3)).quantize(4)
    picture = read_picture(pillow_bytes(image, "GIF", transparency=0), "t.gif")
    assert picture.layout == "RGBA"
    assert set(np.unique(picture.pixels[:, :, 3])) <= {0, 255}


def test_bilevel_is_read_as_0_and_255():
    """Mode "1" becomes 8-bit gray holding only 0 and 255."""
    bits = ramp(5, 9) > 100
    picture = read_picture(pillow_bytes(Image.fromarray(bits), "PNG"), "bits.png")
    assert picture.layout == "L" and picture.pixels.dtype == np.uint8
    np.testing.assert_array_equal(picture.pixels[:, :, 0], bits.astype(np.uint8) * 255)


def test_mode_i_within_16_bits_is_read_as_uint16_and_beyond_as_float():
    """32-bit integer images become uint16 when they fit, float32 otherwise (never wrapped)."""
    fits = np.array([[0, 65535], [12, 300]], np.int32)
    wide = np.array([[-5, 70000], [12, 300]], np.int32)
    small = read_picture(pillow_bytes(Image.fromarray(fits), "TIFF"), "i.tif")
    large = read_picture(pillow_bytes(Image.fromarray(wide), "TIFF"), "i.tif")
    assert small.pixels.dtype == np.uint16 and large.pixels.dtype == np.float32
    np.testing.assert_array_equal(small.pixels[:, :, 0], fits)
    np.testing.assert_array_equal(large.pixels[:, :, 0], wide)


def test_a_float_tiff_is_read_as_float32():
    """Mode F keeps its exact float values."""
    values = np.random.default_rng(3).normal(0, 1e3, (4, 6)).astype(np.float32)
    data = pillow_bytes(Image.frombytes("F", (6, 4), values.astype("<f4").tobytes()), "TIFF")
    picture = read_picture(data, "f.tif")
    assert picture.is_float and picture.layout == "L"
    np.testing.assert_array_equal(picture.pixels[:, :, 0], values)


def test_a_cmyk_jpeg_is_read_as_cmyk():
    """CMYK JPEGs keep four channels, as Pillow decodes them."""
    image = Image.frombytes("CMYK", (8, 8), ramp(8, 8, 4).tobytes())
    data = pillow_bytes(image, "JPEG", quality=95)
    picture = read_picture(data, "c.jpg")
    assert picture.layout == "CMYK"
    np.testing.assert_array_equal(picture.pixels, np.asarray(reopen(data)))


@pytest.mark.parametrize("fmt", ["GIF", "TIFF"])
def test_only_the_first_frame_is_read_and_a_note_says_so(fmt):
    """Animated GIFs and multi-page TIFFs give their first frame and a note."""
    frames = [Image.fromarray(np.full((3, 4), v, np.uint8)) for v in (10, 20, 30)]
    data = pillow_bytes(frames[0], fmt, save_all=True, append_images=frames[1:])
    picture = read_picture(data, "many.x")
    assert np.all(picture.pixels == 10)
    assert picture.notes == ("many.x has 3 frames; only the first is filtered",)


def test_a_single_frame_has_no_notes():
    """Ordinary images come with no notes."""
    assert read_picture((SAMPLES / "tiny-16x16.png").read_bytes(), "t.png").notes == ()


def test_exif_orientation_is_applied_on_reading():
    """A JPEG saved with EXIF orientation 6 (rotate 90° clockwise) is read upright."""
    pixels = np.zeros((16, 32, 3), np.uint8)
    pixels[:, 16:] = 250  # dark left half, bright right half
    exif = Image.Exif()
    exif[0x0112] = 6
    data = pillow_bytes(Image.fromarray(pixels), "JPEG", exif=exif, quality=95)
    picture = read_picture(data, "rotated.jpg")
    assert picture.pixels.shape == (32, 16, 3)
    expected = np.asarray(ImageOps.exif_transpose(reopen(data)))
    np.testing.assert_array_equal(picture.pixels, expected)
    top, bottom = picture.pixels[:16].mean(), picture.pixels[16:].mean()
    assert top < 50 < 200 < bottom  # the left edge is now the top edge


# -- metadata ---------------------------------------------------------------------------------


def png_with_metadata() -> bytes:
    return pillow_bytes(Image.fromarray(ramp(4, 5, 3)), "PNG", icc_profile=SRGB, dpi=(300, 300))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "JPEG"])
def test_icc_profile_and_dpi_survive_png_to_each_format(fmt):
    """An sRGB profile and 300 dpi read from a PNG are written into PNG, TIFF and JPEG."""
    picture = read_picture(png_with_metadata(), "in.png")
    assert picture.icc_profile == SRGB and picture.dpi == pytest.approx((300, 300), abs=0.01)
    data, _ = encode_picture(picture, fmt, f"out.{fmt.lower()}")
    written = reopen(data)
    assert written.info.get("icc_profile") == SRGB
    assert written.info.get("dpi") == pytest.approx((300, 300), abs=0.01)


def test_icc_profile_and_dpi_survive_16_bit_pngs():
    """The 16-bit PNG path keeps the profile and the resolution too."""
    picture = Picture(sample_pixels("RGB", np.uint16), "RGB", icc_profile=SRGB, dpi=(72.0, 72.0))
    data, _ = encode_picture(picture, "PNG", "out.png")
    back = read_picture(data, "out.png")
    assert back.icc_profile == SRGB and back.dpi == pytest.approx((72, 72), abs=0.01)


def test_an_image_without_resolution_gets_no_invented_dpi():
    """A TIFF saved without resolution tags has no dpi, so none is written into outputs."""
    data = pillow_bytes(Image.fromarray(ramp(3, 3)), "TIFF")
    picture = read_picture(data, "plain.tif")
    assert picture.dpi is None, f"dpi {picture.dpi} was invented"
    png, _ = encode_picture(picture, "PNG", "out.png")
    assert "dpi" not in reopen(png).info


# -- what formats cannot hold -----------------------------------------------------------------


def test_jpeg_drops_alpha_with_a_note():
    """RGBA to JPEG writes RGB and says alpha was dropped."""
    pixels = sample_pixels("RGBA", np.uint8)
    data, notes = encode_picture(Picture(pixels, "RGBA"), "JPEG", "out.jpg")
    assert reopen(data).mode == "RGB"
    assert notes == ["out.jpg: JPEG has no alpha channel; alpha was dropped"]


def test_cmyk_to_png_is_converted_to_rgb_with_a_note():
    """PNG has no CMYK: the picture is converted as Pillow converts, with a note."""
    pixels = sample_pixels("CMYK", np.uint8)
    data, notes = encode_picture(Picture(pixels, "CMYK"), "PNG", "out.png")
    cmyk = Image.frombytes("CMYK", (7, 5), pixels.tobytes())
    np.testing.assert_array_equal(np.asarray(reopen(data)), np.asarray(cmyk.convert("RGB")))
    assert notes == ["out.png: PNG cannot hold CMYK; converted to RGB"]


def test_cmyk_to_jpeg_stays_cmyk_without_a_note():
    """JPEG holds CMYK, so nothing is converted."""
    data, notes = encode_picture(Picture(sample_pixels("CMYK", np.uint8), "CMYK"), "JPEG", "o.jpg")
    assert reopen(data).mode == "CMYK" and notes == []


@pytest.mark.parametrize(
    "layout, dtype, fmt, fragments",
    [
        ("RGB", np.uint16, "TIFF", ["out.tiff", "16-bit RGB", ".png", ".npy", "`depth` 8"]),
        ("RGBA", np.uint16, "JPEG", ["out.jpeg", "16-bit"]),
        ("L", np.uint16, "JPEG", ["out.jpeg", "16-bit", "`depth` 8"]),
        ("L", np.float32, "PNG", ["out.png", "float", ".tif", ".npy"]),
        ("L", np.float32, "JPEG", ["out.jpeg", ".tif", ".npy"]),
        ("RGB", np.float32, "TIFF", ["out.tiff", "one channel", ".npy"]),
        ("RGB", np.uint8, "TXT", ["out.txt", "one channel"]),
        ("RGB", np.uint8, "CSV", ["out.csv", "one channel"]),
    ],
)
def test_what_a_format_cannot_hold_is_refused_clearly(layout, dtype, fmt, fragments):
    """Instead of silently losing bits or channels, encoding fails with a way out."""
    name = f"out.{fmt.lower()}"
    with pytest.raises(ImageWriteError) as raised:
        encode_picture(Picture(sample_pixels(layout, dtype), layout), fmt, name)
    for fragment in fragments:
        assert fragment in str(raised.value)


# -- arrays and text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array, dtype",
    [
        (np.array([[0, 255]], np.int64), np.uint8),
        (np.array([[0, 256]], np.int32), np.uint16),
        (np.array([[-1, 3]], np.int16), np.float32),
        (np.array([[0.0, 2.0]]), np.uint8),
        (np.array([[0.5, 2.0]]), np.float32),
        (np.array([[True, False]]), np.uint8),
        (np.array([[1, 2]], np.uint16), np.uint16),
    ],
)
def test_npy_arrays_take_the_narrowest_exact_sample_type(array, dtype):
    """Whole numbers in 0..255 become uint8, in 0..65535 uint16, anything else float32."""
    stream = io.BytesIO()
    np.save(stream, array)
    picture = read_picture(stream.getvalue(), "a.npy")
    assert picture.pixels.dtype == dtype
    expected = array.astype(np.uint8) * 255 if array.dtype == bool else array
    np.testing.assert_array_equal(picture.pixels[:, :, 0], expected)


def test_npy_is_recognised_by_its_bytes_whatever_the_name():
    """An .npy piped through stdin ('-') is read as an array."""
    stream = io.BytesIO()
    np.save(stream, np.eye(3, dtype=np.uint8))
    assert read_picture(stream.getvalue(), "-").pixels.shape == (3, 3, 1)


@pytest.mark.parametrize(
    "array, fragment",
    [
        (np.zeros((2, 2, 5)), "1 to 4 channels"),
        (np.zeros(4), "(H, W)"),
        (np.zeros((0, 3)), "(H, W)"),
        (np.array([["a", "b"]]), "numbers"),
        (np.array([[np.inf, 1.0]]), "NaN or infinite"),
    ],
)
def test_arrays_that_are_not_images_are_refused(array, fragment):
    """Wrong shapes, strings and non-finite values give a clear ImageReadError."""
    stream = io.BytesIO()
    np.save(stream, array)
    with pytest.raises(ImageReadError) as raised:
        read_picture(stream.getvalue(), "bad.npy")
    assert "bad.npy" in str(raised.value) and fragment in str(raised.value)


def test_object_arrays_are_never_unpickled():
    """A pickled .npy is refused, not executed."""
    stream = io.BytesIO()
    np.save(stream, np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    with pytest.raises(ImageReadError, match="evil.npy"):
        read_picture(stream.getvalue(), "evil.npy")


def test_text_matrices_allow_commas_comments_blank_lines_and_a_bom():
    """Rows of numbers separated by spaces and/or commas, with # comments and blank lines."""
    text = "\ufeff# a picture\n1, 2 3\n\n4 5,6  # end of row\n7e0 8.0 9\n"
    picture = read_picture(text.encode(), "m.txt")
    np.testing.assert_array_equal(picture.pixels[:, :, 0], np.arange(1, 10).reshape(3, 3))
    assert picture.pixels.dtype == np.uint8


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("1 2 3\n4 5\n", ["m.txt line 2", "expected 3 values", "got 2"]),
        ("1 2\nx 3\n", ["m.txt line 2", "'x'"]),
        ("1 nan\n", ["m.txt line 1", "finite"]),
        ("# nothing\n\n", ["m.txt", "no numbers"]),
    ],
)
def test_bad_text_matrices_name_the_line(text, fragments):
    """Ragged rows, words and NaN are refused with the file and line."""
    with pytest.raises(ImageReadError) as raised:
        read_picture(text.encode(), "m.txt")
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_text_that_is_not_utf8_is_refused():
    """Binary data named .txt is a clear error."""
    with pytest.raises(ImageReadError, match="UTF-8"):
        read_picture(b"\xff\xfe\x00\x81", "m.txt")


def test_text_output_writes_whole_numbers_without_a_decimal_point():
    """Integer results print as integers; others with 9 significant digits (exact float32)."""
    whole, _ = encode_picture(Picture(np.array([[[1.0], [-2.0]]], np.float32), "L"), "TXT", "o")
    assert whole == b"1 -2\n"
    values = np.array([[[0.1], [1 / 3]]], np.float32)
    text, _ = encode_picture(Picture(values, "L"), "CSV", "o.csv")
    parsed = np.array([float(v) for v in text.decode().strip().split(",")], np.float32)
    np.testing.assert_array_equal(parsed, values.ravel())


# -- unreadable input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "empty"),
        (b"hello, I am text\n", "unknown format"),
        ((SAMPLES / "test-card.png").read_bytes()[:3000], "truncated or corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ""),
    ],
    ids=["empty", "text", "truncated", "bad chunks"],
)
def test_unreadable_images_raise_an_error_naming_the_file(data, fragment):
    """Every decoding failure is an ImageReadError whose message starts with the file name."""
    with pytest.raises(ImageReadError) as raised:
        read_picture(data, "broken.png")
    assert str(raised.value).startswith("broken.png")
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    "data",
    [bomb_png(60000, 60000), bomb_png(60000, 60000, 16, 2), bomb_png(60000, 60000, 16, 0)],
    ids=["8-bit gray", "16-bit RGB", "16-bit gray"],
)
def test_a_decompression_bomb_is_refused_from_its_header_quickly(data):
    """A PNG claiming 3.6 gigapixels is refused at once, naming the file and --max-pixels."""
    started = time.perf_counter()
    with pytest.raises(ImageReadError) as raised:
        read_picture(data, "bomb.png")
    assert time.perf_counter() - started < 1.0
    message = str(raised.value)
    assert message.startswith("bomb.png") and "`max_pixels`" in message


def test_the_pixel_limit_is_a_parameter():
    """max_pixels applies to every reader, and an image at the limit is accepted."""
    png = (SAMPLES / "tiny-16x16.png").read_bytes()
    assert read_picture(png, "t.png", max_pixels=256).width == 16
    with pytest.raises(ImageReadError):
        read_picture(png, "t.png", max_pixels=255)
    stream = io.BytesIO()
    np.save(stream, np.zeros((16, 16)))
    with pytest.raises(ImageReadError, match="`max_pixels`"):
        read_picture(stream.getvalue(), "a.npy", max_pixels=255)


# -- formats by name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, explicit, expected",
    [
        ("out.png", None, "PNG"),
        ("OUT.PNG", None, "PNG"),
        ("out.jpg", None, "JPEG"),
        ("out.jpeg", None, "JPEG"),
        ("out.tif", None, "TIFF"),
        ("out.tiff", None, "TIFF"),
        ("out.bmp", None, "BMP"),
        ("out.webp", None, "WEBP"),
        ("out.npy", None, "NPY"),
        ("out.txt", None, "TXT"),
        ("out.csv", None, "CSV"),
        ("-", None, "PNG"),
        ("-", "npy", "NPY"),
        ("out.png", "tif", "TIFF"),
        ("out.png", ".JPG", "JPEG"),
        ("out", "png", "PNG"),
    ],
)
def test_the_output_format_follows_the_extension_or_format(name, explicit, expected):
    """Extensions map to formats (case-insensitive); --format overrides; stdout is PNG."""
    assert output_format(name, explicit) == expected


@pytest.mark.parametrize(
    "name, explicit, fragment",
    [
        ("out.xyz", None, "'.xyz'"),
        ("out", None, "no extension"),
        ("my.folder/out", None, "no extension"),
        ("out.png", "bogus", "'bogus'"),
    ],
)
def test_unknown_output_formats_are_usage_errors(name, explicit, fragment):
    """An output whose format cannot be told is bad usage, caught before any work."""
    with pytest.raises(UsageError, match=fragment):
        output_format(name, explicit)


# -- previews ---------------------------------------------------------------------------------


def test_the_preview_fits_the_box_and_is_8_bit_rgb():
    """decode_preview shrinks to fit columns × rows and always returns 8-bit RGB."""
    picture = read_picture((SAMPLES / "test-card.png").read_bytes(), "card.png")
    preview = decode_preview(picture, 40, 20)
    assert preview.dtype == np.uint8 and preview.shape[2] == 3
    assert preview.shape[0] <= 20 and preview.shape[1] <= 40


@pytest.mark.parametrize(
    "picture, expected",
    [
        (Picture(np.zeros((1, 1, 4), np.uint8), "RGBA"), (128, 128, 128)),
        (Picture(np.array([[[255, 0, 0, 255]]], np.uint8), "RGBA"), (255, 0, 0)),
        (Picture(np.array([[[65535]]], np.uint16), "L"), (255, 255, 255)),
        (Picture(np.array([[[0, 255, 0, 0]]], np.uint8), "CMYK"), (255, 0, 255)),
        (Picture(np.array([[[-5.0], [5.0]]], np.float32), "L"), (0, 0, 0)),
    ],
    ids=["transparent", "opaque red", "16-bit white", "magenta ink", "float low"],
)
def test_previews_composite_alpha_over_grey_and_stretch_floats(picture, expected):
    """Transparent shows mid-grey, 16-bit is scaled, CMYK is inverted, floats are stretched."""
    assert tuple(decode_preview(picture, 10, 10)[0, 0]) == expected


def _pillow_image(mode: str) -> tuple[Any, np.ndarray]:
    from PIL import Image

    rng = np.random.default_rng(3)
    values = rng.integers(0, 256, size=(37, 23, len(mode)), dtype=np.uint8)
    return Image.frombytes(mode, (23, 37), values.tobytes()), values


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "CMYK"])
def test_8_bit_samples_are_packed_out_of_pillow_exactly_once(mode):
    """One pass of Pillow's raw encoder gives exactly np.asarray's samples, read-only."""
    import convcli.images.imageio as imageio

    image, values = _pillow_image(mode)
    packed = imageio._as_array(image)
    np.testing.assert_array_equal(packed.reshape(values.shape), values)
    np.testing.assert_array_equal(packed, np.asarray(image))
    assert not packed.flags.writeable


@pytest.mark.parametrize("broken", ["refused", "short output"])
def test_a_pillow_without_the_raw_encoder_still_gives_the_samples(monkeypatch, broken):
    """Should Pillow's internals change, the samples come through np.asarray instead."""
    from PIL import Image

    import convcli.images.imageio as imageio

    image, values = _pillow_image("RGB")
    real = Image._getencoder

    class Short:
        """The raw encoder, claiming to be done after ten bytes."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def setimage(self, *args: Any) -> None:
            self.inner.setimage(*args)

        def encode(self, size: int) -> tuple[int, int, bytes]:
            return 0, 1, self.inner.encode(size)[2][:10]

        def cleanup(self) -> None:
            self.inner.cleanup()

    calls = []

    def first_call_broken(*args: Any) -> Any:  # np.asarray's own tobytes() gets the real one
        calls.append(args)
        if len(calls) > 1:
            return real(*args)
        if broken == "refused":
            raise AttributeError("_getencoder")
        return Short(real(*args))

    monkeypatch.setattr(Image, "_getencoder", first_call_broken)
    np.testing.assert_array_equal(imageio._as_array(image), values)
    assert len(calls) == 2


def _file(mode: str, fmt: str, **options: Any) -> bytes:
    image, _ = _pillow_image(mode)
    stream = io.BytesIO()
    image.save(stream, format=fmt, **options)
    return stream.getvalue()


def _as_pillow_reads_it(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        values = np.asarray(upright)
    return values.reshape(*values.shape[:2], -1)


DECODED_INTO_NUMPY = [("RGB", "PNG"), ("RGBA", "PNG"), ("L", "PNG"), ("RGB", "JPEG"), ("L", "JPEG")]


@pytest.mark.parametrize(("mode", "fmt"), DECODED_INTO_NUMPY, ids=lambda v: str(v))
def test_pillow_decodes_into_numpys_memory_the_samples_it_would_give(mode, fmt):
    """L, RGB and RGBA pictures are decoded straight into an array of NumPy's (its huge pages
    spare Pillow's page faults and the packing): the samples are Pillow's own, in an array
    that owns them (the packed path gives a read-only view of bytes)."""
    data = _file(mode, fmt)
    picture = read_picture(data, f"x.{fmt.lower()}")
    np.testing.assert_array_equal(picture.pixels, _as_pillow_reads_it(data))
    assert picture.layout == mode and picture.pixels.flags.c_contiguous
    assert picture.pixels.flags.owndata or picture.pixels.base.flags.owndata


def test_a_turned_picture_comes_from_pillows_memory_after_all():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = _file("RGB", "PNG", exif=exif)
    picture = read_picture(data, "x.png")
    assert picture.pixels.shape[:2] == (23, 37)
    np.testing.assert_array_equal(picture.pixels, _as_pillow_reads_it(data))


@pytest.mark.parametrize("change", ["no map_buffer", "Pillow decodes elsewhere"])
def test_should_pillows_internals_change_the_samples_still_come_through(monkeypatch, change):
    """Without ``Image.core.map_buffer``, or with a Pillow that allocates its own memory even
    though convcli gave it some, the samples are packed out of Pillow as before."""
    from PIL import ImageFile

    if change == "no map_buffer":

        class NoMapping:
            def __getattr__(self, name: str) -> Any:
                if name == "map_buffer":
                    raise AttributeError(name)
                return getattr(real_core, name)

        real_core = Image.core
        monkeypatch.setattr(Image, "core", NoMapping())
    else:

        def own_memory(self: Any) -> None:
            self.im = Image.core.new(self.mode, self.size)

        monkeypatch.setattr(ImageFile.ImageFile, "load_prepare", own_memory)
    for mode, fmt in DECODED_INTO_NUMPY:
        data = _file(mode, fmt)
        picture = read_picture(data, f"x.{fmt.lower()}")
        np.testing.assert_array_equal(picture.pixels, _as_pillow_reads_it(data))
        assert not picture.pixels.flags.writeable  # packed out of Pillow's memory


def test_a_jpeg_is_the_file_pillow_writes_from_the_same_samples():
    """RGB reaches the JPEG encoder as an RGBX image over NumPy's memory: the same bytes."""
    image, values = _pillow_image("RGB")
    stream = io.BytesIO()
    image.save(stream, format="JPEG", quality=95)
    encoded, notes = encode_picture(Picture(values, "RGB"), "JPEG", "x.jpg")
    assert encoded == stream.getvalue() and notes == []
