"""convcli.filtering.quantize and the job messages: float results become output samples by np.rint
then clipping, depth conversions scale exactly, and clipping is counted (never silent)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convcli.filtering.pipeline import Filtered
from convcli.filtering.quantize import Clipped, default_depth, quantize
from convcli.images.picture import Picture
from convcli.kernels import resolve_chain, resolve_kernel
from convcli.runs.jobs import clipping_note, weight_sum_notes


def result_of(values, source_dtype=np.uint8, layout="L", filtered=None) -> Filtered:
    """A Filtered holding ``values`` (H, W, C) as if filtered from a ``source_dtype`` picture."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, np.newaxis]
    source = Picture(np.zeros(values.shape, source_dtype), layout)
    flags = tuple(filtered) if filtered is not None else (True,) * values.shape[2]
    return Filtered(values, layout, flags, source)


@pytest.mark.parametrize(
    "dtype, array_output, depth",
    [
        (np.uint8, False, "8"),
        (np.uint16, False, "16"),
        (np.float32, False, "float"),
        (np.uint8, True, "float"),
        (np.uint16, True, "float"),
    ],
)
def test_outputs_keep_the_input_depth_and_arrays_keep_floats(dtype, array_output, depth):
    """8-bit stays 8-bit, 16-bit stays 16-bit, float stays float; .npy/.txt get floats."""
    picture = Picture(np.zeros((1, 1, 1), dtype), "L")
    assert default_depth(picture, array_output) == depth


def test_rounding_is_np_rint_then_clipping():
    """Half-way values round to even (np.rint), then 0..255 clipping; counts come before it."""
    values = [[-0.6, -0.4, 0.5, 1.5, 2.5, 254.5, 255.4, 255.6, 300.0]]
    picture, clipped = quantize(result_of(values), "8")
    assert picture.pixels.dtype == np.uint8
    assert picture.pixels[0, :, 0].tolist() == [0, 0, 0, 2, 2, 254, 255, 255, 255]
    assert clipped == Clipped(low=1, high=2, total=9)


def test_16_bit_rounding_clips_at_65535():
    """At 16 bits the ceiling is 65535."""
    picture, clipped = quantize(result_of([[65535.4, 65535.6, -1.0]], np.uint16), "16")
    assert picture.pixels[0, :, 0].tolist() == [65535, 65535, 0]
    assert (clipped.low, clipped.high) == (1, 1)


def test_8_to_16_bits_multiplies_by_257():
    """Every 8-bit value v becomes exactly 257 v (0 → 0, 255 → 65535)."""
    values = np.arange(256, dtype=np.float64).reshape(16, 16)
    picture, clipped = quantize(result_of(values), "16")
    assert picture.pixels.dtype == np.uint16
    np.testing.assert_array_equal(picture.pixels[:, :, 0], np.arange(256).reshape(16, 16) * 257)
    assert clipped.count == 0


def test_16_to_8_bits_divides_by_257_and_rounds():
    """Every 16-bit value v becomes rint(v / 257)."""
    values = np.arange(0, 65536, 97, dtype=np.float64)[np.newaxis, :]
    picture, _ = quantize(result_of(values, np.uint16), "8")
    np.testing.assert_array_equal(picture.pixels[0, :, 0], np.rint(values[0] / 257))


def test_float_depth_keeps_signed_unclipped_values_in_input_units():
    """depth float: float32, nothing rounded, nothing clipped, nothing counted as clipped."""
    values = [[-300.25, 0.5, 1000.125]]
    picture, clipped = quantize(result_of(values), "float")
    assert picture.pixels.dtype == np.float32
    assert picture.pixels[0, :, 0].tolist() == [-300.25, 0.5, 1000.125]
    assert clipped == Clipped(0, 0, 1)


def test_absolute_takes_the_magnitude_of_filtered_channels_only():
    """--abs flips negative filtered values; unfiltered channels are left alone."""
    values = np.array([[[-10.0, 200.0], [20.0, 100.0]]])
    picture, clipped = quantize(
        result_of(values, layout="LA", filtered=(True, False)), "8", absolute=True
    )
    assert picture.pixels[0].tolist() == [[10, 200], [20, 100]]
    assert clipped.count == 0


