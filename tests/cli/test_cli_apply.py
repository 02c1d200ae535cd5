"""``convcli apply``: decoded outputs equal the engine's result followed by the documented
rounding and clipping (np.rint, then clip to 0..255 or 0..65535), for every pixel format and
every option, with the promised messages on stderr and nothing but data on stdout.

These run in-process through Typer's CliRunner; test_cli_entrypoint.py runs a representative
subset through the installed entry point.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from pictures import (
    SAMPLES,
    decode,
    decode_bytes,
    decode_png,
    disk_rgba,
    filtered,
    golden,
    mode_of,
    parse_matrix,
    png16_bytes,
    quantized,
    ramp,
    save,
)
from PIL import Image

from convcli.engine import convolve as engine_convolve
from convcli.engine import correlate as engine_correlate
from convcli.engine.modes import BORDER_ALIASES, BORDERS
from convcli.filtering.filters import apply_chain, carried_unit
from convcli.kernels import resolve_chain


def assert_float_results(actual, expected) -> None:
    """Float results agree to float32 precision (the engine rounds once, in float32)."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64), expected, rtol=0, atol=1e-6 * scale
    )


def applied(cli, *args, input: bytes | None = None):
    """Run ``convcli apply ARGS``; it must succeed, and write no data to stdout unless asked."""
    result = cli("apply", *args, input=input)
    assert result.exit_code == 0, result.stderr
    words = [str(arg) for arg in args]
    if "-o" in words and words[words.index("-o") + 1] != "-":
        assert result.stdout_bytes == b"", "stdout must stay empty when writing a file"
    return result


# -- every pixel format: decoded output == engine + rounding ----------------------------------


@pytest.mark.parametrize("kernel", ["sharpen", "box-3", "sobel-x", "gaussian:sigma=1", "sobel"])
def test_a_gray_png_is_the_engine_result_rounded_and_clipped(cli, gray_png, tmp_path, kernel):
    """An 8-bit gray PNG comes out as the engine's float result, np.rint, clipped to 0..255."""
    out = tmp_path / "out.png"
    result = applied(cli, kernel, gray_png, "-o", out)
    assert result.stdout_bytes == b""
    assert mode_of(out) == "L"
    np.testing.assert_array_equal(decode(out), golden(decode(gray_png), kernel))


def test_an_rgb_png_has_each_channel_filtered_independently(cli, rgb_png, tmp_path):
    """Each of R, G and B is filtered on its own, as the engine filters (H, W, C) arrays."""
    out = tmp_path / "out.png"
    applied(cli, "sharpen", rgb_png, "-o", out)
    assert mode_of(out) == "RGB"
    np.testing.assert_array_equal(decode(out), golden(decode(rgb_png), "sharpen"))


@pytest.mark.parametrize("layout", ["RGBA", "LA"])
def test_alpha_is_carried_through_unfiltered_by_default(cli, tmp_path, layout):
    """Colour channels are filtered; the alpha channel comes out exactly as it went in."""
    pixels = ramp(8, 9, len(layout), seed=3)
    source = save(tmp_path / "in.png", pixels, layout)
    out = tmp_path / "out.png"
    applied(cli, "box-3", source, "-o", out)
    result = decode(out)
    assert mode_of(out) == layout
    np.testing.assert_array_equal(result[:, :, -1], pixels[:, :, -1])
    np.testing.assert_array_equal(result[:, :, :-1], golden(pixels[:, :, :-1], "box-3"))


def test_a_16_bit_gray_png_stays_16_bit(cli, tmp_path):
    """An I;16 PNG is filtered at full precision and written as a 16-bit PNG."""
    pixels = ramp(9, 11, high=65536, seed=4)
    source = save(tmp_path / "in.png", pixels)
    assert mode_of(source).startswith("I;16")
    out = tmp_path / "out.png"
    applied(cli, "sharpen", source, "-o", out)
    result = decode(out)
    assert result.dtype == np.uint16
    np.testing.assert_array_equal(result, golden(pixels, "sharpen", 65535, 65535.0))


@pytest.mark.parametrize("layout", ["RGB", "RGBA", "LA"])
def test_16_bit_colour_pngs_stay_16_bit(cli, tmp_path, layout):
    """16-bit colour PNGs (which Pillow would truncate) are read and written at 16 bits."""
    pixels = ramp(6, 7, len(layout), seed=5, high=65536)
    source = tmp_path / "in.png"
    source.write_bytes(png16_bytes(pixels, layout))
    out = tmp_path / "out.png"
    applied(cli, "box-3", source, "-o", out)
    result, written_layout, depth = decode_png(out.read_bytes())
    assert (written_layout, depth) == (layout, 16)
    colour = pixels[:, :, :-1] if "A" in layout else pixels
    expected = golden(colour, "box-3", 65535, 65535.0)
    if "A" in layout:
        np.testing.assert_array_equal(result[:, :, -1], pixels[:, :, -1])
        np.testing.assert_array_equal(result[:, :, :-1], expected)
    else:
        np.testing.assert_array_equal(result, expected)


