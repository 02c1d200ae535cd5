"""The direct strategy: in each strip, one shifted view per kernel tap, summed in place.

The schedule keeps passes over the strip to a minimum: taps that share a weight are summed
before one multiplication, weights of ±1 need no multiplication at all, and zero taps cost
nothing. A sharpening 3×3 kernel takes five passes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
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


#: Taps that share a weight's magnitude: (magnitude, taps with +, taps with −).
Magnitude = tuple[float, list[tuple[int, int]], list[tuple[int, int]]]


def by_magnitude(groups: Groups) -> list[Magnitude]:
    """The non-zero weights gathered by magnitude, the group that is cheapest to start with
    first (see :func:`passes`): Sobel's ±1 and ±2 become two groups, each one subtraction."""
    found: dict[float, Magnitude] = {}
    for weight, taps in groups:
        magnitude, plus, minus = found.setdefault(abs(weight), (abs(weight), [], []))
        (plus if weight > 0 else minus).extend(taps)
    magnitudes = sorted(found.values(), key=lambda group: group[0])
    # Starting with a group changes only that group's own cost: O(groups), not O(groups²)
    # (a random 31×31 kernel has 961 groups; the quadratic search took 0.3 s per plan).
    base = sum(_later_cost(group) for group in magnitudes)
    costs = [base - _later_cost(group) + _first_cost(group) for group in magnitudes]
    first = costs.index(min(costs)) if costs else 0
    return magnitudes[first : first + 1] + magnitudes[:first] + magnitudes[first + 1 :]


def passes(groups: Groups) -> int:
    """How many passes over a band :func:`correlate_strip` makes (the planner's cost)."""
    ordered = by_magnitude(groups)
    return sum(_later_cost(group) for group in ordered[1:]) + sum(
        _first_cost(group) for group in ordered[:1]
    )


def _first_cost(group: Magnitude) -> int:
    """Passes for the group written first, straight into the output."""
    magnitude, plus, minus = group
    views = len(plus) + len(minus)
    return 1 if views == 1 else views - 1 + (magnitude != 1 or not plus)


def _later_cost(group: Magnitude) -> int:
    """Passes for a group added (or subtracted) to the output, through scratch unless ±1."""
    magnitude, plus, minus = group
    views = len(plus) + len(minus)
    if magnitude == 1:
        return views
    return 2 if views == 1 else views + 1


def correlate_strip(
    strip: npt.NDArray[Any],
    magnitudes: list[Magnitude],
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
    scratch: npt.NDArray[Any],
) -> None:
    """Write ``count`` output rows into ``out`` from an extended ``strip``, in the passes
    :func:`passes` counts: the first magnitude group straight into ``out``, each other one added
    or subtracted directly (±1) or through ``scratch``.

    ``out`` and ``scratch`` have the accumulator's dtype and the band's output shape.
    """

    def view(tap: tuple[int, int]) -> npt.NDArray[Any]:
        return tap_view(strip, rows, cols, count, *tap)

    apply_magnitudes(magnitudes, view, out, scratch)


def apply_magnitudes(
    magnitudes: list[Magnitude],
    view: Callable[[tuple[int, int]], npt.NDArray[Any]],
    out: npt.NDArray[Any],
    scratch: npt.NDArray[Any],
) -> None:
    """``out = sum of weight × view(tap)`` over the groups, in the passes :func:`passes`
    counts; the separable strategy's 1-D passes use it too, with taps (0, j)."""
    if not magnitudes:
        out[...] = 0
        return
    cast = out.dtype.type
    magnitude, plus, minus = magnitudes[0]
    if len(plus) + len(minus) == 1 and (magnitude != 1 or minus):
        np.multiply(view((plus or minus)[0]), cast(magnitude if plus else -magnitude), out=out)
    else:
        sign = _signed_sum(out, [view(t) for t in plus], [view(t) for t in minus])
        if magnitude != 1 or sign < 0:
            np.multiply(out, cast(sign * magnitude), out=out)
    for magnitude, plus, minus in magnitudes[1:]:
        if magnitude == 1:
            for tap in plus:
                np.add(out, view(tap), out=out)
            for tap in minus:
                np.subtract(out, view(tap), out=out)
            continue
        if len(plus) + len(minus) == 1:
            np.multiply(view((plus or minus)[0]), cast(magnitude), out=scratch)
            sign = 1 if plus else -1
        else:
            sign = _signed_sum(scratch, [view(t) for t in plus], [view(t) for t in minus])
            np.multiply(scratch, cast(magnitude), out=scratch)
        (np.add if sign > 0 else np.subtract)(out, scratch, out=out)


def _signed_sum(
    target: npt.NDArray[Any], plus: list[npt.NDArray[Any]], minus: list[npt.NDArray[Any]]
) -> int:
    """``target = ±(sum(plus) − sum(minus))`` in one pass fewer than there are views (a single
    view: one copy); the sign it carries: −1 when there was nothing to add (``target`` then
    holds sum(minus))."""
    if not plus:
        sum_into(target, minus)
        return -1
    if len(plus) == 1 and not minus:
        np.copyto(target, plus[0])
        return 1
    if len(plus) >= 2:
        np.add(plus[0], plus[1], out=target)
        rest_plus, rest_minus = plus[2:], minus
    else:
        np.subtract(plus[0], minus[0], out=target)
        rest_plus, rest_minus = [], minus[1:]
    for v in rest_plus:
        np.add(target, v, out=target)
    for v in rest_minus:
        np.subtract(target, v, out=target)
    return 1


def sum_into(target: npt.NDArray[Any], views: list[npt.NDArray[Any]]) -> None:
    """``target = sum(views)`` in len(views) - 1 passes (one copy for a single view)."""
    if len(views) == 1:
        np.copyto(target, views[0], casting="unsafe")
        return
    np.add(views[0], views[1], out=target, casting="unsafe")
    for v in views[2:]:
        np.add(target, v, out=target, casting="unsafe")


def tap_view(
    strip: npt.NDArray[Any], rows: AxisPlan, cols: AxisPlan, count: int, i: int, j: int
) -> npt.NDArray[Any]:
    """The strip samples that tap (i, j) multiplies, for ``count`` output rows."""
    r0, c0 = i * rows.dilation, j * cols.dilation
    return strip[
        r0 : r0 + (count - 1) * rows.stride + 1 : rows.stride,
        c0 : c0 + (cols.length - 1) * cols.stride + 1 : cols.stride,
    ]
