"""convcli.filtering.pipeline: which channels the engine sees (colour, gray, chosen letters,
premultiplied alpha), how unfiltered channels follow the same geometry, chains, repeats and
overrides."""

from __future__ import annotations

import numpy as np
import pytest

from convcli.engine import EngineOptions
from convcli.errors import UsageError
from convcli.filtering.filters import apply_chain, apply_kernel, carried_unit
from convcli.filtering.pipeline import LUMA, FilterOptions, filter_picture, with_overrides
from convcli.images.picture import Picture
from convcli.kernels import resolve_chain, resolve_kernel

RNG = np.random.default_rng(0)
RGBA = RNG.integers(0, 256, (9, 11, 4)).astype(np.uint8)


def assert_float_results(actual, expected) -> None:
    """Float results agree to float32 precision (the engine rounds once, in float32)."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64), expected, rtol=0, atol=1e-6 * scale
    )


def run(picture: Picture, spec: str, **options):
    return filter_picture(picture, resolve_chain(spec), FilterOptions(**options))


def reference(values: np.ndarray, spec: str, full_range: float = 255.0, **engine) -> np.ndarray:
    return apply_chain(
        values.astype(np.float64), resolve_chain(spec), full_range=full_range, **engine
    )


def test_the_default_options_are_the_engines_defaults():
    """Correlation, reflect border, fill 0, same padding, stride and dilation 1, once."""
    options = FilterOptions()
    assert options.engine == EngineOptions(
        border="reflect", fill=0.0, padding="same", stride=1, dilation=1, method="auto"
    )
    assert (options.convolve, options.repeat, options.channels) == (False, 1, None)
    assert (options.premultiply, options.gray) == (False, False)


def test_a_gray_picture_is_filtered_by_the_engine():
    """An L picture gives apply_kernel's float result, flagged as filtered."""
    pixels = RGBA[:, :, :1]
    result = run(Picture(pixels, "L"), "sobel-x")
    np.testing.assert_array_equal(result.values, reference(pixels, "sobel-x"))
    assert result.layout == "L" and result.filtered == (True,)


def test_colour_channels_are_filtered_and_alpha_is_carried():
    """RGBA by default: R, G, B filtered; A comes through unchanged and unflagged."""
    result = run(Picture(RGBA, "RGBA"), "box-3")
    assert_float_results(result.values[:, :, :3], reference(RGBA[:, :, :3], "box-3"))
    np.testing.assert_array_equal(result.values[:, :, 3], RGBA[:, :, 3])
    assert result.filtered == (True, True, True, False)


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"padding": "valid"}, lambda a: a[1:-1, 1:-1]),
        ({"stride": 3}, lambda a: a[::3, ::3]),
        ({"padding": "valid", "dilation": 2}, lambda a: a[2:-2, 2:-2]),
        ({"padding": "valid", "stride": 2}, lambda a: a[1:-1, 1:-1][::2, ::2]),
        ({"padding": "full", "border": "nearest"}, lambda a: np.pad(a, 1, mode="edge")),
        (
            {"padding": "full", "border": "constant", "fill": 7},
            lambda a: np.pad(a, 1, constant_values=7),
        ),
    ],
    ids=["valid", "stride", "dilated valid", "valid+stride", "full nearest", "full constant"],
)
def test_carried_alpha_follows_the_geometry_of_the_filter(options, expected):
    """Padding, stride and dilation crop, subsample or extend alpha exactly like colour."""
    result = run(Picture(RGBA, "RGBA"), "box-3", **options)
    np.testing.assert_array_equal(result.values[:, :, 3], expected(RGBA[:, :, 3].astype(float)))
    assert result.values.shape[:2] == reference(RGBA[:, :, 0], "box-3", **options).shape


def test_carried_alpha_follows_combined_and_chained_kernels():
    """sobel (two 3×3 parts) then box-5 under valid padding crop alpha by 1 and then 2."""
    result = run(Picture(RGBA, "RGBA"), "sobel | box-5", padding="valid")
    np.testing.assert_array_equal(result.values[:, :, 3], RGBA[3:-3, 3:-3, 3])


