"""``convcli layer``: the options are PyTorch's conv2d arguments, the outputs hold every map
(.npy exactly, .tif a page each, an image a labelled montage), and ``show`` and ``kernels show``
read stacks and banks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from convcli.engine.conv2d import conv2d
from convcli.engine.pooling import activate, pool2d
from tests.pictures import error_line, ramp, save, snapshot

EDGES = """
layers:
  - conv:
      kernels:
        - name: vertical
          weights: "-1 0 1; -2 0 2; -1 0 1"
        - name: horizontal
          weights: sobel-y
        - name: rising
          weights: [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]]
        - name: falling
          weights: [[2, 1, 0], [1, 0, -1], [0, -1, -2]]
      padding: 1
  - activation: relu
  - pool: max:2
"""


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return save(tmp_path_factory.mktemp("layer") / "photo.png", ramp(21, 26, 3, seed=8))


@pytest.fixture(scope="module")
def tensor(photo):
    return np.moveaxis(ramp(21, 26, 3, seed=8).astype(np.float32), 2, 0) / np.float32(255)


@pytest.fixture
def bank(tmp_path):
    weight = np.random.default_rng(2).standard_normal((6, 3, 3, 4)).astype(np.float32)
    np.save(tmp_path / "bank.npy", weight)
    return tmp_path / "bank.npy", weight


def run(cli, *args):
    result = cli("layer", *args)
    assert result.exit_code == 0, result.stderr
    return result


def test_the_options_are_conv2d_s_arguments(cli, photo, tensor, bank, tmp_path):
    path, weight = bank
    bias = np.arange(6, dtype=np.float32)
    np.save(tmp_path / "bias.npy", bias)
    out = tmp_path / "maps.npy"
    run(
        cli,
        path,
        photo,
        "-o",
        out,
        "--stride",
        "2,1",
        "--padding",
        "1,2",
        "--padding-mode",
        "reflect",
        "--dilation",
        "1,2",
        "--bias",
        tmp_path / "bias.npy",
    )
    expected = conv2d(
        tensor, weight, bias, stride=(2, 1), padding=(1, 2), padding_mode="reflect", dilation=(1, 2)
    )
    got = np.load(out)
    assert got.dtype == np.float32 and got.shape == (6, 11, 24)  # floor((N+2p-d(k-1)-1)/s)+1
    np.testing.assert_array_equal(got, expected)


def test_a_tf_bank_groups_activation_and_pool(cli, photo, tensor, tmp_path):
    out = tmp_path / "maps.npy"
    weight = np.random.default_rng(4).standard_normal((3, 1, 3, 3)).astype(np.float32)
    np.save(tmp_path / "dw.npy", weight.transpose(2, 3, 1, 0))  # (kH, kW, C_in/groups, C_out)
    alone = cli("layer", tmp_path / "dw.npy", photo, "-o", out, "--layout", "tf")
    assert alone.exit_code == 2  # one channel a kernel, three in the input: groups needed
    error_line(alone.stderr, "expects 1 input channels", "has 3")
    run(
        cli,
        tmp_path / "dw.npy",
        photo,
        "-o",
        out,
        "--layout",
        "tf",
        "--groups",
        "3",
        "--padding",
        "tf-same",
        "--stride",
        "2",
        "--activation",
        "leaky-relu:0.2",
        "--pool",
        "avg:2,ceil,exclude-pad",
        "--input",
        "raw",
    )
    step = conv2d(tensor * 255, weight, stride=(2, 2), padding=("tf-same", "tf-same"), groups=3)
    assert step.shape == (3, 11, 13)  # TensorFlow's SAME: ceil(N / s)
    expected = pool2d(
        activate(step, "leaky-relu", 0.2), "avg", (2, 2), ceil_mode=True, count_include_pad=False
    )
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-6, atol=1e-4)


def test_a_plain_kernel_runs_depthwise_and_matches_apply(cli, photo, tmp_path):
    out = tmp_path / "sobel.npy"
    run(cli, "sobel-x", photo, "-o", out, "--padding", "same", "--input", "raw")
    applied = tmp_path / "applied.npy"
    assert cli("apply", "sobel-x", photo, "-o", applied, "--border", "constant").exit_code == 0
    np.testing.assert_allclose(np.load(out), np.moveaxis(np.load(applied), 2, 0), atol=1e-3)


def test_a_network_file_runs_in_order_and_explains_each_step(cli, photo, tmp_path):
    network = tmp_path / "edges.yaml"
    network.write_text(EDGES)
    result = run(cli, network, photo, "-o", tmp_path / "maps.npy", "--explain")
    maps = np.load(tmp_path / "maps.npy")
    assert maps.shape == (4, 10, 13) and maps.min() >= 0  # ReLU, then 2×2 max pooling
    for fragment in (
        "3×21×26",
        "conv 4×3×3×3",
        "4×21×26",
        "relu",
        "max pool 2×2",
        "4×10×13",
        "4×4",
        f"{4 * 21 * 26 * 27:,}",
    ):
        assert fragment in result.stderr, fragment
    assert result.stdout == ""


def test_without_an_output_the_maps_are_a_table(cli, photo, tmp_path):
    network = tmp_path / "edges.yaml"
    network.write_text(EDGES)
    result = run(cli, network, photo)
    assert "4 maps of 13×10" in result.stdout
    for name in ("vertical", "horizontal", "rising", "falling"):
        assert name in result.stdout


def test_tif_writes_a_float_page_per_map_and_maps_picks_some(cli, photo, bank, tmp_path):
    path, _ = bank
    run(cli, path, photo, "-o", tmp_path / "all.npy")
    everything = np.load(tmp_path / "all.npy")
    run(cli, path, photo, "-o", tmp_path / "some.tif", "--maps", "4,1")
    with Image.open(tmp_path / "some.tif") as tif:
        assert tif.n_frames == 2 and tif.mode == "F"
        for page, index in enumerate((4, 1)):
            tif.seek(page)
            np.testing.assert_array_equal(np.asarray(tif), everything[index])


def test_an_image_output_is_a_montage_of_every_map(cli, photo, bank, tmp_path):
    path, _ = bank
    result = run(cli, path, photo, "-o", tmp_path / "maps.png", "--tile", "32")
    assert "a montage of all 6 maps" in result.stderr
    with Image.open(tmp_path / "maps.png") as sheet:  # 6 maps of 23×19, 3 a row
        assert sheet.mode == "RGB" and sheet.width == 3 * (23 + 4) + 4


def test_a_npy_input_is_taken_as_channels_first(cli, photo, bank, tmp_path):
    path, _ = bank
    run(cli, path, photo, "-o", tmp_path / "first.npy")
    np.save(tmp_path / "second.npy", np.ones((2, 3, 1, 1), np.float32))  # 2 groups of 3
    run(
        cli,
        tmp_path / "second.npy",
        tmp_path / "first.npy",
        "-o",
        tmp_path / "next.npy",
        "--groups",
        "2",
    )
    first = np.load(tmp_path / "first.npy")
    expected = np.stack([first[0:3].sum(0), first[3:6].sum(0)])
    np.testing.assert_allclose(np.load(tmp_path / "next.npy"), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--padding", "half"], ["--padding", "'half'"]),
        (["--padding", "same", "--stride", "2"], ["--padding", "stride 1", "tf-same"]),
        (["--padding", "30", "--padding-mode", "reflect"], ["reflect", "smaller than the input"]),
        (["--groups", "2"], ["--groups", "divide"]),
        (["--pool", "max:2,soon"], ["--pool", "soon"]),
        (["--activation", "gelu"], ["--activation", "relu"]),
        (["--normalize-input", "0.5"], ["--normalize-input"]),
        (["--maps", "9"], ["--maps", "0–5"]),
        (["-o", "maps.csv"], ["maps.csv", ".npy, .tif"]),
    ],
)
def test_bad_options_are_one_line_usage_errors_and_write_nothing(
    cli, photo, bank, tmp_path, arguments, fragments
):
    path, _ = bank
    before = snapshot(tmp_path)
    arguments = [str(tmp_path / a) if a.endswith(".csv") else a for a in arguments]
    result = cli("layer", path, photo, *arguments)
    assert result.exit_code == 2, result.stderr
    error_line(result.stderr, *fragments)
    assert snapshot(tmp_path) == before


def test_a_network_file_refuses_single_layer_options(cli, photo, tmp_path):
    network = tmp_path / "edges.yaml"
    network.write_text(EDGES)
    result = cli("layer", network, photo, "--stride", "2")
    assert result.exit_code == 2
    error_line(result.stderr, "network file sets each layer's settings", "--stride")


def test_the_output_is_never_an_input(cli, photo, bank):
    path, _ = bank
    before = path.read_bytes()
    result = cli("layer", path, photo, "-o", path)
    assert result.exit_code == 2
    assert path.read_bytes() == before


def test_show_reads_a_stack_and_picks_a_map(cli, photo, bank, tmp_path):
    path, _ = bank
    run(cli, path, photo, "-o", tmp_path / "maps.npy")
    summary = cli("show", tmp_path / "maps.npy")
    assert summary.exit_code == 0, summary.stderr
    assert "6 maps of 23×19 (C, H, W)" in summary.stdout
    assert len([line for line in summary.stdout.splitlines() if line.strip()[:1].isdigit()]) >= 6
    one = cli("show", tmp_path / "maps.npy", "--channel", "5", "--format", "json")
    assert one.exit_code == 0, one.stderr
    import json

    values = np.array(json.loads(one.stdout)["values"], dtype=np.float32)
    np.testing.assert_array_equal(values, np.load(tmp_path / "maps.npy")[5])
    wrong = cli("show", tmp_path / "maps.npy", "--channel", "6")
    assert wrong.exit_code == 2
    error_line(wrong.stderr, "maps 0–5")


def test_kernels_show_draws_a_bank(cli, bank, tmp_path):
    path, _ = bank
    result = cli("kernels", "show", path, "-o", tmp_path / "filters.png")
    assert result.exit_code == 0, result.stderr
    assert "6 kernels of 3×3×4" in result.stdout
    with Image.open(tmp_path / "filters.png") as picture:
        assert picture.mode == "RGB"
    plain = cli("kernels", "show", "sobel-x", "-o", tmp_path / "x.png")
    assert plain.exit_code == 2
    error_line(plain.stderr, "kernels export")
