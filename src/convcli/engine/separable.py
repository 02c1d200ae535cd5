"""The separable strategy: a kernel as a sum of outer products, each run as two 1-D passes.

A rank-1 kernel (Gaussian, box, Sobel) costs kh + kw multiply-adds per sample instead of kh·kw.
Whole-number forms (``forms.integer_form``) arrive split into whole-number factors, so integer
images stay exact; float images' kernels are split by SVD into as few terms as keep the kernel
within a relative 1e-9, or into a single tap plus a rank-1 blur (unsharp masks), the tap
costing one pass. A 1-D pass whose taps are all equal (a box) runs by doubling, about
2·log2(length) additions; one whose taps are (1 + x)^m times a rest (binomials) runs as m
additions of neighbours and then the rest, its taps grouped by magnitude.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.direct import (
    Magnitude,
    apply_magnitudes,
    by_magnitude,
    passes,
    tap_groups,
)
from convcli.engine.forms import Term, integer_factors
from convcli.engine.geometry import AxisPlan

#: A separation is accepted when it reproduces the kernel to this fraction of sum(|w|).
TOLERANCE = 1e-9


def is_box(taps: npt.NDArray[np.float64]) -> bool:
    """Whether a 1-D pass has equal taps (to 1e-12), so running sums can do it."""
    return len(taps) >= 4 and bool(np.allclose(taps, taps[0], rtol=1e-12, atol=0))


def float_terms(kernel: npt.NDArray[np.float64], tolerance: float = TOLERANCE) -> list[Term]:
    """The fewest rank-1 terms whose sum is the kernel within ``tolerance`` of sum(|w|):
    whole-number factors when an integer kernel has them, a single tap plus one rank-1 term
    when that is all it takes (unsharp masks: the image plus a blur), else by SVD."""
    exact = integer_factors(kernel)
    if exact is not None:
        return [exact]
    terms = _svd_terms(kernel, tolerance)
    if len(terms) > 1:
        return _point_and_rank_1(kernel, tolerance) or terms
    return terms


def _svd_terms(kernel: npt.NDArray[np.float64], tolerance: float) -> list[Term]:
    u, s, vt = np.linalg.svd(kernel)
    size = float(np.abs(kernel).sum()) or 1.0
    approximation = np.zeros_like(kernel)
    terms = []
    for k in range(len(s)):
        if s[k] == 0:
            break
        root = math.sqrt(s[k])
        term = _balanced(Term(_snapped(u[:, k] * root), _snapped(vt[k] * root)))
        terms.append(term)
        approximation += np.outer(term.column, term.row)
        if float(np.abs(kernel - approximation).sum()) <= tolerance * size:
            break
    return terms or [Term(np.zeros(kernel.shape[0]), np.zeros(kernel.shape[1]))]


def is_point(term: Term) -> bool:
    """Whether a term is a single tap: one multiplication of a shifted view, no 1-D passes."""
    return int(np.count_nonzero(term.column)) == 1 == int(np.count_nonzero(term.row))


def _point_and_rank_1(kernel: npt.NDArray[np.float64], tolerance: float) -> list[Term] | None:
    """``[tap, rest]`` when the kernel is one rank-1 term plus a single tap, at the centre or
    at its largest weight: the value that makes the rest rank 1 at that tap is
    ``K[i, j'] K[i', j] / K[i', j']`` for any pivot (i', j') off its row and column."""
    height, width = kernel.shape
    if height < 2 or width < 2:
        return None
    size = float(np.abs(kernel).sum()) or 1.0
    largest = np.unravel_index(int(np.argmax(np.abs(kernel))), kernel.shape)
    # Weights near the float range's ends may overflow on the way: such a split is refused
    # by the final check (NaN and inf compare false), never raised as a warning.
    with np.errstate(all="ignore"):
        for i, j in dict.fromkeys([(height // 2, width // 2), (int(largest[0]), int(largest[1]))]):
            others = np.abs(kernel).copy()
            others[i, :] = others[:, j] = 0
            pivot_i, pivot_j = np.unravel_index(int(np.argmax(others)), kernel.shape)
            if others[pivot_i, pivot_j] == 0:
                continue
            rest = kernel.copy()
            rest[i, j] = kernel[i, pivot_j] * (kernel[pivot_i, j] / kernel[pivot_i, pivot_j])
            if not np.isfinite(rest[i, j]):
                continue
            terms = _svd_terms(rest, tolerance)
            if len(terms) != 1:
                continue
            column, row = np.zeros(height), np.zeros(width)
            column[i], row[j] = 1.0, kernel[i, j] - rest[i, j]
            point = Term(column, row)
            approximation = np.outer(column, row) + np.outer(terms[0].column, terms[0].row)
            if row[j] != 0 and float(np.abs(kernel - approximation).sum()) <= tolerance * size:
                return [point, terms[0]]
    return None


def _snapped(taps: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Taps within 1e-12 of the largest of each other made equal, and as small made zero: an
    SVD leaves a symmetric kernel's mirrored taps a few ulps apart, and equal taps share one
    multiplication (the kernel moves by far less than float32 can show)."""
    snapped = taps.copy()
    tolerance = 1e-12 * float(np.abs(taps).max(initial=0.0))
    snapped[np.abs(taps) <= tolerance] = 0.0
    order = np.argsort(snapped, kind="stable")
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or snapped[order[end]] - snapped[order[end - 1]] > tolerance:
            snapped[order[start:end]] = snapped[order[start]]
            start = end
    return snapped