def test_a_palette_png_with_transparency_is_expanded_to_rgba(cli, tmp_path):
    """A P image with transparency becomes RGBA: colours filtered, alpha carried through."""
    source = SAMPLES / "logo-palette.png"
    with Image.open(source) as image:
        assert image.mode == "P" and "transparency" in image.info
        rgba = np.asarray(image.convert("RGBA"))
    out = tmp_path / "out.png"
    applied(cli, "box-3", source, "-o", out)
    result = decode(out)
    assert mode_of(out) == "RGBA"
    np.testing.assert_array_equal(result[:, :, 3], rgba[:, :, 3])
    np.testing.assert_array_equal(result[:, :, :3], golden(rgba[:, :, :3], "box-3"))


def test_a_palette_png_without_transparency_is_expanded_to_rgb(cli, tmp_path):
    """A P image without transparency becomes RGB."""
    source = tmp_path / "in.png"
    Image.fromarray(ramp(8, 8, 3, seed=6)).quantize(8).save(source)
    with Image.open(source) as image:
        rgb = np.asarray(image.convert("RGB"))
    out = tmp_path / "out.png"
    applied(cli, "sharpen", source, "-o", out)
    assert mode_of(out) == "RGB"
    np.testing.assert_array_equal(decode(out), golden(rgb, "sharpen"))


def test_a_bilevel_image_is_read_as_8_bit_gray(cli, tmp_path):
    """A mode "1" image is filtered as 0/255 gray and written as L."""
    bits = ramp(8, 10, seed=7) > 127
    source = tmp_path / "in.png"
    Image.fromarray(bits).save(source)
    assert mode_of(source) == "1"
    out = tmp_path / "out.png"
    applied(cli, "box-3", source, "-o", out)
    assert mode_of(out) == "L"
    np.testing.assert_array_equal(decode(out), golden(bits.astype(np.uint8) * 255, "box-3"))


@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_cmyk_is_filtered_per_channel_and_written_as_cmyk(cli, tmp_path, suffix):
    """CMYK JPEG and TIFF inputs are filtered channel by channel and stay CMYK in a TIFF."""
    source = save(tmp_path / f"in{suffix}", ramp(8, 8, 4, seed=8), "CMYK")
    decoded = decode(source)  # JPEG is lossy: the reference starts from the decoded samples
    out = tmp_path / "out.tif"
    applied(cli, "sharpen", source, "-o", out)
    assert mode_of(out) == "CMYK"
    np.testing.assert_array_equal(decode(out), golden(decoded, "sharpen"))


def test_a_float_tiff_stays_float_signed_and_unclipped(cli, tmp_path):
    """An F TIFF gives an F TIFF holding the raw float result, negative values included."""
    pixels = np.random.default_rng(14).normal(0.5, 2.0, (6, 8)).astype(np.float32)
    source = save(tmp_path / "in.tif", pixels, "F")
    out = tmp_path / "out.tif"
    applied(cli, "sobel-x", source, "-o", out)
    assert mode_of(out) == "F"
    expected = filtered(pixels, "sobel-x", full_range=1.0).astype(np.float32)
    assert_float_results(decode(out), expected)
    assert decode(out).min() < 0


NPY_INPUTS = {
    "uint8": ramp(7, 9, seed=9),
    "uint16": ramp(7, 9, seed=9, high=65536),
    "float32": (ramp(7, 9, seed=9) / 7 - 9).astype(np.float32),
    "int16": ramp(7, 9, seed=9).astype(np.int16) * 3 - 300,
}


@pytest.mark.parametrize("kind", NPY_INPUTS)
def test_npy_in_npy_out_holds_the_raw_float_result_in_input_units(cli, tmp_path, kind):
    """Array outputs hold the unrounded float result, in the input's units (0..255 for 8-bit)."""
    pixels = NPY_INPUTS[kind]
    np.save(tmp_path / "in.npy", pixels)
    out = tmp_path / "out.npy"
    applied(cli, "box-3", tmp_path / "in.npy", "-o", out)
    result = np.load(out)
    assert result.dtype == np.float32 and result.shape == pixels.shape
    assert_float_results(result, filtered(pixels, "box-3").astype(np.float32))
    assert not np.all(result == np.rint(result))  # box-3 of noise is not whole: no rounding


