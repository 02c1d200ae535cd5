"""convcli.images.views: choosing a channel, cutting a region, fitting a terminal, and values
written as csv, txt, json or npy that parse back exactly."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from convcli.errors import UsageError
from convcli.images.picture import Picture
from convcli.images.views import choose_channel, crop, encode_values, fitting_region

RGBA = Picture(np.arange(5 * 6 * 4, dtype=np.uint8).reshape(5, 6, 4), "RGBA")


@pytest.mark.parametrize(
    "channel, index",
    [(None, 0), ("R", 0), ("g", 1), (" B ", 2), ("A", 3), ("0", 0), ("3", 3)],
)
def test_a_channel_is_chosen_by_letter_or_index(channel, index):
    assert choose_channel(RGBA, channel) == index


@pytest.mark.parametrize("channel", ["4", "L", "RG", "-1", ""])
def test_channels_the_picture_lacks_are_refused_with_the_choices(channel):
    with pytest.raises(UsageError, match=r"channels RGBA \(R, G, B, A or 0–3\)"):
        choose_channel(RGBA, channel)


@pytest.mark.parametrize(
    "box, fitted, cut",
    [
        ((0, 0, 6, 5), (0, 0, 6, 5), False),
        ((1, 2, 3, 2), (1, 2, 3, 2), False),
        ((4, 3, 10, 10), (4, 3, 2, 2), True),
        ((5, 4, 1, 1), (5, 4, 1, 1), False),
    ],
)
def test_a_region_is_cut_at_the_edges(box, fitted, cut):
    assert crop(RGBA.pixels, box) == (fitted, cut)


@pytest.mark.parametrize("box", [(6, 0, 1, 1), (0, 5, 1, 1), (100, 100, 2, 2)])
def test_a_region_entirely_outside_is_refused(box):
    with pytest.raises(UsageError, match="lies outside the 6×5 image"):
        crop(RGBA.pixels, box)


def test_a_small_picture_fits_whole():
    assert fitting_region(np.zeros((5, 6)), 80, 24) == (0, 0, 6, 5)


def test_a_wide_picture_is_cut_to_whole_cells():
    """Three-digit values take 4 characters; 3 more are for the row index column."""
    values = np.full((100, 100), 200)
    x, y, width, height = fitting_region(values, 43, 10)
    assert (x, y, height) == (0, 0, 10)
    assert width == (43 - 4) // 4


def test_negative_and_float_values_take_more_room():
    """Cells are as wide as the values as shown (4 significant digits), plus a space."""
    values = np.full((3, 50), -1.2345678)
    assert fitting_region(values, 80, 10)[2] == (80 - 2) // len(" -1.235")


def test_at_least_one_row_and_column_fits():
    assert fitting_region(np.full((4, 4), 123456), 3, 1)[2:] == (1, 1)


# -- values for pipelines ---------------------------------------------------------------------


def parse(data: bytes, fmt: str) -> np.ndarray:
    if fmt == "npy":
        return np.load(io.BytesIO(data))
    if fmt == "json":
        return np.array(json.loads(data)["values"])
    return np.loadtxt(io.StringIO(data.decode()), delimiter="," if fmt == "csv" else None, ndmin=2)


@pytest.mark.parametrize("fmt", ["csv", "txt"])
def test_csv_and_txt_hold_one_channel(fmt):
    data, cut = encode_values(RGBA, None, None, fmt)
    assert not cut
    np.testing.assert_array_equal(parse(data, fmt), RGBA.pixels[:, :, 0])
    data, _ = encode_values(RGBA, "B", None, fmt)
    np.testing.assert_array_equal(parse(data, fmt), RGBA.pixels[:, :, 2])


def test_csv_is_comma_separated_and_txt_space_separated():
    assert encode_values(RGBA, None, (0, 0, 3, 1), "csv")[0] == b"0,4,8\n"
    assert encode_values(RGBA, None, (0, 0, 3, 1), "txt")[0] == b"0 4 8\n"


@pytest.mark.parametrize("fmt", ["json", "npy"])
def test_json_and_npy_hold_every_channel_unless_one_is_chosen(fmt):
    np.testing.assert_array_equal(parse(encode_values(RGBA, None, None, fmt)[0], fmt), RGBA.pixels)
    alpha = parse(encode_values(RGBA, "A", None, fmt)[0], fmt)
    np.testing.assert_array_equal(alpha, RGBA.pixels[:, :, 3])


def test_json_describes_the_values():
    document = json.loads(encode_values(RGBA, None, (1, 1, 2, 3), "json")[0])
    assert {k: document[k] for k in ("width", "height", "channels", "depth")} == {
        "width": 2,
        "height": 3,
        "channels": "RGBA",
        "depth": "8-bit",
    }
    assert json.loads(encode_values(RGBA, "g", None, "json")[0])["channels"] == "G"


def test_npy_keeps_the_sample_type():
    wide = Picture(np.array([[[65535]]], np.uint16), "L")
    assert np.load(io.BytesIO(encode_values(wide, None, None, "npy")[0])).dtype == np.uint16


def test_a_region_is_applied_and_cutting_is_reported():
    data, cut = encode_values(RGBA, None, (4, 3, 5, 5), "csv")
    assert cut
    np.testing.assert_array_equal(parse(data, "csv"), RGBA.pixels[3:, 4:, 0])


@pytest.mark.parametrize("fmt", ["csv", "txt", "json"])
def test_float32_values_survive_text_exactly(fmt):
    """Floats are written with 9 significant digits: enough to give back every float32."""
    values = np.random.default_rng(0).normal(0, 1e4, (4, 5)).astype(np.float32)
    values[0, :3] = [1e-30, -3.4e38, 0.1]
    picture = Picture(values[:, :, np.newaxis], "L")
    back = parse(encode_values(picture, None, None, fmt)[0], fmt).astype(np.float32)
    np.testing.assert_array_equal(back, values)


def test_whole_numbers_are_written_without_a_decimal_point():
    picture = Picture(np.array([[[2.0], [-3.0], [0.5]]], np.float32), "L")
    assert encode_values(picture, None, None, "txt")[0] == b"2 -3 0.5\n"
