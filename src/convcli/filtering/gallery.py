"""Many kernels on one picture, each result as ``apply`` would write it: a contact sheet's tiles."""

from __future__ import annotations

from collections.abc import Sequence

from convcli.filtering.pipeline import FilterOptions, filter_picture
from convcli.filtering.quantize import default_depth, quantize
from convcli.images.picture import Picture
from convcli.kernels import AnyKernel


def gallery_tiles(
    picture: Picture,
    kernels: Sequence[tuple[str, AnyKernel]],
    *,
    absolute: bool = False,
    options: FilterOptions | None = None,
) -> list[tuple[Picture, str]]:
    """The original first, then each kernel's result at the picture's own depth: signed
    results clipped as ``apply`` writes them, or their magnitude with ``absolute``."""
    depth = default_depth(picture, array_output=False)
    tiles = [(picture, "original")]
    for name, kernel in kernels:
        filtered = filter_picture(picture, [kernel], options or FilterOptions())
        result, _ = quantize(filtered, depth, absolute=absolute)
        tiles.append((result, name))
    return tiles
