"""A picture through layers: the input tensor as torchvision makes it, the steps' shapes,
receptive fields and multiply-adds, depthwise kernels agreeing with apply's engine, and
montages that show every map, each over its own range."""

from __future__ import annotations

import numpy as np
import pytest

from convcli.engine import correlate
from convcli.errors import UsageError
from convcli.filtering.networks import (
    IMAGENET,
    bank_picture,
    layer_input,
    map_names,
    map_ranges,
    montage,
    run_network,
)
from convcli.images.picture import Picture
from convcli.kernels import resolve_kernel
from convcli.kernels.network import Activation, Bank, Conv, Network, Pool, bank_from_kernel
from tests.pictures import ramp


def rgba(height: int = 10, width: int = 12) -> Picture:
    return Picture(ramp(height, width, 4, seed=3), "RGBA")


def test_the_input_is_channels_first_scaled_to_one_without_alpha():
    picture = rgba()
    tensor, layout = layer_input(picture)
    assert layout == "RGB" and tensor.shape == (3, 10, 12) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[1], picture.pixels[:, :, 1] / 255, rtol=1e-6)
    raw, _ = layer_input(picture, "raw")
    assert np.array_equal(raw[2], picture.pixels[:, :, 2])


def test_imagenet_normalisation_is_per_channel_after_scaling():
    picture = rgba()
    tensor, _ = layer_input(picture, normalize=IMAGENET)
    expected = (picture.pixels[:, :, 0] / 255 - 0.485) / 0.229
    np.testing.assert_allclose(tensor[0], expected, rtol=1e-5)
    with pytest.raises(UsageError, match="2 means and 1 deviations for 3 channels"):
        layer_input(picture, normalize=([0.5, 0.5], [0.2]))


def test_a_depthwise_plain_kernel_is_apply_s_correlation_with_zero_borders():
    picture = rgba()
    tensor, _ = layer_input(picture, "raw")
    kernel = resolve_kernel("sobel-x")
    step = Conv(bank_from_kernel(kernel), padding=("same", "same"), groups="depthwise")  # type: ignore[arg-type]
    result, (report,) = run_network(tensor, Network((step,)))
    for channel in range(3):
        expected = correlate(tensor[channel].astype(np.float64), kernel.weights, border="constant")
        np.testing.assert_allclose(result[channel], expected, atol=1e-3)
    assert report.shape == (3, 10, 12) and report.multiply_adds == 3 * 10 * 12 * 9


def test_shapes_receptive_fields_and_multiply_adds_follow_the_steps():
    bank = Bank(np.ones((8, 3, 5, 5), np.float32), None, tuple(f"k{n}" for n in range(8)))
    network = Network(
        (
            Conv(bank, stride=(2, 2), padding=(2, 2)),
            Activation("relu"),
            Pool("max", (2, 2)),
            Conv(
                Bank(np.ones((4, 8, 3, 3), np.float32), None, ("a", "b", "c", "d")), dilation=(2, 2)
            ),
        )
    )
    x = np.zeros((3, 40, 48), np.float32)
    result, reports = run_network(x, network)
    assert [r.shape for r in reports] == [(8, 20, 24), (8, 20, 24), (8, 10, 12), (4, 6, 8)]
    # field: 5; 5; 5 + (2-1)·2 = 7; 7 + (5-1)·4 = 23 (a dilated 3×3 spans 5)
    assert [r.field for r in reports] == [(5, 5), (5, 5), (7, 7), (23, 23)]
    assert reports[0].multiply_adds == 8 * 20 * 24 * 3 * 25
    assert reports[3].multiply_adds == 4 * 6 * 8 * 8 * 9
    assert result.shape == (4, 6, 8)
    assert map_names(network, 4) == ["a", "b", "c", "d"]


def test_each_map_gets_its_own_range_or_a_shared_one():
    maps = np.stack([np.full((4, 4), 2.0), np.arange(16.0).reshape(4, 4)]).astype(np.float32)
    assert map_ranges(maps, "per-map") == [(2.0, 2.0), (0.0, 15.0)]
    assert map_ranges(maps, "shared") == [(0.0, 15.0)] * 2


def test_a_montage_shows_every_map_with_its_name_and_range():
    maps = np.random.default_rng(0).standard_normal((96, 6, 6)).astype(np.float32)
    sheet = montage(maps, [f"map {n}" for n in range(96)], tile=24)
    columns = round(np.sqrt(96 * 1.5))
    rows = -(-96 // columns)
    assert sheet.width == columns * (max(24, 24) + 4) + 4
    assert sheet.height > rows * 24


def test_a_bank_of_three_channel_kernels_is_drawn_in_colour_others_per_channel():
    colour = bank_picture(np.random.default_rng(1).standard_normal((4, 3, 5, 5)), list("abcd"))
    assert colour.layout == "RGB"
    gray = bank_picture(np.ones((2, 2, 3, 3)), ["x", "y"], tile=30)
    assert gray.width == 2 * (30 + 4) + 4  # 4 tiles (2 kernels × 2 channels), 2 a row
