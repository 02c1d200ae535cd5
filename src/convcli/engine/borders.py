"""What lies outside the image: the index arithmetic that extends an axis by a border mode.

Indices are mapped arithmetically rather than with ``np.pad``, so any padding width, even one
wider than the image, extends exactly as scipy.ndimage does. The modes are described in
:mod:`convcli.engine.modes`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from convcli.engine.modes import Border


def source_indices(n: int, first: int, last: int, border: Border) -> npt.NDArray[np.intp]:
    """Map the extended positions ``first..last`` of an axis of length ``n`` onto ``0..n-1``.

    For ``constant`` the positions outside the axis are returned as -1.
    """
    i = np.arange(first, last + 1, dtype=np.intp)
    if border == "nearest":
        return np.clip(i, 0, n - 1)
    if border == "wrap":
        return np.mod(i, n)
    if border == "reflect":
        i = np.mod(i, 2 * n)
        return np.where(i >= n, 2 * n - 1 - i, i)
    if border == "mirror":
        if n == 1:
            return np.zeros_like(i)
        i = np.mod(i, 2 * n - 2)
        return np.where(i >= n, 2 * n - 2 - i, i)
    return np.where((i >= 0) & (i < n), i, -1)