def test_normalize_stretches_filtered_channels_to_the_full_range():
    """--normalize maps min..max of the filtered channels onto 0..255 (or 0..65535)."""
    values = np.array([[[-50.0, 7.0], [0.0, 8.0], [150.0, 9.0]]])
    result = result_of(values, layout="LA", filtered=(True, False))
    picture, clipped = quantize(result, "8", normalize=True)
    assert picture.pixels[0, :, 0].tolist() == [0, 64, 255]  # 63.75 rounds to 64
    assert picture.pixels[0, :, 1].tolist() == [7, 8, 9]
    wide, _ = quantize(result, "16", normalize=True)
    assert wide.pixels[0, :, 0].tolist() == [0, 16384, 65535]  # 16383.75 rounds up
    assert clipped.count == 0


def test_normalize_of_a_flat_result_gives_zeros():
    """A constant result has no range to stretch: it becomes 0, not NaN."""
    picture, _ = quantize(result_of(np.full((2, 2), 42.0)), "8", normalize=True)
    assert np.all(picture.pixels == 0)


def test_normalize_then_abs_order():
    """--abs is applied before --normalize (the magnitude is what gets stretched)."""
    picture, _ = quantize(result_of([[-10.0, 0.0, 5.0]]), "8", absolute=True, normalize=True)
    assert picture.pixels[0, :, 0].tolist() == [255, 0, 128]  # 127.5 rounds to even: 128


def test_only_filtered_channels_are_counted_as_clipped():
    """Carried alpha never counts towards the clipping report."""
    values = np.array([[[300.0, 300.0, 300.0, 255.0]]])
    _, clipped = quantize(
        result_of(values, layout="RGBA", filtered=(True, True, False, False)), "8"
    )
    assert clipped == Clipped(low=0, high=2, total=2)


def test_the_output_keeps_the_source_metadata():
    """ICC profile and DPI ride along into the output picture; notes do not."""
    source = Picture(np.zeros((1, 1, 1), np.uint8), "L", icc_profile=b"icc", dpi=(72.0, 72.0))
    source = Picture(source.pixels, "L", icc_profile=b"icc", dpi=(72.0, 72.0), notes=("x",))
    picture, _ = quantize(Filtered(np.zeros((1, 1, 1)), "L", (True,), source), "8")
    assert (picture.icc_profile, picture.dpi, picture.notes) == (b"icc", (72.0, 72.0), ())


# -- what the job says about it ---------------------------------------------------------------


def test_no_clipping_means_no_note():
    assert clipping_note(Clipped(0, 0, 100), 255) is None


def test_the_clipping_note_gives_counts_share_and_remedies():
    """One line: how many of how many, the share, below and above, and how to keep them."""
    note = clipping_note(Clipped(low=1234, high=6, total=10000), 255)
    assert note is not None and "\n" not in note
    assert note.startswith("1,240 of 10,000 values (12%) fell outside 0..255")
    assert "(1,234 below, 6 above)" in note
    assert "`abs`" in note and "`normalize`" in note and ".npy" in note


@pytest.mark.parametrize(
    "clipped", [Clipped(0, 10, 10), Clipped(0, 999, 1000), Clipped(1, 0, 3), Clipped(0, 1, 10**6)]
)
def test_the_clipping_share_reads_as_a_plain_percentage(clipped):
    """Shares print as people write them (100%, 99.9%, 33%), never as 1e+02%."""
    note = clipping_note(clipped, 255)
    match = re.search(r"values \(([0-9]+(?:\.[0-9]+)?)%\)", note)
    assert match, note
    assert float(match.group(1)) == pytest.approx(100 * clipped.count / clipped.total, rel=0.05)


def test_the_clipping_note_names_the_16_bit_range():
    assert "0..65535" in clipping_note(Clipped(0, 1, 1), 65535)


@pytest.mark.parametrize(
    "spec, count",
    [
        ("sharpen", 0),
        ("sobel-x", 0),
        ("box-3", 0),
        ("sobel", 0),
        ("1 1 1", 1),
        ("0.5", 1),
        ("1 1 1 | sharpen | 2", 2),
    ],
)
def test_a_note_for_each_kernel_whose_weights_sum_to_neither_0_nor_1(spec, count):
    """Brightness-changing kernels get a note; 0- and 1-sum kernels and combined ones do not."""
    assert len(weight_sum_notes(resolve_chain(spec))) == count


def test_the_weight_note_gives_the_sum_and_the_fix():
    (note,) = weight_sum_notes([resolve_kernel("1 1 1")])
    assert "sums to 3" in note and "`scale` 1/3" in note


def test_a_kernel_repeated_in_a_chain_gets_one_note():
    kernel = resolve_kernel("1 1 1")
    assert len(weight_sum_notes([kernel, kernel, kernel])) == 1
