"""The one rule that turns filter responses into output samples, used by every path.

For integer samples every strategy computes the same exact integer sum ``S`` of the kernel's
whole-number form (``forms.integer_form``); the response is ``float64(S) * factor``, and then,
in float64 and in this order::

    value  = response * scale + offset
    sample = clip(rint(value * depth), 0, top)      # rint: halves to even

``depth`` converts the input's full range to the output's (1 when they are equal). Whatever
strategy, band, tile, process or machine computed ``S``, the output bytes are the same.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Finish:
    """What follows the response: ``rint((response * scale + offset) * depth)``, clipped."""

    scale: float = 1.0
    offset: float = 0.0
    depth: float = 1.0


def values(
    response: npt.NDArray[Any], finish: Finish, *, in_place: bool = False
) -> npt.NDArray[np.float64]:
    """``(response * scale + offset) * depth`` in float64, before rounding: a new array, or
    ``response`` itself when it is float64 and may be overwritten."""
    own = in_place and response.dtype == np.float64
    result = response if own else np.asarray(response, dtype=np.float64).copy()
    if finish.scale != 1:
        np.multiply(result, finish.scale, out=result)
    if finish.offset != 0:
        np.add(result, finish.offset, out=result)
    if finish.depth != 1:
        np.multiply(result, finish.depth, out=result)
    return result


class Clipping:
    """Counts, across bands and threads, the values clipping changed."""

    def __init__(self) -> None:
        self.low = self.high = 0
        #: Whether the last band clipped below and above: the next then counts that side at
        #: once, without first looking for its minimum or maximum (sharpened 8-bit pictures
        #: clip in nearly every band). A hint only: the counts are the same either way.
        self.recent = (False, False)
        self._lock = threading.Lock()

    def add(self, low: int, high: int) -> None:
        with self._lock:
            self.low += low
            self.high += high


def to_samples(
    response: npt.NDArray[Any],
    finish: Finish,
    out: npt.NDArray[Any],
    clipping: Clipping,
    *,
    in_place: bool = False,
) -> None:
    """Write ``response`` into the integer array ``out`` by the rule, counting clipped values
    (``in_place``: ``response`` may be overwritten)."""
    rounded = values(response, finish, in_place=in_place)
    np.rint(rounded, out=rounded)
    clip_into(rounded, out, clipping)


def sums_to_samples(
    sums: npt.NDArray[Any],
    factor: float,
    finish: Finish,
    out: npt.NDArray[Any],
    clipping: Clipping,
) -> None:
    """The rule applied straight to a band of exact integer sums (any dtype holding them).

    Two shortcuts give the rule's very result in fewer passes: sums that are the samples
    already, and a right shift where factor * scale * depth is 2^-k with no offset.
    """
    if sums.dtype.kind in "iu" and finish.offset == 0:
        if factor == 1 and finish.scale == 1 and finish.depth == 1:
            clip_into(sums, out, clipping)
            return
        shift = _power_of_two_shift(factor * finish.scale * finish.depth, factor, finish)
        if shift:
            clip_into(_halve_rounding_to_even(sums, shift), out, clipping)
            return
    to_samples(response_of(sums, factor), finish, out, clipping, in_place=True)


def response_of(sums: npt.NDArray[Any], factor: float) -> npt.NDArray[np.float64]:
    """``float64(S) * factor``: the response, one rounding from the exact sum (float64 sums,
    a band's scratch buffer, are scaled where they are)."""
    result = sums if sums.dtype == np.float64 else sums.astype(np.float64)
    if factor != 1:
        np.multiply(result, factor, out=result)
    return result


def clip_into(values: npt.NDArray[Any], out: npt.NDArray[Any], clipping: Clipping) -> None:
    """Clip whole-number ``values`` to ``out``'s range and narrow, counting what changed."""
    top_int = int(np.iinfo(out.dtype).max)
    top: float | int = top_int if values.dtype.kind in "iu" else float(top_int)
    below, above = clipping.recent
    low = int(np.count_nonzero(values < 0)) if below or values.min() < 0 else 0
    high = int(np.count_nonzero(values > top)) if above or values.max() > top else 0
    clipping.recent = (low > 0, high > 0)
    if low or high:
        np.clip(values, 0, top, out=out, casting="unsafe")
        clipping.add(low, high)
    else:
        np.copyto(out, values, casting="unsafe")


def _power_of_two_shift(multiplier: float, factor: float, finish: Finish) -> int:
    """``k`` if each of factor, scale and depth is a power of two (so their product, and the
    float64 rule, are exact) and the product is 2^-k with 1 <= k < 15."""
    for part in (factor, finish.scale, finish.depth):
        if part <= 0 or np.frexp(part)[0] != 0.5:
            return 0
    mantissa, exponent = np.frexp(multiplier)
    k = 1 - int(exponent)
    return k if mantissa == 0.5 and 1 <= k < 15 else 0


def _halve_rounding_to_even(band: npt.NDArray[Any], shift: int) -> npt.NDArray[Any]:
    """``np.rint(band / 2**shift)`` in integer arithmetic, exactly the float64 rule's result.

    ``(a + 2**(shift-1) - 1 + ((a >> shift) & 1)) >> shift`` rounds halves to even, for
    negative ``a`` too (``>>`` floors). In place when the additions cannot overflow the band's
    own type, else in int64.
    """
    room = int(np.iinfo(band.dtype).max) - (1 << (shift - 1))
    values = band if int(band.max()) <= room else band.astype(np.int64)
    parity = np.right_shift(values, shift)
    np.bitwise_and(parity, 1, out=parity)
    np.add(values, parity, out=values)
    np.add(values, (1 << (shift - 1)) - 1, out=values)
    np.right_shift(values, shift, out=values)
    return values
