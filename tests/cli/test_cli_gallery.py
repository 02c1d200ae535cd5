"""``convcli gallery``: a labelled sheet of kernels on one image, each tile as apply writes it."""

from __future__ import annotations

import numpy as np

from convcli.filtering.gallery import gallery_tiles
from convcli.filtering.pipeline import FilterOptions, filter_picture
from convcli.filtering.quantize import quantize
from convcli.images.drawing import contact_sheet, reduced
from convcli.images.picture import Picture
from convcli.kernels import library_names, resolve_kernel
from tests.pictures import decode, ramp, save


def test_each_tile_is_what_apply_writes_for_that_kernel():
    picture = Picture(ramp(20, 24, 3, seed=1), "RGB")
    tiles = gallery_tiles(picture, [("sobel-x", resolve_kernel("sobel-x"))], absolute=True)
    assert [label for _, label in tiles] == ["original", "sobel-x"]
    expected, _ = quantize(
        filter_picture(picture, [resolve_kernel("sobel-x")], FilterOptions()), "8", absolute=True
    )
    assert np.array_equal(tiles[1][0].pixels, expected.pixels)
    assert tiles[0][0] is picture


def test_reduced_keeps_depth_and_fits_the_tile():
    picture = Picture(ramp(300, 200, 3, seed=2, high=65536), "RGB")
    small = reduced(picture, 96)
    assert (small.width, small.height) == (64, 96) and small.pixels.dtype == np.uint16
    assert reduced(small, 500) is small


def test_the_sheet_has_a_row_per_columns_tiles():
    tile = Picture(np.zeros((30, 40, 3), np.uint8), "RGB")
    sheet = contact_sheet([(tile, str(n)) for n in range(5)], columns=2)
    assert sheet.layout == "RGB" and sheet.width == 2 * 44 + 4
    assert sheet.height > 3 * 30


def test_the_default_sheet_shows_every_builtin(cli, tmp_path):
    source = save(tmp_path / "in.png", ramp(40, 50, 3, seed=3))
    target = tmp_path / "sheet.png"
    result = cli("gallery", source, "-o", target, "--tile", 32)
    assert result.exit_code == 0, result.stderr
    builtins = [name for name in library_names() if resolve_kernel(name).source == "built-in"]
    assert f"{len(builtins)} kernels on a" in result.stderr
    assert decode(target).ndim == 3


def test_kernels_and_tags_choose_the_tiles(cli, tmp_path):
    source = save(tmp_path / "in.png", ramp(40, 50, 3, seed=3))
    picked = cli("gallery", source, "-o", tmp_path / "a.png", "--kernels", "sharpen,box-3")
    assert picked.exit_code == 0 and "2 kernels" in picked.stderr
    edges = cli("gallery", source, "-o", tmp_path / "b.png", "--tag", "edges", "--abs")
    assert edges.exit_code == 0 and "kernels on a" in edges.stderr


def test_bad_choices_are_usage_errors(cli, tmp_path):
    source = save(tmp_path / "in.png", ramp(10, 10, 3))
    both = cli("gallery", source, "-o", tmp_path / "x.png", "--kernels", "a", "--tag", "b")
    assert both.exit_code == 2 and "--kernels or --tag" in both.stderr
    none = cli("gallery", source, "-o", tmp_path / "x.png", "--tag", "no-such-tag")
    assert none.exit_code == 2 and "no library kernel has the tag" in none.stderr
    plain = cli("gallery", source)  # CliRunner's stdout is no terminal
    assert plain.exit_code == 2 and "not a colour terminal" in plain.stderr
    assert not (tmp_path / "x.png").exists()
