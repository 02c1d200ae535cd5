"""``convcli show``: the summary (size, mode, depth, per-channel min/max/mean), the half-block
preview only on colour terminals, ``--as-array`` matrices cut to the terminal, and ``--format``
values that parse back to exactly the decoded pixels."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from pictures import SAMPLES, decode, parse_matrix, plain, png16_bytes, ramp, save
from PIL import Image
from rich.console import Console

from convcli.cli import show_cmd


def shown(cli, *args, input: bytes | None = None, env: dict[str, str] | None = None):
    result = cli("show", *args, input=input, env=env)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def colour_terminal(monkeypatch):
    """Make ``show`` print to a true-colour terminal 100 columns wide; returns nothing."""
    console = Console(force_terminal=True, color_system="truecolor", width=100, height=40)
    monkeypatch.setattr(show_cmd, "out_console", console)


# -- the summary ------------------------------------------------------------------------------


def summary_rows(stdout: str) -> dict[str, list[str]]:
    """{channel letter: [min, max, mean]} from the summary table."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in "RGBALCMYK" and len(parts[0]) == 1:
            rows[parts[0]] = parts[1:]
    return rows


@pytest.mark.parametrize(
    "name, layout, caption",
    [
        ("gray", "L", "12×9 pixels, L, 8-bit"),
        ("rgb", "RGB", "10×7 pixels, RGB, 8-bit"),
        ("rgba", "RGBA", "10×7 pixels, RGBA, 8-bit"),
    ],
)
def test_the_summary_lists_size_mode_depth_and_channel_statistics(
    cli, request, name, layout, caption
):
    """Without options: size, mode and depth, then min, max and mean of every channel."""
    path = request.getfixturevalue(f"{name}_png")
    result = shown(cli, path)
    decoded = decode(path)
    pixels = decoded.reshape(*decoded.shape[:2], -1)
    assert caption in " ".join(result.stdout.split())
    rows = summary_rows(result.stdout)
    assert list(rows) == list(layout)
    for index, letter in enumerate(layout):
        channel = pixels[:, :, index]
        low, high, mean = rows[letter]
        assert (int(low), int(high)) == (channel.min(), channel.max())
        assert float(mean) == pytest.approx(channel.mean(), rel=1e-3)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: save(d / "a.png", ramp(5, 6, high=65536)), "6×5 pixels, L (read from"),
        (
            lambda d: save(d / "a.tif", np.ones((4, 3), np.float32), "F"),
            "3×4 pixels, L (read from F), float",
        ),
        (lambda d: save(d / "a.tif", ramp(2, 2, 4), "CMYK"), "2×2 pixels, CMYK, 8-bit"),
        (
            lambda d: (
                (d / "a.png").write_bytes(png16_bytes(ramp(2, 3, 3, high=65536), "RGB"))
                and d / "a.png"
            ),
            "3×2 pixels, RGB (read from PNG 16-bit), 16-bit",
        ),  # fmt: skip
        (lambda d: SAMPLES / "logo-palette.png", "96×96 pixels, RGBA (read from P), 8-bit"),
    ],
    ids=["16-bit gray", "float", "cmyk", "16-bit rgb", "palette"],
)
def test_the_summary_names_the_mode_read_and_the_depth(cli, tmp_path, make, expected):
    """16-bit stays 16-bit, float is float, and an expanded mode says what it was read from."""
    result = shown(cli, make(tmp_path))
    assert expected in " ".join(result.stdout.split())


def test_the_summary_shows_dpi_and_icc_profile(cli, tmp_path):
    """Resolution and an embedded ICC profile are part of the summary."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(tmp_path / "a.tif", ramp(3, 3, 3), dpi=(300, 300), icc_profile=profile)
    caption = " ".join(shown(cli, path).stdout.split())
    assert "300 dpi" in caption and "ICC profile" in caption


def test_the_summary_shows_the_file_name_unbroken(cli, tmp_path):
    """A long file name is printed whole on one line, not wrapped at the table's width."""
    path = save(tmp_path / "a-rather-long-file-name-for-a-picture.png", ramp(3, 3))
    result = shown(cli, path)
    assert any(str(path) in line for line in result.stdout.splitlines()), result.stdout


