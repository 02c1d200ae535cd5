"""From float results to output samples: abs, normalise, depth conversion, rounding and clipping.

Clipping is never silent: the counts of values pushed below 0 or above full range come back
with the pixels, so the CLI can say how many negative edges a uint8 output lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from convcli.filtering.pipeline import Filtered
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
    out_max = 1.0 if depth == "float" else float(np.iinfo(DTYPES[depth]).max)

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

    values *= out_max / source.full_range
    np.rint(values, out=values)
    chosen = values[:, :, filtered]
    clipped = Clipped(
        low=int(np.count_nonzero(chosen < 0)),
        high=int(np.count_nonzero(chosen > out_max)),
        total=int(chosen.size),
    )
    np.clip(values, 0, out_max, out=values)
    pixels = values.astype(DTYPES[depth])
    return source.with_pixels(pixels, result.layout), clipped
