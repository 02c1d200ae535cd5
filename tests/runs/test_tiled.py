"""Tiled filtering of images larger than memory equals the in-memory engine at every seam."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("dask.array", reason="the Dask extra is not installed")
tifffile = pytest.importorskip("tifffile", reason="the Dask extra is not installed")

from convcli.filtering.pipeline import (  # noqa: E402
    FilterOptions,
    filter_picture,
    filter_picture_rounded,
)
from convcli.filtering.quantize import quantize  # noqa: E402
from convcli.images.picture import Picture  # noqa: E402
from convcli.kernels import Kernel, resolve_kernel  # noqa: E402
from convcli.runs.tiled import filter_tiled  # noqa: E402

BORDERS = ["reflect", "mirror", "nearest", "wrap", "constant"]


def in_memory(image: np.ndarray, chain, options: FilterOptions, depth: str) -> np.ndarray:
    """What `convcli apply` computes with the whole image in memory."""
    pixels = image if image.ndim == 3 else image[:, :, None]
    picture = Picture(pixels, {1: "L", 3: "RGB"}[pixels.shape[2]])
    dtype = np.dtype({"8": np.uint8, "16": np.uint16}.get(depth, np.float32))
    fast = filter_picture_rounded(picture, chain, options, dtype) if depth != "float" else None
    result = fast[0] if fast else quantize(filter_picture(picture, chain, options), depth)[0].pixels
    return result[:, :, 0] if image.ndim == 2 else result


@pytest.fixture
def image() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, size=(61, 47, 3)).astype(np.uint8)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize(
    "kernel",
    ["gaussian-7", "1 2 3 4; 5 6 7 8", "motion:length=11,angle=30", "sobel-x"],
)
@pytest.mark.parametrize("chunk", [4, 33])
def test_tiles_equal_the_whole_image_at_every_seam(tmp_path, image, border, kernel, chunk):
    """Every border mode, odd and even and non-square kernels, chunks smaller than the halo
    (on a 23×19 corner, 30 tiles, so that every tile is a task without hundreds of them)."""
    if chunk < 10:
        image = image[:23, :19]
    np.save(tmp_path / "in.npy", image)
    options = FilterOptions(border=border, fill=40)
    chain = [resolve_kernel(kernel)]
    filter_tiled(str(tmp_path / "in.npy"), str(tmp_path / "out.npy"), chain, options, chunk=chunk)
    np.testing.assert_array_equal(
        np.load(tmp_path / "out.npy"), in_memory(image, chain, options, "8")
    )


@pytest.mark.parametrize("convolve", [False, True])
@pytest.mark.parametrize("dilation", [1, 2])
def test_direction_and_dilation_carry_over_to_tiles(tmp_path, image, convolve, dilation):
    """An asymmetric kernel, turned or not, dilated or not, tiles exactly."""
    np.save(tmp_path / "in.npy", image)
    options = FilterOptions(convolve=convolve, dilation=dilation, border="mirror")
    chain = [resolve_kernel("0 0 1; 0 0 2; 3 0 0")]
    filter_tiled(str(tmp_path / "in.npy"), str(tmp_path / "out.npy"), chain, options, chunk=9)
    np.testing.assert_array_equal(
        np.load(tmp_path / "out.npy"), in_memory(image, chain, options, "8")
    )


def test_chains_repeats_and_float_output_tile_exactly(tmp_path, image):
    """A chain applied twice, with float output, equals the in-memory float result."""
    np.save(tmp_path / "in.npy", image)
    options = FilterOptions(repeat=2, border="nearest")
    chain = [resolve_kernel("gaussian-3"), resolve_kernel("sharpen")]
    filter_tiled(
        str(tmp_path / "in.npy"), str(tmp_path / "o.npy"), chain, options, depth="float", chunk=10
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "o.npy"), in_memory(image, chain, options, "float")
    )


def test_without_halos_the_seams_are_wrong(tmp_path, image, monkeypatch):
    """Negative control: with no overlap between tiles, only the seams differ."""
    import convcli.runs.tiled as tiled

    np.save(tmp_path / "in.npy", image)
    chain = [resolve_kernel("gaussian-7")]
    expected = in_memory(image, chain, FilterOptions(), "8")
    real_step = tiled._step

    def no_halo(array, kernel, options, full_range, out_dtype, carried):
        import dask.array as da

        def block(values):
            return tiled._filter_block(
                np.pad(values, ((3, 3), (3, 3), (0, 0)), mode="symmetric"),
                kernel,
                options,
                full_range,
                out_dtype,
                carried,
            )

        return da.map_blocks(block, array, dtype=out_dtype)

    monkeypatch.setattr(tiled, "_step", no_halo)
    filter_tiled(
        str(tmp_path / "in.npy"), str(tmp_path / "bad.npy"), chain, FilterOptions(), chunk=16
    )
    monkeypatch.setattr(tiled, "_step", real_step)
    wrong = np.load(tmp_path / "bad.npy") != expected
    assert wrong.any()
    rows, cols = np.nonzero(wrong.any(axis=2))
    near_seam = (np.minimum(rows % 16, 16 - rows % 16) <= 3) | (
        np.minimum(cols % 16, 16 - cols % 16) <= 3
    )
    assert near_seam.all(), "without halos, only pixels near tile seams may differ"


@pytest.mark.parametrize("suffix", [".tif", ".zarr", ".npy"])
def test_outputs_are_written_band_by_band_in_every_format(tmp_path, image, suffix):
    """TIFF in, TIFF/zarr/npy out, the same pixels, and no temporary left behind."""
    tifffile.imwrite(tmp_path / "in.tif", image, tile=(16, 16))
    chain = [resolve_kernel("box-3")]
    report = filter_tiled(
        str(tmp_path / "in.tif"),
        str(tmp_path / f"out{suffix}"),
        chain,
        FilterOptions(),
        chunk=16,
        band_rows=1,
    )
    assert report.bands == -(-image.shape[0] // 16)
    if suffix == ".tif":
        written = tifffile.imread(tmp_path / "out.tif")
    elif suffix == ".zarr":
        import zarr

        written = zarr.open_array(str(tmp_path / "out.zarr"), mode="r")[:]
    else:
        written = np.load(tmp_path / "out.npy")
    np.testing.assert_array_equal(written, in_memory(image, chain, FilterOptions(), "8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.tif", f"out{suffix}"])


def test_a_16_bit_gray_tiff_stays_16_bit(tmp_path):
    """16-bit gray in, 16-bit gray out, equal to the in-memory result."""
    image = np.random.default_rng(1).integers(0, 65536, size=(40, 30)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", image)
    chain = [resolve_kernel("sharpen")]
    filter_tiled(
        str(tmp_path / "in.tif"), str(tmp_path / "out.tif"), chain, FilterOptions(), chunk=8
    )
    written = tifffile.imread(tmp_path / "out.tif")
    assert written.dtype == np.uint16
    picture = Picture(image[:, :, None], "L")
    expected = filter_picture_rounded(picture, chain, FilterOptions(), np.dtype(np.uint16))[0]
    np.testing.assert_array_equal(written, expected[:, :, 0])


@pytest.mark.parametrize(
    "options",
    [FilterOptions(padding="valid"), FilterOptions(stride=2), FilterOptions(gray=True)],
    ids=["valid", "stride", "gray"],
)
def test_what_cannot_tile_exactly_is_refused(tmp_path, image, options):
    """Size-changing geometry and colour conversions are refused with a usage error."""
    from convcli.errors import UsageError

    np.save(tmp_path / "in.npy", image)
    with pytest.raises(UsageError):
        filter_tiled(
            str(tmp_path / "in.npy"),
            str(tmp_path / "o.npy"),
            [Kernel(name="k", weights=np.ones((3, 3)))],
            options,
        )


def test_the_cli_tiles_on_request_and_matches_the_in_memory_run(tmp_path, image, cli):
    """`--tiled` gives the same file as a normal run."""
    np.save(tmp_path / "in.npy", image)
    assert (
        cli(
            "apply",
            "gaussian-5",
            tmp_path / "in.npy",
            "-o",
            tmp_path / "t.npy",
            "--tiled",
            "--chunk",
            "16",
            "--depth",
            "8",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "apply", "gaussian-5", tmp_path / "in.npy", "-o", tmp_path / "m.npy", "--depth", "8"
        ).exit_code
        == 0
    )
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), np.load(tmp_path / "m.npy"))


def test_an_image_above_the_pixel_limit_is_refused_with_a_pointer_to_tiles(tmp_path, image, cli):
    """Tiling is never automatic (a bomb would be tiled into a huge file): the refusal names
    --tiled, and with --tiled the same image is filtered."""
    tifffile.imwrite(tmp_path / "in.tif", image)
    refused = cli(
        "apply", "box-3", tmp_path / "in.tif", "-o", tmp_path / "out.tif", "--max-pixels", 100
    )
    assert refused.exit_code == 1 and "--tiled" in refused.stderr
    result = cli(
        "apply",
        "box-3",
        tmp_path / "in.tif",
        "-o",
        tmp_path / "out.tif",
        "--max-pixels",
        100,
        "--chunk",
        16,
        "--tiled",
    )
    assert result.exit_code == 0, result.stderr
    expected = in_memory(image, [resolve_kernel("box-3")], FilterOptions(), "8")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out.tif"), expected)


def test_without_the_extra_tiling_says_how_to_get_it(tmp_path, image, cli, monkeypatch):
    """No Dask: exit 2 and the exact hint."""
    np.save(tmp_path / "in.npy", image)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    result = cli("apply", "box-3", tmp_path / "in.npy", "-o", tmp_path / "o.npy", "--tiled")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: this needs the Dask extra: pip install 'convcli[dask]'"
