"""``convcli explain``: the value it explains is the value ``convcli apply`` writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.pictures import decode, ramp, save

CASES = [
    # kernel, border, stride, dilation, extra options
    ("sharpen", "reflect", 1, 1, []),
    ("sobel-x", "constant", 1, 1, ["--fill", "30"]),
    ("emboss", "mirror", 2, 1, []),
    ("box-5", "wrap", 1, 2, []),
    ("gaussian:sigma=1.5", "nearest", 3, 1, []),
    ("unsharp:sigma=1,amount=1.5", "reflect", 1, 2, []),
    ("1 2; 3 4", "constant", 2, 2, ["--convolve"]),
    ("0 1 0 2 0", "wrap", 1, 1, ["--padding", "valid"]),
    ("sobel-y", "reflect", 1, 1, ["--abs", "--scale", "1/4"]),
    ("laplacian-8", "mirror", 1, 1, ["--offset", "50%", "--depth", "16"]),
    ("box-3", "nearest", 2, 1, ["--padding", "full"]),
]


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return save(tmp_path_factory.mktemp("explain") / "photo.png", ramp(23, 29, 3, seed=4))


@pytest.mark.parametrize(("kernel", "border", "stride", "dilation", "extra"), CASES)
def test_the_explained_value_is_the_applied_value(
    cli, photo, tmp_path, kernel, border, stride, dilation, extra
):
    options = ["--border", border, "--stride", stride, "--dilation", dilation, *extra]
    applied = tmp_path / "out.png"
    result = cli("apply", kernel, photo, "-o", applied, "-q", *options)
    assert result.exit_code == 0, result.stderr
    pixels = decode(applied)
    rng = np.random.default_rng(len(kernel) + stride)
    for _ in range(6):
        y, x = (int(rng.integers(0, n)) for n in pixels.shape[:2])
        channel = int(rng.integers(0, 3))
        shown = cli(
            "explain",
            kernel,
            photo,
            "--at",
            f"{x},{y}",
            "--channel",
            channel,
            "--format",
            "json",
            *options,
        )
        assert shown.exit_code == 0, shown.stderr
        data = json.loads(shown.stdout)
        assert data["output"] == pixels[y, x, channel], (x, y, channel)
        assert data["rounded"] == data["output"]  # the steps shown lead to the value written
        assert data["sum"] == pytest.approx(float(np.sum(np.array(data["products"]))))


def test_the_text_view_shows_window_kernel_products_and_the_value(cli, photo, tmp_path):
    result = cli("explain", "sharpen", photo, "--at", "0,0")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for part in ("window", "kernel, as written (correlation)", "products", "sum of products"):
        assert part in text
    assert "by the border rule: reflect" in text
    assert "(what convcli apply writes)" in text
    applied = tmp_path / "out.png"
    cli("apply", "sharpen", photo, "-o", applied, "-q")
    assert f"output value: {decode(applied)[0, 0, 0]}" in text


def test_a_convolution_says_the_kernel_is_turned(cli, photo):
    result = cli("explain", "1 2; 3 4", photo, "--at", "3,3", "--convolve")
    assert "turned 180° (--convolve)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--at", "29,0"], "--at 29,0 lies outside the output, which is 29×23", 2),
        (["--at", "1"], "write the position as x,y", 2),
        (["--at", "1,1", "--channel", "Q"], "--channel 'Q'", 2),
    ],
)
def test_bad_positions_and_channels_are_usage_errors(cli, photo, args, message, code):
    result = cli("explain", "sharpen", photo, *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""


def test_chains_are_refused(cli, photo):
    result = cli("explain", "box-3 | sharpen", photo, "--at", "1,1")
    assert result.exit_code == 2
    assert "one plain kernel" in result.stderr


def test_help_shows_examples(cli):
    result = cli("explain", "--help")
    assert "convcli explain sharpen photo.png --at 120,48" in result.stdout
