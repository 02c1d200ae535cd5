"""The direct strategy: in each strip, one shifted view per kernel tap, summed in place.

The schedule keeps passes over the strip to a minimum: taps that share a weight are summed
before one multiplication, weights of ±1 need no multiplication at all, and zero taps cost
nothing. A sharpening 3×3 kernel takes five passes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.geometry import AxisPlan

Groups = list[tuple[float, list[tuple[int, int]]]]


def tap_groups(kernel: npt.NDArray[np.float64]) -> Groups:
    """Non-zero weights with the taps that carry them; a +1 group (cheapest start) first."""
    groups: dict[float, list[tuple[int, int]]] = defaultdict(list)
    for (i, j), weight in np.ndenumerate(kernel):
        if weight != 0:
            groups[float(weight)].append((i, j))
    return sorted(groups.items(), key=lambda item: (item[0] != 1, -len(item[1])))


def correlate_strip(
    strip: npt.NDArray[Any],
    groups: Groups,
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
    scratch: npt.NDArray[Any],
) -> None:
    """Write ``count`` output rows into ``out`` from an extended ``strip``.

    ``out`` and ``scratch`` have the accumulator's dtype and the band's output shape.
    """
    if not groups:
        out[...] = 0
        return
    cast = out.dtype.type

    def view(tap: tuple[int, int]) -> npt.NDArray[Any]:
        return tap_view(strip, rows, cols, count, *tap)

    first_weight, first_taps = groups[0]
    _sum_into(out, [view(t) for t in first_taps])
    if first_weight != 1:
        np.multiply(out, cast(first_weight), out=out)
    for weight, taps in groups[1:]:
        views = [view(t) for t in taps]
        if weight in (1, -1):
            combine = np.add if weight == 1 else np.subtract
            for v in views:
                combine(out, v, out=out)
            continue
        if len(views) == 1:
            np.multiply(views[0], cast(weight), out=scratch)
        else:
            _sum_into(scratch, views)
            np.multiply(scratch, cast(weight), out=scratch)
        np.add(out, scratch, out=out)


def _sum_into(target: npt.NDArray[Any], views: list[npt.NDArray[Any]]) -> None:
    """``target = sum(views)`` in len(views) - 1 passes (one copy for a single view)."""
    if len(views) == 1:
        np.copyto(target, views[0])
        return
    np.add(views[0], views[1], out=target)
    for v in views[2:]:
        np.add(target, v, out=target)


def tap_view(
    strip: npt.NDArray[Any], rows: AxisPlan, cols: AxisPlan, count: int, i: int, j: int
) -> npt.NDArray[Any]:
    """The strip samples that tap (i, j) multiplies, for ``count`` output rows."""
    r0, c0 = i * rows.dilation, j * cols.dilation
    return strip[
        r0 : r0 + (count - 1) * rows.stride + 1 : rows.stride,
        c0 : c0 + (cols.length - 1) * cols.stride + 1 : cols.stride,
    ]