def test_the_summary_of_stdin_works(cli, gray_png):
    """``show -`` reads the image from stdin."""
    result = shown(cli, "-", input=gray_png.read_bytes())
    assert "12×9 pixels, L, 8-bit" in result.stdout


# -- the preview ------------------------------------------------------------------------------


def test_no_preview_when_stdout_is_not_a_colour_terminal(cli, gray_png):
    """Piped or plain, stdout gets no half blocks; stderr says why the preview is missing."""
    result = shown(cli, gray_png)
    assert "▀" not in result.stdout
    assert "preview omitted" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_preview_in_half_blocks_on_a_true_colour_terminal(cli, gray_png, colour_terminal):
    """On a true-colour terminal the preview follows the summary, two pixel rows per line."""
    result = shown(cli, gray_png)
    assert "▀" in result.stdout
    assert "\x1b[38;2;" in result.stdout
    assert "preview omitted" not in result.stderr
    preview = [line for line in plain(result.stdout).splitlines() if "▀" in line]
    assert len(preview) in (4, 5)  # 9 pixel rows, two per line
    assert all(line.strip() == "▀" * 12 for line in preview)


def test_the_preview_draws_each_pixel_in_its_own_colour(cli, tmp_path, colour_terminal):
    """A 2×2 picture is one line: each cell's top colour as foreground, bottom as background."""
    pixels = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], np.uint8)
    result = shown(cli, save(tmp_path / "four.png", pixels))
    for top, bottom in (("255;0;0", "0;0;255"), ("0;255;0", "255;255;255")):
        assert f"38;2;{top};48;2;{bottom}m▀" in result.stdout


def test_the_preview_keeps_the_last_row_of_an_odd_height_picture(cli, tmp_path, colour_terminal):
    """A 3-row picture shows its third row too (as a top half with nothing below)."""
    pixels = np.zeros((3, 2, 3), np.uint8)
    pixels[2] = (255, 0, 0)
    result = shown(cli, save(tmp_path / "odd.png", pixels))
    assert "38;2;255;0;0" in result.stdout, "the last pixel row is missing from the preview"


@pytest.mark.slow
def test_force_color_gives_a_preview_in_a_real_process(run_convcli, gray_png):
    """FORCE_COLOR=1 makes a piped ``convcli show`` draw the preview."""
    finished = run_convcli("show", gray_png, env={"FORCE_COLOR": "1", "COLORTERM": "truecolor"})
    assert finished.returncode == 0
    assert "▀" in finished.stdout.decode()


@pytest.mark.slow
def test_no_color_omits_the_preview_even_on_a_terminal(run_convcli, gray_png):
    """NO_COLOR=1 means no colour, so no (meaningless, uncoloured) half-block preview."""
    env = {"FORCE_COLOR": "1", "COLORTERM": "truecolor", "NO_COLOR": "1"}
    finished = run_convcli("show", gray_png, env=env)
    assert finished.returncode == 0
    assert "▀" not in finished.stdout.decode()


# -- --as-array -------------------------------------------------------------------------------


def test_as_array_prints_row_and_column_indices_and_every_value(cli, gray_png):
    """A picture that fits is printed whole: indices, then exactly its values."""
    result = shown(cli, gray_png, "--as-array")
    columns, rows, values = parse_matrix(result.stdout)
    assert columns == list(range(12)) and rows == list(range(9))
    np.testing.assert_array_equal(values, decode(gray_png))
    assert "channel L of L: rows 0–8, columns 0–11 of 12×9" in result.stderr
    assert "--region" not in result.stderr