def test_a_three_channel_npy_comes_back_as_three_channels(cli, tmp_path):
    """An (H, W, 3) array is filtered per channel and written back as (H, W, 3)."""
    pixels = ramp(5, 6, 3, seed=10)
    np.save(tmp_path / "in.npy", pixels)
    applied(cli, "sharpen", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
    result = np.load(tmp_path / "out.npy")
    assert_float_results(result, filtered(pixels, "sharpen").astype(np.float32))


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_text_matrices_in_and_out_hold_the_raw_float_result(cli, tmp_path, suffix):
    """A text matrix gives a text matrix of exact float results (float32, written with %.9g)."""
    source = SAMPLES / "tiny-16x16.txt"
    pixels = np.loadtxt(source)
    out = tmp_path / f"out{suffix}"
    applied(cli, "gaussian:sigma=1", source, "-o", out)
    expected = filtered(pixels, "gaussian:sigma=1").astype(np.float32)
    assert_float_results(decode(out).astype(np.float32), expected)
    if suffix == ".csv":
        assert "," in out.read_text().splitlines()[0]


def test_the_sample_text_matrix_is_the_sample_png():
    """tiny-16x16.txt holds exactly the pixels of tiny-16x16.png, as the samples promise."""
    np.testing.assert_array_equal(
        np.loadtxt(SAMPLES / "tiny-16x16.txt"), decode(SAMPLES / "tiny-16x16.png")
    )


@pytest.mark.parametrize("depth, dtype", [("8", np.uint8), ("16", np.uint16)])
def test_depth_quantizes_array_outputs(cli, gray_png, tmp_path, depth, dtype):
    """--depth 8/16 with a .npy output rounds and clips instead of keeping floats."""
    out = tmp_path / "out.npy"
    applied(cli, "sharpen", gray_png, "-o", out, "--depth", depth)
    result = np.load(out)
    out_max = 255 if depth == "8" else 65535
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, golden(decode(gray_png), "sharpen", out_max))


def test_png_to_text_output_defaults_to_the_raw_result(cli, gray_png, tmp_path):
    """An 8-bit PNG filtered to .txt gives signed, unclipped values in 0..255 units."""
    out = tmp_path / "out.txt"
    applied(cli, "sobel-x", gray_png, "-o", out)
    expected = filtered(decode(gray_png), "sobel-x")
    np.testing.assert_array_equal(decode(out), expected)
    assert expected.min() < 0 and expected.max() > 255


# -- stdin and stdout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, kernel, fmt",
    [("gray_png", "sharpen", "png"), ("rgba_png", "box-3", "png"), ("gray_png", "sobel-x", "npy")],
)
def test_stdin_to_stdout_equals_file_to_file(cli, request, tmp_path, source, kernel, fmt):
    """``- -o -`` gives the same decoded result as a file in and a file out."""
    path = request.getfixturevalue(source)
    out = tmp_path / f"out.{fmt}"
    applied(cli, kernel, path, "-o", out)
    extra = [] if fmt == "png" else ["--format", fmt]
    piped = applied(cli, kernel, "-", "-o", "-", *extra, input=path.read_bytes())
    from_pipe, from_file = decode_bytes(piped.stdout_bytes), decode(out)
    assert from_pipe.dtype == from_file.dtype
    np.testing.assert_array_equal(from_pipe, from_file)


def test_stdout_output_is_png_unless_format_says_otherwise(cli, gray_png):
    """-o - writes PNG by default, and the format --format names (here TIFF)."""
    as_png = applied(cli, "identity", gray_png, "-o", "-").stdout_bytes
    as_tiff = applied(cli, "identity", gray_png, "-o", "-", "--format", "tif").stdout_bytes
    assert as_png.startswith(b"\x89PNG")
    assert as_tiff[:4] in (b"II*\x00", b"MM\x00*")
    np.testing.assert_array_equal(decode_bytes(as_tiff), decode(gray_png))


def test_format_overrides_the_output_extension(cli, gray_png, tmp_path):
    """--format npy writes a .npy array even into a file named .png."""
    out = tmp_path / "out.png"
    applied(cli, "identity", gray_png, "-o", out, "--format", "npy")
    assert out.read_bytes().startswith(b"\x93NUMPY")


# -- engine options ---------------------------------------------------------------------------

WEIGHTS = "1 2 3; 4 5 6; 7 8 10"  # asymmetric, so that every border and direction shows
WEIGHT_ARRAY = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 10]], dtype=np.float64)
BORDER_NAMES = [(name, name) for name in BORDERS] + sorted(BORDER_ALIASES.items())


