"""What lies outside the image: border-mode names and the index arithmetic that extends an axis.

The five modes and their meanings are scipy.ndimage's (shown for the left edge of ``a b c d``)::

    reflect   d c b a | a b c d | d c b a  half-sample symmetric: OpenCV REFLECT, np "symmetric"
    mirror      d c b | a b c d | c b a    whole-sample symmetric: OpenCV REFLECT_101, np "reflect"
    nearest   a a a a | a b c d | d d d d  replicate the edge: OpenCV REPLICATE, np "edge"
    wrap      a b c d | a b c d | a b c d  periodic: OpenCV WRAP, np "wrap"
    constant  k k k k | a b c d | k k k k  k = fill: OpenCV CONSTANT, np "constant"

The trap: NumPy's ``np.pad(mode="reflect")`` is scipy's (and convcli's) ``mirror``.
Indices are mapped arithmetically rather than with ``np.pad``, so any padding width, even one
wider than the image, extends exactly as scipy.ndimage does.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from convcli.errors import EngineArgumentError

Border = Literal["reflect", "mirror", "nearest", "wrap", "constant"]
BORDERS: tuple[Border, ...] = ("reflect", "mirror", "nearest", "wrap", "constant")

#: Other tools' names for the same five behaviours. Deliberately absent: "reflect" in NumPy's
#: sense and ImageMagick's "mirror", which would contradict the scipy names above.
BORDER_ALIASES: dict[str, Border] = {
    "symmetric": "reflect",
    "half-symmetric": "reflect",
    "grid-mirror": "reflect",
    "reflect101": "mirror",
    "reflect-101": "mirror",
    "whole-symmetric": "mirror",
    "replicate": "nearest",
    "edge": "nearest",
    "clamp": "nearest",
    "extend": "nearest",
    "neumann": "nearest",
    "periodic": "wrap",
    "circular": "wrap",
    "tile": "wrap",
    "loop": "wrap",
    "grid-wrap": "wrap",
    "zero": "constant",
    "zeros": "constant",
    "fill": "constant",
    "pad": "constant",
    "dirichlet": "constant",
    "grid-constant": "constant",
}

#: Aliases that pin the fill value as well as the mode.
_ZERO_FILL_ALIASES = frozenset({"zero", "zeros", "dirichlet"})


def canonical_border(name: str, fill: float = 0.0) -> Border:
    """Return the scipy name for ``name`` (any case, ``_`` or ``-``), or raise a clear error."""
    if not isinstance(name, str):
        raise EngineArgumentError(f"border must be a name such as 'reflect', not {name!r}")
    key = name.strip().lower().replace("_", "-")
    if key in BORDERS:
        return key
    if key in BORDER_ALIASES:
        if key in _ZERO_FILL_ALIASES and fill != 0:
            raise EngineArgumentError(
                f"border {name!r} means a fill of 0; use border='constant' with fill={fill:g}"
            )
        return BORDER_ALIASES[key]
    raise EngineArgumentError(
        f"unknown border {name!r}; choose one of {', '.join(BORDERS)} "
        f"(or an alias: {', '.join(sorted(BORDER_ALIASES))})"
    )


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


def extend_axis(
    array: npt.NDArray[np.float64],
    axis: int,
    before: int,
    after: int,
    border: Border,
    fill: float,
) -> npt.NDArray[np.float64]:
    """Return ``array`` with ``before`` and ``after`` samples added along ``axis``."""
    if before == 0 and after == 0:
        return array
    n = array.shape[axis]
    if border == "constant":
        widths = [(0, 0)] * array.ndim
        widths[axis] = (before, after)
        return np.pad(array, widths, mode="constant", constant_values=fill)
    return np.take(array, source_indices(n, -before, n - 1 + after, border), axis=axis)