@pytest.mark.parametrize("channel", ["G", "g", "1"])
def test_channel_picks_one_channel_by_letter_or_index(cli, rgb_png, channel):
    """--channel G and --channel 1 print the green channel."""
    result = shown(cli, rgb_png, "--as-array", "--channel", channel)
    _, _, values = parse_matrix(result.stdout)
    np.testing.assert_array_equal(values, decode(rgb_png)[:, :, 1])
    assert "channel G of RGB" in result.stderr


def test_the_default_channel_is_the_first(cli, rgba_png):
    """Without --channel, the first channel (R) is printed."""
    _, _, values = parse_matrix(shown(cli, rgba_png, "--as-array").stdout)
    np.testing.assert_array_equal(values, decode(rgba_png)[:, :, 0])


@pytest.mark.parametrize("columns, lines", [("40", "20"), ("100", "40"), ("60", "12")])
def test_a_large_picture_is_cut_to_fit_the_terminal(cli, tmp_path, columns, lines):
    """The default region is a top-left corner that fits; stderr says what was cut."""
    pixels = ramp(200, 300, seed=7) // 2 + 100  # three digits everywhere
    path = save(tmp_path / "large.png", pixels)
    result = shown(cli, path, "--as-array", env={"COLUMNS": columns, "LINES": lines})
    assert all(len(line) <= int(columns) for line in result.stdout.splitlines())
    shown_columns, rows, values = parse_matrix(result.stdout)
    assert shown_columns == list(range(len(shown_columns))) and rows == list(range(len(rows)))
    assert len(rows) == max(int(lines) - 4, 8)
    assert len(shown_columns) >= (int(columns) - 4) // 4 - 1
    np.testing.assert_array_equal(values, pixels[: len(rows), : len(shown_columns)])
    note = f"rows 0–{len(rows) - 1}, columns 0–{len(shown_columns) - 1} of 300×200"
    assert note in result.stderr and "--region" in result.stderr


def test_column_indices_stay_apart_when_values_are_narrower(cli, tmp_path):
    """One-digit values under two-digit column indices: every index is still readable."""
    path = save(tmp_path / "narrow.png", np.tile(np.arange(30, dtype=np.uint8) % 10, (3, 1)))
    result = shown(cli, path, "--as-array")
    columns, rows, values = parse_matrix(result.stdout)
    assert columns == list(range(len(columns))), result.stdout.splitlines()[0]
    assert values.shape == (3, len(columns))


def test_region_shows_another_part_with_its_own_indices(cli, gray_png):
    """--region 2,3,4,5 shows columns 2..5 and rows 3..7, labelled as such."""
    result = shown(cli, gray_png, "--as-array", "--region", "2,3,4,5")
    columns, rows, values = parse_matrix(result.stdout)
    assert columns == [2, 3, 4, 5] and rows == [3, 4, 5, 6, 7]
    np.testing.assert_array_equal(values, decode(gray_png)[3:8, 2:6])


def test_a_region_past_the_edge_is_cut_and_says_so(cli, gray_png):
    """A region running off the image is cut at the edges, with a note on stderr."""
    result = shown(cli, gray_png, "--as-array", "--region", "10,7,5,5")
    columns, rows, values = parse_matrix(result.stdout)
    assert columns == [10, 11] and rows == [7, 8]
    np.testing.assert_array_equal(values, decode(gray_png)[7:, 10:])
    assert "cut at the image's edges" in result.stderr


def test_as_array_prints_16_bit_and_float_values(cli, tmp_path):
    """16-bit values print whole; float values print with up to 4 significant digits."""
    wide = ramp(3, 4, high=65536, seed=3)
    _, _, values = parse_matrix(shown(cli, save(tmp_path / "a.png", wide), "--as-array").stdout)
    np.testing.assert_array_equal(values, wide)
    floats = np.array([[0.5, -1.25], [3.14159, 100.0]], np.float32)
    np.save(tmp_path / "f.npy", floats)
    _, _, values = parse_matrix(shown(cli, tmp_path / "f.npy", "--as-array").stdout)
    np.testing.assert_allclose(values, floats, rtol=1e-3)