@pytest.mark.parametrize("name, canonical", BORDER_NAMES, ids=[n for n, _ in BORDER_NAMES])
def test_every_border_name_and_alias_means_its_scipy_mode(cli, gray_png, tmp_path, name, canonical):
    """--border accepts the five modes and other tools' aliases, each meaning its scipy mode."""
    out = tmp_path / "out.npy"
    applied(cli, WEIGHTS, gray_png, "-o", out, "--border", name.upper())
    pixels = decode(gray_png).astype(np.float64)
    expected = engine_correlate(pixels, WEIGHT_ARRAY, border=canonical)
    np.testing.assert_array_equal(np.load(out), expected.astype(np.float32))


def test_fill_is_the_value_outside_for_a_constant_border(cli, gray_png, tmp_path):
    """--border constant --fill 200 pads with 200."""
    out = tmp_path / "out.npy"
    applied(cli, WEIGHTS, gray_png, "-o", out, "--border", "constant", "--fill", "200")
    pixels = decode(gray_png).astype(np.float64)
    expected = engine_correlate(pixels, WEIGHT_ARRAY, border="constant", fill=200.0)
    np.testing.assert_array_equal(np.load(out), expected.astype(np.float32))


@pytest.mark.parametrize("alias", ["zero", "zeros", "dirichlet"])
def test_zero_border_aliases_refuse_a_nonzero_fill(cli, gray_png, tmp_path, alias):
    """'zero' means a fill of 0, so --fill 5 with it is bad usage (as in the library)."""
    result = cli("apply", WEIGHTS, gray_png, "-o", tmp_path / "out.npy", "--border", alias,
                 "--fill", "5")  # fmt: skip
    assert result.exit_code == 2, "the fill of 5 was used silently"
    assert "fill" in result.stderr
    assert not (tmp_path / "out.npy").exists()


@pytest.mark.parametrize(
    "padding, shape", [("same", (9, 12)), ("valid", (7, 8)), ("full", (11, 16))]
)
def test_padding_sets_the_output_size(cli, gray_png, tmp_path, padding, shape):
    """A 3×5 kernel on a 9×12 image: same 9×12, valid 7×8, full 11×16."""
    out = tmp_path / "out.png"
    applied(cli, "1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1", gray_png, "-o", out, "--padding", padding,
            "--scale", "1/15")  # fmt: skip
    result = decode(out)
    assert result.shape == shape
    box = np.ones((3, 5)) / 15
    expected = quantized(
        engine_correlate(decode(gray_png).astype(np.float64), box, padding=padding)
    )
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("stride, shape", [(2, (5, 6)), (3, (3, 4)), (5, (2, 3))])
def test_stride_keeps_every_nth_row_and_column(cli, gray_png, tmp_path, stride, shape):
    """--stride S keeps rows and columns 0, S, 2S ... of the same-size result."""
    out = tmp_path / "out.png"
    applied(cli, "sharpen", gray_png, "-o", out, "--stride", stride)
    full = golden(decode(gray_png), "sharpen")
    assert decode(out).shape == shape
    np.testing.assert_array_equal(decode(out), full[::stride, ::stride])


def test_dilation_spaces_the_taps(cli, gray_png, tmp_path):
    """--dilation 2 applies a 3×3 kernel with its taps 2 pixels apart (a 5×5 footprint)."""
    out = tmp_path / "out.npy"
    applied(cli, WEIGHTS, gray_png, "-o", out, "--dilation", "2")
    spread = np.zeros((5, 5))
    spread[::2, ::2] = WEIGHT_ARRAY
    expected = engine_correlate(decode(gray_png).astype(np.float64), spread)
    np.testing.assert_array_equal(np.load(out), expected.astype(np.float32))


def test_alpha_follows_the_geometry_of_padding_and_stride(cli, rgba_png, tmp_path):
    """Unfiltered alpha is cropped and strided exactly like the filtered colour channels."""
    out = tmp_path / "out.png"
    applied(cli, "box-3", rgba_png, "-o", out, "--padding", "valid", "--stride", "2")
    alpha = decode(rgba_png)[:, :, 3]
    result = decode(out)
    assert result.shape == (3, 4, 4)
    np.testing.assert_array_equal(result[:, :, 3], alpha[1:-1, 1:-1][::2, ::2])