def _balanced(term: Term) -> Term:
    """The term rescaled so that its column's most common weight is exactly 1, the factor
    moved to the row: a pass saves its multiplication for those taps."""
    column = term.column[term.column != 0]
    if not len(column):
        return term
    counts = Counter(column.tolist())  # not np.unique: its first call imports numpy.ma (20 ms)
    factor = max(counts, key=lambda value: (counts[value], -value))  # ties: the smallest
    return Term(term.column / factor, term.row * factor)


def correlate_strip(
    strip: npt.NDArray[Any],
    terms: list[Term],
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
    buffers: Any,
) -> None:
    """Write ``count`` output rows into ``out`` from an extended ``strip``, term by term.

    ``buffers(name, shape)`` hands out per-thread scratch arrays of the accumulator's dtype.
    """
    rows_in = (count - 1) * rows.stride + rows.span
    width_in = strip.shape[1]
    channels = strip.shape[2]
    # Vertical first needs no pass over the band's halo rows; horizontal first pays when a
    # column stride shrinks the rows. Decided by the strides alone, never by the band's size,
    # so that any cutting of the image (bands, tiles) gives bit-identical results.
    vertical_first = cols.stride == 1
    for number, term in enumerate(terms):
        target = out if number == 0 else buffers("term", out.shape)
        if is_point(term):
            _point_into(strip, term, rows, cols, count, target)
            if number > 0:
                np.add(out, target, out=out)
            continue
        if vertical_first:
            middle = buffers("middle", (count, width_in, channels))
            pass_1d(
                strip[:rows_in], term.column, 0, rows.dilation, rows.stride, count, middle, buffers
            )
            pass_1d(middle, term.row, 1, cols.dilation, cols.stride, cols.length, target, buffers)
        else:
            middle = buffers("middle", (rows_in, cols.length, channels))
            pass_1d(
                strip[:rows_in],
                term.row,
                1,
                cols.dilation,
                cols.stride,
                cols.length,
                middle,
                buffers,
            )
            pass_1d(middle, term.column, 0, rows.dilation, rows.stride, count, target, buffers)
        if number > 0:
            np.add(out, target, out=out)