# -- --format ---------------------------------------------------------------------------------


def formatted(cli, path, fmt, *extra):
    return shown(cli, path, "--format", fmt, *extra).stdout_bytes


@pytest.mark.parametrize("fmt, separator", [("csv", ","), ("txt", None)])
def test_csv_and_txt_hold_exactly_one_channel(cli, rgb_png, fmt, separator):
    """csv and txt give the first channel by default, --channel B the blue one."""
    for extra, index in (((), 0), (("--channel", "B"), 2)):
        data = formatted(cli, rgb_png, fmt, *extra)
        values = np.loadtxt(io.StringIO(data.decode()), delimiter=separator)
        np.testing.assert_array_equal(values, decode(rgb_png)[:, :, index])


def test_json_holds_every_channel_and_describes_them(cli, rgba_png):
    """json gives width, height, channels, depth and the (H, W, C) values."""
    document = json.loads(formatted(cli, rgba_png, "json"))
    assert document["width"] == 10 and document["height"] == 7
    assert document["channels"] == "RGBA" and document["depth"] == "8-bit"
    np.testing.assert_array_equal(np.array(document["values"]), decode(rgba_png))


def test_json_with_a_channel_holds_that_channel(cli, rgba_png):
    """json --channel A gives the (H, W) alpha values."""
    document = json.loads(formatted(cli, rgba_png, "json", "--channel", "A"))
    assert document["channels"] == "A"
    np.testing.assert_array_equal(np.array(document["values"]), decode(rgba_png)[:, :, 3])


def test_npy_holds_every_channel_with_its_dtype(cli, rgb_png, tmp_path):
    """npy gives the (H, W, C) uint8 array itself."""
    values = np.load(io.BytesIO(formatted(cli, rgb_png, "npy")))
    assert values.dtype == np.uint8
    np.testing.assert_array_equal(values, decode(rgb_png))


@pytest.mark.parametrize(
    "pixels",
    [
        ramp(5, 4, high=65536, seed=5),
        np.random.default_rng(6).normal(0, 1000, (5, 4)).astype(np.float32),
        np.array([[1e-7, -3.4e38], [3.4e38, 0.1]], np.float32),
    ],
    ids=["16-bit", "float", "extreme floats"],
)
@pytest.mark.parametrize("fmt", ["csv", "txt", "json", "npy"])
def test_values_parse_back_exactly(cli, tmp_path, pixels, fmt):
    """Every format gives back exactly the decoded values, 16-bit and float32 included."""
    if pixels.dtype == np.float32:
        path = save(tmp_path / "in.tif", pixels, "F")
    else:
        path = save(tmp_path / "in.png", pixels)
    data = formatted(cli, path, fmt)
    if fmt == "npy":
        values = np.load(io.BytesIO(data))
    elif fmt == "json":
        values = np.array(json.loads(data)["values"])
    else:
        values = np.loadtxt(io.StringIO(data.decode()), delimiter="," if fmt == "csv" else None)
    np.testing.assert_array_equal(np.asarray(values).astype(pixels.dtype), pixels)


def test_format_with_a_region(cli, gray_png):
    """--format with --region writes that part only."""
    data = formatted(cli, gray_png, "csv", "--region", "1,2,3,4")
    values = np.loadtxt(io.StringIO(data.decode()), delimiter=",")
    np.testing.assert_array_equal(values, decode(gray_png)[2:6, 1:4])


def test_format_reads_stdin_and_writes_only_data(cli, tmp_path):
    """``show - --format csv`` works in a pipe, and reader warnings stay on stderr."""
    frames = [Image.fromarray(np.full((2, 3), v, np.uint8)) for v in (7, 9)]
    stream = io.BytesIO()
    frames[0].save(stream, format="GIF", save_all=True, append_images=frames[1:])
    result = shown(cli, "-", "--format", "csv", input=stream.getvalue())
    assert result.stdout == "7,7,7\n7,7,7\n"
    assert "2 frames" in result.stderr