@pytest.mark.parametrize("convolve, moved_to", [(False, 3), (True, 5)])
def test_convolve_turns_the_kernel_so_content_moves_the_other_way(
    cli, tmp_path, convolve, moved_to
):
    """A one-hot kernel right of centre moves content left; --convolve moves it right."""
    pixels = np.zeros((3, 9), np.uint8)
    pixels[1, 4] = 200
    source = save(tmp_path / "dot.png", pixels)
    out = tmp_path / "out.png"
    args = ["0 0 1", source, "-o", out, "--border", "constant"]
    applied(cli, *args, *(["--convolve"] if convolve else []))
    result = decode(out)
    assert result[1, moved_to] == 200
    assert np.count_nonzero(result) == 1


def test_convolve_equals_the_engines_true_convolution(cli, gray_png, tmp_path):
    """--convolve gives the engine's convolve (the kernel turned 180°)."""
    out = tmp_path / "out.npy"
    applied(cli, WEIGHTS, gray_png, "-o", out, "--convolve")
    expected = engine_convolve(decode(gray_png).astype(np.float64), WEIGHT_ARRAY)
    np.testing.assert_array_equal(np.load(out), expected.astype(np.float32))


def test_repeat_applies_the_kernel_again_in_float(cli, gray_png, tmp_path):
    """--repeat 3 equals applying the kernel three times in float, rounding only at the end."""
    out = tmp_path / "out.png"
    applied(cli, "gaussian-3", gray_png, "-o", out, "--repeat", "3")
    np.testing.assert_array_equal(
        decode(out), golden(decode(gray_png), "gaussian-3 | gaussian-3 | gaussian-3")
    )


def test_a_chain_equals_applying_its_kernels_one_after_the_other_in_float(cli, gray_png, tmp_path):
    """'gaussian-3 | sharpen' is apply_chain of the two kernels, with no rounding between."""
    out = tmp_path / "out.npy"
    applied(cli, "gaussian-3 | sharpen", gray_png, "-o", out)
    pixels = decode(gray_png).astype(np.float64)
    expected = apply_chain(pixels, resolve_chain("gaussian-3 | sharpen"), full_range=255.0)
    np.testing.assert_array_equal(np.load(out), expected.astype(np.float32))
    rounded_between = golden(golden(decode(gray_png), "gaussian-3"), "sharpen")
    assert not np.array_equal(quantized(expected), rounded_between)


def test_a_chain_with_repeat_repeats_the_whole_chain(cli, gray_png, tmp_path):
    """'a | b' with --repeat 2 is a, b, a, b (steps carried in fixed point: 1/256 of a step)."""
    out = tmp_path / "out.npy"
    applied(cli, "box-3 | sharpen", gray_png, "-o", out, "--repeat", "2")
    expected = filtered(decode(gray_png), "box-3 | sharpen | box-3 | sharpen")
    np.testing.assert_allclose(np.load(out), expected, rtol=0, atol=16 * carried_unit(255))


# -- output values ----------------------------------------------------------------------------


def test_abs_gives_the_magnitude_of_signed_results(cli, gray_png, tmp_path):
    """--abs keeps negative edges as positive values instead of clipping them to 0."""
    out = tmp_path / "out.png"
    result = applied(cli, "sobel-x", gray_png, "-o", out, "--abs")
    magnitude = np.abs(filtered(decode(gray_png), "sobel-x"))
    np.testing.assert_array_equal(decode(out), quantized(magnitude))
    above = int(np.count_nonzero(np.rint(magnitude) > 255))
    assert above > 0 and f"(0 below, {above} above)" in result.stderr


def test_normalize_stretches_the_result_to_the_full_range(cli, gray_png, tmp_path):
    """--normalize maps the result's min..max onto 0..255."""
    out = tmp_path / "out.png"
    result = applied(cli, "sobel-x", gray_png, "-o", out, "--normalize")
    values = filtered(decode(gray_png), "sobel-x")
    stretched = (values - values.min()) / (values.max() - values.min()) * 255
    np.testing.assert_array_equal(decode(out), quantized(stretched))
    assert decode(out).min() == 0 and decode(out).max() == 255
    assert result.stderr == ""


def test_scale_replaces_the_kernels_own_and_accepts_fractions(cli, gray_png, tmp_path):
    """--scale 1/16 on the binomial weights gives exactly gaussian-3, and no weight-sum note."""
    out = tmp_path / "out.png"
    result = applied(cli, "1 2 1; 2 4 2; 1 2 1", gray_png, "-o", out, "--scale", "1/16")
    np.testing.assert_array_equal(decode(out), golden(decode(gray_png), "gaussian-3"))
    assert result.stderr == ""


