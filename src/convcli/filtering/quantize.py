"""From float results to output samples: abs, normalise, depth conversion, rounding and clipping.

Clipping is never silent: the counts of values pushed below 0 or above full range come back
with the pixels, so the CLI can say how many negative edges a uint8 output lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from convcli.engine.samples import Clipping, Finish, to_samples
from convcli.filtering.pipeline import Filtered, output_depth
from convcli.images.picture import Picture

Depth = Literal["8", "16", "float"]
DTYPES: dict[str, Any] = {"8": np.uint8, "16": np.uint16, "float": np.float32}


@dataclass(frozen=True)
class Clipped:
    """How many filtered values fell outside the output range (before clipping)."""

    low: int
    high: int
    total: int  #: filtered values in all

    @property
    def count(self) -> int:
        return self.low + self.high


def default_depth(picture: Picture, array_output: bool) -> Depth:
    """Outputs keep the input's depth; array formats (.npy, .txt) keep the raw float result.

    Float results stay in the input's units (0..255 for an 8-bit input), signed and unclipped.
    """
    if array_output or picture.is_float:
        return "float"
    return "16" if picture.pixels.dtype == np.uint16 else "8"


def quantize(
    result: Filtered,
    depth: Depth,
    *,
    absolute: bool = False,
    normalize: bool = False,
) -> tuple[Picture, Clipped]:
    """The output Picture at ``depth``, and what clipping did to the filtered channels."""
    values = result.values.astype(np.float64)
    filtered = np.array(result.filtered)
    source = result.source

    if absolute:
        values[:, :, filtered] = np.abs(values[:, :, filtered])
    if normalize and filtered.any():
        chosen = values[:, :, filtered]
        low, high = float(chosen.min()), float(chosen.max())
        stretched = (chosen - low) / (high - low) if high > low else np.zeros_like(chosen)
        values[:, :, filtered] = stretched * source.full_range
    if depth == "float":  # raw results in the input's units: signed, unclipped
        pixels = values.astype(np.float32)
        return source.with_pixels(pixels, result.layout), Clipped(0, 0, int(filtered.sum()))

    dtype = np.dtype(DTYPES[depth])
    pixels = np.empty(values.shape, dtype=dtype)
    finish = Finish(depth=output_depth(dtype, source.full_range))
    clipping = Clipping()  # only what clipping did to filtered values is reported
    for channels, counts in ((filtered, clipping), (~filtered, Clipping())):
        if channels.any():
            part = np.empty(values[:, :, channels].shape, dtype=dtype)
            to_samples(values[:, :, channels], finish, part, counts)
            pixels[:, :, channels] = part
    clipped = Clipped(
        clipping.low, clipping.high, total=int(np.count_nonzero(filtered)) * values[:, :, 0].size
    )
    return source.with_pixels(pixels, result.layout), clipped