def test_a_chain_is_applied_in_float_one_kernel_after_the_other():
    """'gaussian-3 | sharpen' equals apply_chain over both, with nothing rounded between."""
    result = run(Picture(RGBA[:, :, :3], "RGB"), "gaussian-3 | sharpen")
    np.testing.assert_array_equal(result.values, reference(RGBA[:, :, :3], "gaussian-3 | sharpen"))


def test_repeat_applies_the_whole_chain_again():
    """repeat=2 of 'a | b' is a, b, a, b (each step's values carried in fixed point)."""
    result = run(Picture(RGBA[:, :, :1], "L"), "box-3 | sharpen", repeat=2)
    expected = reference(RGBA[:, :, :1], "box-3 | sharpen | box-3 | sharpen")
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=16 * carried_unit(255))


def test_repeat_below_one_is_refused():
    with pytest.raises(UsageError, match="`repeat`"):
        run(Picture(RGBA[:, :, :1], "L"), "box-3", repeat=0)


@pytest.mark.parametrize("convolve, column", [(False, 4), (True, 6)])
def test_convolve_turns_the_kernel(convolve, column):
    """The one-hot '0 0 1' moves a dot left; with convolve=True it moves it right."""
    dot = np.zeros((1, 11, 1), np.uint8)
    dot[0, 5, 0] = 9
    result = run(Picture(dot, "L"), "0 0 1", convolve=convolve, border="constant")
    assert result.values[0, :, 0].tolist().index(9) == column


def test_relative_offsets_are_a_share_of_the_pictures_range():
    """50% means 127.5 on 8 bits and 32767.5 on 16 bits."""
    chain = with_overrides(resolve_chain("identity"), None, (0.5, True))
    for dtype, half in ((np.uint8, 127.5), (np.uint16, 32767.5)):
        picture = Picture(np.zeros((2, 2, 1), dtype), "L")
        result = filter_picture(picture, chain, FilterOptions())
        assert np.all(result.values == half)


# -- gray and channels ------------------------------------------------------------------------


def test_gray_is_bt601_luma():
    """gray=True filters 0.299 R + 0.587 G + 0.114 B."""
    assert LUMA == (0.299, 0.587, 0.114)
    result = run(Picture(RGBA[:, :, :3], "RGB"), "identity", gray=True)
    luma = RGBA[:, :, :3].astype(np.float64) @ np.array(LUMA)
    assert result.layout == "L"
    # Luminance reaches the engine in fixed point: within half a step of it.
    np.testing.assert_allclose(result.values[:, :, 0], luma, rtol=0, atol=carried_unit(255) / 2)


def test_gray_of_rgba_keeps_alpha():
    result = run(Picture(RGBA, "RGBA"), "box-3", gray=True)
    assert result.layout == "LA" and result.filtered == (True, False)
    np.testing.assert_array_equal(result.values[:, :, 1], RGBA[:, :, 3])


def test_gray_of_gray_changes_nothing():
    result = run(Picture(RGBA[:, :, :2], "LA"), "identity", gray=True)
    assert result.layout == "LA"
    np.testing.assert_array_equal(result.values, RGBA[:, :, :2])


def test_gray_of_cmyk_is_refused():
    with pytest.raises(UsageError, match="CMYK"):
        run(Picture(RGBA, "CMYK"), "identity", gray=True)


@pytest.mark.parametrize(
    "channels, flags",
    [("R", (1, 0, 0, 0)), ("gb", (0, 1, 1, 0)), ("A", (0, 0, 0, 1)), ("RGBA", (1, 1, 1, 1))],
)
def test_channels_choose_what_is_filtered_by_letter(channels, flags):
    """Chosen letters are filtered (case-insensitive); the others come through unchanged."""
    result = run(Picture(RGBA, "RGBA"), "box-3", channels=channels)
    assert result.filtered == tuple(bool(f) for f in flags)
    for index, flag in enumerate(flags):
        expected = reference(RGBA[:, :, index], "box-3") if flag else RGBA[:, :, index]
        assert_float_results(result.values[:, :, index], expected)