@pytest.mark.parametrize("offset, added", [("50%", 127.5), ("10", 10.0), ("-25%", -63.75)])
def test_offset_is_added_after_scaling(cli, gray_png, tmp_path, offset, added):
    """--offset 50% adds half the range (127.5 for 8 bits); a plain number adds itself."""
    out = tmp_path / "out.npy"
    applied(cli, "sobel-x", gray_png, "-o", out, "--scale", "1/8", f"--offset={offset}")
    expected = filtered(decode(gray_png), "sobel-x") / 8 + added
    np.testing.assert_allclose(np.load(out), expected, rtol=0, atol=1e-4)


def test_offset_percent_is_a_share_of_the_16_bit_range(cli, tmp_path):
    """On a 16-bit image --offset 50% adds 32767.5."""
    pixels = ramp(6, 6, high=65536, seed=11)
    source = save(tmp_path / "in.png", pixels)
    out = tmp_path / "out.png"
    applied(cli, "sobel-x", source, "-o", out, "--scale", "1/8", "--offset", "50%")
    expected = quantized(filtered(pixels, "sobel-x") / 8 + 32767.5, 65535, 65535.0)
    np.testing.assert_array_equal(decode(out), expected)


def test_depth_16_from_8_bit_scales_by_257(cli, gray_png, tmp_path):
    """--depth 16 maps 0..255 onto 0..65535: the identity gives every value × 257."""
    out = tmp_path / "out.png"
    applied(cli, "identity", gray_png, "-o", out, "--depth", "16")
    result = decode(out)
    assert result.dtype == np.uint16
    np.testing.assert_array_equal(result, decode(gray_png).astype(np.uint16) * 257)


def test_depth_8_from_16_bit_scales_and_rounds(cli, tmp_path):
    """--depth 8 maps 0..65535 onto 0..255 with np.rint."""
    pixels = ramp(8, 8, high=65536, seed=12)
    source = save(tmp_path / "in.png", pixels)
    out = tmp_path / "out.png"
    applied(cli, "identity", source, "-o", out, "--depth", "8")
    assert mode_of(out) == "L"
    np.testing.assert_array_equal(decode(out), np.rint(pixels / 257).astype(np.uint8))


def test_depth_float_writes_a_float_tiff(cli, gray_png, tmp_path):
    """--depth float keeps signed, unclipped values in a one-channel TIFF."""
    out = tmp_path / "out.tif"
    applied(cli, "sobel-x", gray_png, "-o", out, "--depth", "float")
    assert mode_of(out) == "F"
    expected = filtered(decode(gray_png), "sobel-x").astype(np.float32)
    np.testing.assert_array_equal(decode(out), expected)


# -- channels ---------------------------------------------------------------------------------


def test_gray_converts_to_bt601_luma_first(cli, rgb_png, tmp_path):
    """--gray filters 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as Pillow)."""
    out = tmp_path / "out.png"
    applied(cli, "identity", rgb_png, "-o", out, "--gray")
    rgb = decode(rgb_png).astype(np.float64)
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert mode_of(out) == "L"
    np.testing.assert_array_equal(decode(out), quantized(luma))
    with Image.open(rgb_png) as image:
        pillow = np.asarray(image.convert("L")).astype(int)
    assert np.abs(decode(out).astype(int) - pillow).max() <= 1


