"""The direct strategy: one strided view of the extended image per distinct weight, summed in place.

This is the reference strategy the faster ones are checked against: it reads exactly the samples
the definition in :mod:`convcli.engine.geometry` names, accumulating in float64.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from convcli.engine.geometry import AxisPlan


def correlate_direct(
    extended: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    rows: AxisPlan,
    cols: AxisPlan,
) -> npt.NDArray[np.float64]:
    """Correlate an already extended (H', W'[, C]) array with a 2-D kernel.

    Taps that share a weight are summed first and multiplied once; zero taps are skipped.
    """
    out_shape = (rows.length, cols.length, *extended.shape[2:])
    out = np.zeros(out_shape, dtype=np.float64)
    scratch = np.empty(out_shape, dtype=np.float64)

    taps_by_weight: dict[float, list[tuple[int, int]]] = defaultdict(list)
    for (i, j), w in np.ndenumerate(weights):
        if w != 0:
            taps_by_weight[float(w)].append((i, j))

    for weight, taps in taps_by_weight.items():
        group = out if len(taps_by_weight) == 1 else scratch
        for n, (i, j) in enumerate(taps):
            view = _tap_view(extended, rows, cols, i, j)
            if n == 0:
                np.copyto(group, view)
            else:
                np.add(group, view, out=group)
        np.multiply(group, weight, out=group)
        if group is scratch:
            np.add(out, scratch, out=out)
    return out


def _tap_view(
    extended: npt.NDArray[np.float64], rows: AxisPlan, cols: AxisPlan, i: int, j: int
) -> npt.NDArray[np.float64]:
    """The samples tap (i, j) multiplies, for every output position."""
    r0 = rows.start + rows.pad_before + i * rows.dilation
    c0 = cols.start + cols.pad_before + j * cols.dilation
    return extended[
        r0 : r0 + (rows.length - 1) * rows.stride + 1 : rows.stride,
        c0 : c0 + (cols.length - 1) * cols.stride + 1 : cols.stride,
    ]