def test_cmyk_channels_are_filtered_per_channel():
    result = run(Picture(RGBA, "CMYK"), "sharpen", channels="CMY")
    assert result.filtered == (True, True, True, False)
    np.testing.assert_array_equal(result.values[:, :, 3], RGBA[:, :, 3])


@pytest.mark.parametrize("channels", ["Q", "", "RGBX", "L"])
def test_channels_the_picture_does_not_have_are_refused(channels):
    """An unknown letter is a usage error that lists the picture's channels."""
    with pytest.raises(UsageError, match="RGBA"):
        run(Picture(RGBA, "RGBA"), "box-3", channels=channels)


# -- premultiplied alpha ----------------------------------------------------------------------


def test_premultiply_filters_colour_weighted_by_alpha_and_alpha_itself():
    """Colour = filter(colour × alpha) / filter(alpha); alpha = filter(alpha)."""
    result = run(Picture(RGBA, "RGBA"), "box-3", premultiply=True)
    values = RGBA.astype(np.float64)
    alpha = apply_kernel(values[:, :, 3], resolve_kernel("box-3"))
    weighted = apply_kernel(values[:, :, :3] * values[:, :, 3:], resolve_kernel("box-3"))
    np.testing.assert_allclose(result.values[:, :, 3], alpha)
    np.testing.assert_allclose(result.values[:, :, :3], weighted / alpha[:, :, np.newaxis])
    assert result.filtered == (True, True, True, True)


def test_premultiply_keeps_a_flat_colour_flat_across_transparency():
    """Red at every opacity stays exactly red after blurring: no dark halo."""
    picture = np.zeros((7, 7, 4), np.uint8)
    picture[:, :, 0] = 255
    picture[:, :, 3] = np.linspace(0, 255, 49).reshape(7, 7).astype(np.uint8)
    picture[0, 0, 3] = 0
    result = run(Picture(picture, "RGBA"), "box-5", premultiply=True)
    visible = result.values[:, :, 3] > 0
    np.testing.assert_allclose(result.values[visible][:, 0], 255.0)


def test_premultiply_gives_zero_colour_where_alpha_stays_zero():
    """Fully transparent neighbourhoods have no colour to divide: they become 0, not NaN."""
    picture = np.zeros((5, 5, 4), np.uint8)
    picture[:, :, :3] = 200
    result = run(Picture(picture, "RGBA"), "box-3", premultiply=True)
    assert np.all(result.values == 0)


def test_premultiply_without_alpha_changes_nothing():
    """A picture with no alpha is filtered as usual."""
    plain = run(Picture(RGBA[:, :, :3], "RGB"), "box-3")
    weighted = run(Picture(RGBA[:, :, :3], "RGB"), "box-3", premultiply=True)
    np.testing.assert_array_equal(plain.values, weighted.values)


# -- overrides --------------------------------------------------------------------------------


def test_scale_and_offset_replace_the_last_kernels_own():
    """--scale/--offset change the last kernel of a chain and leave the rest alone."""
    chain = resolve_chain("box-3 | emboss-grey")
    changed = with_overrides(chain, 0.5, (10.0, False))
    assert changed[0] is chain[0]
    assert (changed[1].scale, changed[1].offset, changed[1].offset_relative) == (0.5, 10.0, False)
    assert chain[1].offset_relative  # the original kernel is not modified


def test_no_overrides_leave_the_chain_as_it_is():
    chain = resolve_chain("box-3 | sharpen")
    assert with_overrides(chain, None, None) == chain


def test_a_relative_offset_override_keeps_its_kernel_scale():
    (kernel,) = with_overrides(resolve_chain("box-3"), None, (0.25, True))
    assert kernel.scale == pytest.approx(1 / 9) and kernel.offset_for(255) == 63.75