def test_gray_on_rgba_keeps_alpha(cli, rgba_png, tmp_path):
    """--gray on RGBA gives LA, the alpha carried through."""
    out = tmp_path / "out.png"
    applied(cli, "box-3", rgba_png, "-o", out, "--gray")
    rgba = decode(rgba_png)
    assert mode_of(out) == "LA"
    luma = rgba[:, :, :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_array_equal(decode(out)[:, :, 1], rgba[:, :, 3])
    np.testing.assert_array_equal(decode(out)[:, :, 0], golden(luma, "box-3"))


def test_channels_r_filters_only_red(cli, rgb_png, tmp_path):
    """--channels R filters red; green and blue come out untouched."""
    out = tmp_path / "out.png"
    applied(cli, "sharpen", rgb_png, "-o", out, "--channels", "R")
    rgb, result = decode(rgb_png), decode(out)
    np.testing.assert_array_equal(result[:, :, 0], golden(rgb[:, :, 0], "sharpen"))
    np.testing.assert_array_equal(result[:, :, 1:], rgb[:, :, 1:])


def test_channels_a_filters_only_alpha(cli, rgba_png, tmp_path):
    """--channels A filters alpha alone; colour comes out untouched."""
    out = tmp_path / "out.png"
    applied(cli, "box-3", rgba_png, "-o", out, "--channels", "a")
    rgba, result = decode(rgba_png), decode(out)
    np.testing.assert_array_equal(result[:, :, 3], golden(rgba[:, :, 3], "box-3"))
    np.testing.assert_array_equal(result[:, :, :3], rgba[:, :, :3])


def test_premultiply_keeps_the_colour_of_soft_edges_and_blurs_alpha(cli, tmp_path):
    """A red disk on transparent black, box-7 --premultiply: every semi-transparent pixel stays
    pure red (no dark halo) and alpha is the box-7 blur of the original alpha."""
    rgba = disk_rgba()
    source = save(tmp_path / "disk.png", rgba)
    out = tmp_path / "out.png"
    applied(cli, "box-7", source, "-o", out, "--premultiply")
    result = decode(out)
    np.testing.assert_array_equal(result[:, :, 3], golden(rgba[:, :, 3], "box-7"))
    soft = (result[:, :, 3] > 0) & (result[:, :, 3] < 255)
    assert soft.sum() > 20
    assert np.all(result[soft][:, :3] == (255, 0, 0))


def test_without_premultiply_alpha_is_unchanged_and_edges_darken(cli, tmp_path):
    """Without --premultiply the same blur leaves alpha alone and mixes black into the edge."""
    rgba = disk_rgba()
    source = save(tmp_path / "disk.png", rgba)
    out = tmp_path / "out.png"
    applied(cli, "box-7", source, "-o", out)
    result = decode(out)
    np.testing.assert_array_equal(result[:, :, 3], rgba[:, :, 3])
    np.testing.assert_array_equal(result[:, :, :3], golden(rgba[:, :, :3], "box-7"))
    opaque_edge = (rgba[:, :, 3] == 255) & (result[:, :, 0] < 255)
    assert opaque_edge.any()


# -- printing instead of writing, and the size guard ------------------------------------------


def test_as_array_prints_the_result_matrix_on_stdout(cli):
    """apply --as-array prints indices and the raw result; stderr says what is shown."""
    source = SAMPLES / "tiny-16x16.txt"
    result = applied(cli, "sobel-x", source, "--as-array")
    columns, rows, values = parse_matrix(result.stdout)
    expected = filtered(np.loadtxt(source), "sobel-x")
    assert rows == list(range(16))
    np.testing.assert_array_equal(values, expected[: len(rows), columns[0] : columns[-1] + 1])
    assert columns[0] == 0 and len(columns) >= 12
    assert "16×16" in result.stderr


def test_as_array_with_an_output_file_does_not_silently_ignore_it(cli, gray_png, tmp_path):
    """``--as-array -o out.png`` either writes out.png too or refuses (exit 2); it never drops
    the output the user asked for without a word."""
    out = tmp_path / "out.png"
    result = cli("apply", "sharpen", gray_png, "--as-array", "-o", out)
    assert out.exists() or (result.exit_code == 2 and "Error:" in result.stderr), (
        f"exit {result.exit_code}, no {out.name} written, stderr: {result.stderr!r}"
    )


def test_max_pixels_refuses_larger_images_and_allows_equal_ones(cli, gray_png, tmp_path):
    """--max-pixels 107 refuses a 9×12 image (108 pixels); --max-pixels 108 accepts it."""
    out = tmp_path / "out.png"
    refused = cli("apply", "identity", gray_png, "-o", out, "--max-pixels", "107")
    assert refused.exit_code == 1
    assert "--max-pixels" in refused.stderr and not out.exists()
    applied(cli, "identity", gray_png, "-o", out, "--max-pixels", "108")
    np.testing.assert_array_equal(decode(out), decode(gray_png))


# -- messages: stderr says what happened, stdout stays data -----------------------------------


def clipping_counts(values: np.ndarray, out_max: int = 255) -> tuple[int, int]:
    rounded = np.rint(values)
    return int(np.count_nonzero(rounded < 0)), int(np.count_nonzero(rounded > out_max))


def test_clipping_prints_exactly_one_warning_with_the_counts(cli, gray_png, tmp_path):
    """Clipped values are counted on one stderr line: total, share, below and above."""
    result = applied(cli, "laplacian-8", gray_png, "-o", tmp_path / "out.png")
    low, high = clipping_counts(filtered(decode(gray_png), "laplacian-8"))
    assert low and high
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warning: ")
    assert f"{low + high:,} of 108 values" in lines[0]
    assert f"({low:,} below, {high:,} above)" in lines[0]
    assert result.stdout_bytes == b""


def test_clipping_counts_only_filtered_channels(cli, tmp_path):
    """Carried alpha is not counted: 4 opaque pixels pushed to 510 give 4 of 4×3 values."""
    rgba = np.full((2, 2, 4), 255, np.uint8)
    source = save(tmp_path / "in.png", rgba)
    result = applied(cli, "2", source, "-o", tmp_path / "out.png", "--scale", "1")
    assert "12 of 12 values" in result.stderr
    assert "(0 below, 12 above)" in result.stderr


def test_a_clipping_share_of_everything_reads_100_percent(cli, tmp_path):
    """When every value clips, the share is printed as 100%, not in scientific notation."""
    source = save(tmp_path / "white.png", np.full((4, 4), 255, np.uint8))
    result = applied(cli, "2", source, "-o", tmp_path / "out.png", "--scale", "1")
    assert "16 of 16 values (100%)" in result.stderr, result.stderr


@pytest.mark.parametrize("kernel, total", [("1 1 1", "3"), ("0 2 0; 0 0 0; 0 0 0", "2")])
def test_weights_summing_to_neither_0_nor_1_give_one_note(cli, tmp_path, kernel, total):
    """A kernel that changes brightness gets one note line (no clipping happens here)."""
    source = save(tmp_path / "dim.png", np.full((5, 5), 20, np.uint8))
    result = applied(cli, kernel, source, "-o", tmp_path / "out.png")
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("note: ") and f"sums to {total}," in lines[0]


@pytest.mark.parametrize("kernel", ["identity", "box-3", "gaussian:sigma=1", "sobel-x --abs"])
def test_no_message_when_nothing_clips_and_weights_sum_to_0_or_1(cli, tmp_path, kernel):
    """Kernels summing to 0 or 1 that clip nothing print nothing at all."""
    source = save(tmp_path / "mid.png", np.full((6, 6), 100, np.uint8))
    name, *flags = kernel.split()
    result = applied(cli, name, source, "-o", tmp_path / "out.png", *flags)
    assert result.stderr == ""
    assert result.stdout_bytes == b""


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_silences_warnings_and_notes_but_still_writes(cli, gray_png, tmp_path, flag):
    """--quiet before the command silences clipping warnings and weight notes."""
    out = tmp_path / "out.png"
    result = cli(flag, "apply", "1 1 1", gray_png, "-o", out)
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout_bytes == b""
    np.testing.assert_array_equal(decode(out), golden(decode(gray_png), "1 1 1"))


def test_the_weight_note_comes_once_per_kernel_even_when_repeated(cli, tmp_path):
    """'1 1 1' repeated three times is still one note."""
    source = save(tmp_path / "dim.png", np.full((5, 5), 1, np.uint8))
    result = applied(cli, "1 1 1", source, "-o", tmp_path / "out.png", "--repeat", "3")
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_reader_notes_are_warnings_on_stderr(cli, tmp_path):
    """An animated GIF is filtered from its first frame, and stderr says so."""
    frames = [Image.fromarray(np.full((4, 4), v, np.uint8)) for v in (10, 120, 240)]
    source = tmp_path / "anim.gif"
    frames[0].save(source, save_all=True, append_images=frames[1:])
    out = tmp_path / "out.png"
    result = applied(cli, "identity", source, "-o", out)
    assert re.search(r"warning: .*anim\.gif has 3 frames; only the first", result.stderr)
    assert np.all(decode(out) == 10)


def test_writer_notes_are_warnings_on_stderr(cli, rgba_png, tmp_path):
    """Writing RGBA to JPEG drops alpha, with one warning saying so."""
    out = tmp_path / "out.jpg"
    result = applied(cli, "identity", rgba_png, "-o", out)
    assert mode_of(out) == "RGB"
    assert "alpha was dropped" in result.stderr and len(result.stderr.splitlines()) == 1


def test_cmyk_to_png_is_converted_to_rgb_with_a_warning(cli, tmp_path):
    """A CMYK picture written to PNG becomes RGB, and stderr says so."""
    source = save(tmp_path / "in.tif", ramp(4, 4, 4, seed=13), "CMYK")
    out = tmp_path / "out.png"
    result = applied(cli, "identity", source, "-o", out)
    assert mode_of(out) == "RGB"
    assert "CMYK" in result.stderr and "RGB" in result.stderr
    with Image.open(source) as image:
        np.testing.assert_array_equal(decode(out), np.asarray(image.convert("RGB")))


def test_stdout_carries_only_the_image_when_warnings_are_printed(cli, gray_png):
    """With -o - and a clipping kernel, stdout is exactly a PNG; the warning is on stderr."""
    result = applied(cli, "laplacian-8", gray_png, "-o", "-")
    assert result.stdout_bytes.startswith(b"\x89PNG")
    assert "warning:" in result.stderr and b"warning" not in result.stdout_bytes
    with Image.open(io.BytesIO(result.stdout_bytes)) as image:
        image.load()