def _point_into(
    strip: npt.NDArray[Any],
    term: Term,
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
) -> None:
    """A single-tap term: its weight times the strip shifted to that tap, in one pass."""
    i, j = int(np.flatnonzero(term.column)[0]), int(np.flatnonzero(term.row)[0])
    weight = float(term.column[i] * term.row[j])
    view = _along(
        _along(strip, 0, i * rows.dilation, rows.stride, count),
        1,
        j * cols.dilation,
        cols.stride,
        cols.length,
    )
    if weight == 1:
        np.copyto(out, view, casting="unsafe")
    else:
        np.multiply(view, out.dtype.type(weight), out=out, casting="unsafe")


def pass_1d(
    source: npt.NDArray[Any],
    taps: npt.NDArray[np.float64],
    axis: int,
    dilation: int,
    stride: int,
    count: int,
    out: npt.NDArray[Any],
    buffers: Any,
) -> None:
    """1-D correlation along ``axis``: ``out[m] = sum_j taps[j] * src[m*stride + j*dilation]``."""
    schedule = _schedule(tuple(taps.tolist()), dilation, stride)
    if schedule.box:
        _box(source, len(taps), float(taps.mean()), axis, stride, count, out, buffers)
        return
    if schedule.pairs:
        fused = len(schedule.rest) == 1
        source = _pair_sums(
            source, schedule.pairs, len(schedule.rest), axis, dilation, count, out, fused, buffers
        )
        if fused:
            if schedule.rest[0] != 1:
                np.multiply(out, out.dtype.type(schedule.rest[0]), out=out)
            return
    scratch = buffers("group", out.shape)
    apply_magnitudes(
        schedule.magnitudes,
        lambda tap: _along(source, axis, tap[1] * dilation, stride, count),
        out,
        scratch,
    )


@dataclass(frozen=True)
class _Schedule:
    """How :func:`pass_1d` runs a set of taps: by doubling (a box), or ``pairs`` sums of two
    neighbours and then the ``rest``'s taps (0, j), grouped by magnitude as the direct strategy
    groups its taps (Sobel's [-1, 0, 1] is one subtraction)."""

    box: bool
    pairs: int
    rest: tuple[float, ...]
    magnitudes: list[Magnitude]
    cost: float  #: passes over the output (the planner's count)


@functools.lru_cache(maxsize=256)
def _schedule(taps: tuple[float, ...], dilation: int, stride: int) -> _Schedule:
    """Worked out once per set of taps, not once per band (it costs ~0.2 ms of Python)."""
    weights = np.array(taps)
    if dilation == 1 and is_box(weights):
        doubling = 2 * math.log2(len(taps))  # sums of 2, 4, 8 ... taps, then combined
        return _Schedule(True, 0, taps, [], doubling)
    pairs, rest = pair_factors(weights, stride)
    magnitudes = by_magnitude(tap_groups(rest[np.newaxis, :]))
    cost = pairs + _rest_cost(rest, pairs)
    return _Schedule(False, pairs, tuple(rest.tolist()), magnitudes, cost)


def pass_cost(taps: npt.NDArray[np.float64], dilation: int, stride: int) -> float:
    """Passes over the output that :func:`pass_1d` makes for these taps (the planner's cost)."""
    return _schedule(tuple(taps.tolist()), dilation, stride).cost


def pair_factors(taps: npt.NDArray[np.float64], stride: int) -> tuple[int, npt.NDArray[np.float64]]:
    """``(m, rest)`` with ``taps`` = (1 + x)^m · rest, as polynomials, choosing the m that
    costs fewest passes: each factor is one addition of two neighbours. A binomial blur
    [1, 4, 6, 4, 1] becomes four additions (and one multiplication by its scale) where its
    weights took six passes; Sobel's [1, 2, 1] two where it took three.

    Only for non-negative taps whose every quotient stays non-negative (so no partial sum
    exceeds the final one's bound: exact integer accumulators stay safe) and stride 1 (the
    additions run at full resolution)."""
    quotients = [taps]
    if stride == 1 and bool(np.all(taps >= 0)):
        tolerance = 1e-12 * float(taps.max(initial=0.0))
        current = taps
        while len(current) >= 2:
            quotient = np.empty(len(current) - 1)
            carry = 0.0
            for j in range(len(quotient)):
                carry = quotient[j] = current[j] - carry
            if abs(current[-1] - carry) > tolerance or bool(np.any(quotient < -tolerance)):
                break
            current = np.where(np.abs(quotient) <= tolerance, 0.0, quotient)
            quotients.append(current)
    costs = [pairs + _rest_cost(rest, pairs) for pairs, rest in enumerate(quotients)]
    best = max(m for m, cost in enumerate(costs) if cost == min(costs))  # ties: more pairs
    return best, quotients[best]


def _rest_cost(rest: npt.NDArray[np.float64], pairs: int) -> float:
    """A single tap after pair sums is the last sum itself, scaled in one pass unless 1."""
    if pairs and len(rest) == 1:
        return float(rest[0] != 1)
    return passes(tap_groups(rest[np.newaxis, :]))


def _pair_sums(
    source: npt.NDArray[Any],
    pairs: int,
    rest: int,
    axis: int,
    dilation: int,
    count: int,
    out: npt.NDArray[Any],
    fused: bool,
    buffers: Any,
) -> npt.NDArray[Any]:
    """``pairs`` passes of ``s[m] + s[m + dilation]``, each as long as what is left needs (the
    last straight into ``out`` when ``fused``); two buffers take turns."""
    first = count + (pairs + rest - 2) * dilation
    shape = _resized(source.shape, axis, first)
    for number in range(pairs):
        reach = count + (pairs - number + rest - 2) * dilation
        if fused and number == pairs - 1:
            target = out
        else:
            target = _along(buffers(f"pairs{number % 2}", shape), axis, 0, 1, reach)
        np.add(
            _along(source, axis, 0, 1, reach),
            _along(source, axis, dilation, 1, reach),
            out=target,
            casting="unsafe",
        )
        source = target
    return source


def _box(
    source: npt.NDArray[Any],
    length: int,
    weight: float,
    axis: int,
    stride: int,
    count: int,
    out: npt.NDArray[Any],
    buffers: Any,
) -> None:
    """A pass of ``length`` equal taps in about 2·log2(length) additions, by doubling.

    Sums of 1, 2, 4, 8 ... neighbours are built from each other, then the powers of two that
    make up ``length`` are added at the right offsets: 15 taps cost 6 additions, not 14.
    """
    powers = {1: source}
    size = 1
    while size * 2 <= length:
        previous = powers[size]
        reach = previous.shape[axis] - size
        doubled = buffers(f"box{size * 2}", _resized(previous.shape, axis, reach))
        np.add(
            _along(previous, axis, 0, 1, reach), _along(previous, axis, size, 1, reach), out=doubled
        )
        size *= 2
        powers[size] = doubled
    offset, first = 0, True
    for power in sorted(powers, reverse=True):
        if not length & power:
            continue
        view = _along(powers[power], axis, offset, stride, count)
        if first:
            np.copyto(out, view, casting="unsafe")
            first = False
        else:
            np.add(out, view, out=out, casting="unsafe")
        offset += power
    if weight != 1:
        np.multiply(out, out.dtype.type(weight), out=out)


def _resized(shape: tuple[int, ...], axis: int, length: int) -> tuple[int, ...]:
    changed = list(shape)
    changed[axis] = length
    return tuple(changed)


def _along(
    array: npt.NDArray[Any], axis: int, offset: int, stride: int, count: int
) -> npt.NDArray[Any]:
    index = [slice(None)] * array.ndim
    index[axis] = slice(offset, offset + (count - 1) * stride + 1, stride)
    return array[tuple(index)]
