"""Choosing a strategy: a cost model from the kernel's size and rank and the image's size.

Costs are estimated in nanoseconds from per-pass constants measured on a 2-core x86-64 machine
(benchmarks/bench_engine.py shows real timings); only their ratios matter for the choice. Each
estimate has a part proportional to the output's size and a fixed part per band and per call,
which is what makes tiny images go direct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convcli.engine import fft
from convcli.engine.direct import tap_groups
from convcli.engine.request import Request, integer_form
from convcli.engine.separable import Term, is_box, separate
from convcli.engine.strips import band_height, default_threads
from convcli.errors import EngineArgumentError

Method = Literal["auto", "direct", "separable", "fft"]
Strategy = Literal["direct", "separable", "fft"]
METHODS: tuple[Method, ...] = ("auto", "direct", "separable", "fft")

#: Nanoseconds per element for one in-cache ufunc pass over float32 data.
PASS_NS = 0.35
#: Nanoseconds per transformed sample per log2(transform size), forward, product and inverse.
FFT_NS = 0.9
#: Fixed costs in nanoseconds: each ufunc call, each FFT band, setting up an FFT plan.
CALL_NS = 1_500.0
FFT_TILE_NS = 60_000.0
FFT_SETUP_NS = 100_000.0


@dataclass(frozen=True)
class Plan:
    """How a request will be computed, and why."""

    method: Strategy
    accumulator: np.dtype[Any]
    #: The kernel the strategy runs (whole numbers where possible) and the factor applied after.
    weights: npt.NDArray[np.float64]
    factor: float
    threads: int
    band: int  #: output rows per band
    groups: list[tuple[float, list[tuple[int, int]]]] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)  #: estimated ms per strategy
    reason: str = ""

    def describe(self) -> str:
        """One paragraph for ``--explain``."""
        estimates = ", ".join(f"{name} ≈ {ms:.3g} ms" for name, ms in self.costs.items())
        kinds = {
            "direct": "direct (shifted multiply-adds in strips)",
            "separable": f"separable ({len(self.terms)} rank-1 term"
            f"{'s' if len(self.terms) != 1 else ''}, two 1-D passes each)",
            "fft": "FFT (overlap-save over tiles)",
        }
        threads = f"{self.threads} thread{'s' if self.threads != 1 else ''}"
        return (
            f"plan: {kinds[self.method]}; {self.accumulator} accumulator; {threads}; "
            f"bands of {self.band} rows. Estimates on one core: {estimates}. {self.reason}"
        )


def make_plan(request: Request, method: str = "auto", threads: int | None = None) -> Plan:
    """The cheapest strategy for ``request``, or the one ``method`` names."""
    if method not in METHODS:
        raise EngineArgumentError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise EngineArgumentError(f"threads must be a whole number of at least 1, not {threads!r}")
    kernel, factor = integer_form(request.kernel)
    exact = request.exact_integer_dtype(kernel)
    floats = request.float_dtype()
    groups = tap_groups(kernel)
    terms = separate(kernel)
    integer_terms = exact is not None and all(t.integral for t in terms)
    # Integer samples and weights must round to their exact sums: where a strategy cannot add
    # them in integers (SVD factors, transforms), float64 keeps the error far below 0.5.
    whole = request.image.dtype.kind in "biu" and bool(np.all(kernel == np.round(kernel)))
    inexact = np.dtype(np.float64) if whole else floats
    accumulators: dict[Strategy, np.dtype[Any]] = {
        "direct": exact or inexact,
        "separable": exact if integer_terms and exact is not None else inexact,
        "fft": inexact,
    }
    bands: dict[Strategy, int] = {
        "direct": band_height(request, accumulators["direct"].itemsize, buffers=2),
        "separable": band_height(request, accumulators["separable"].itemsize, buffers=3),
        "fft": fft.band_rows(request.rows),
    }
    costs: dict[Strategy, float] = {
        "direct": _direct_ns(request, groups, accumulators["direct"], bands["direct"]),
        "separable": _separable_ns(request, terms, accumulators["separable"], bands["separable"]),
        "fft": _fft_ns(request, bands["fft"]),
    }
    chosen: Strategy
    if method == "auto":
        chosen = min(costs, key=lambda name: costs[name])
        reason = _reason(chosen, kernel, terms)
    else:
        chosen = method
        reason = f"{method} was asked for."
    work = int(costs[chosen] * 1e6 / PASS_NS)
    return Plan(
        method=chosen,
        accumulator=accumulators[chosen],
        weights=kernel,
        factor=factor,
        threads=threads
        if threads is not None
        else default_threads(work, long_calls=chosen == "fft"),
        band=bands[chosen],
        groups=groups,
        terms=terms if chosen == "separable" else [],
        costs={name: round(ns / 1e6, 3) for name, ns in costs.items()},
        reason=reason,
    )


def extended_width(request: Request) -> int:
    cols = request.cols
    return (cols.length - 1) * cols.stride + (cols.taps - 1) * cols.dilation + 1


def _speed(dtype: np.dtype[Any]) -> float:
    """Relative cost of a pass in this dtype (narrower types fit more lanes per instruction)."""
    return {2: 0.6, 4: 1.0, 8: 2.0}.get(dtype.itemsize, 1.0)


def _count_bands(request: Request, height: int) -> int:
    return -(-request.rows.length // max(height, 1))


def _direct_ns(
    request: Request,
    groups: list[tuple[float, list[tuple[int, int]]]],
    dtype: np.dtype[Any],
    band: int,
) -> float:
    passes = 2.0 + sum(len(taps) + 1 for _, taps in groups)  # + gathering and finishing
    elements = math.prod(request.out_shape)
    return passes * (PASS_NS * _speed(dtype) * elements + CALL_NS * _count_bands(request, band))


def _separable_ns(request: Request, terms: list[Term], dtype: np.dtype[Any], band: int) -> float:
    halo = (request.rows.taps - 1) * request.rows.dilation
    passes = 2.0
    for term in terms:
        for taps in (term.column, term.row):
            if is_box(taps):
                passes += 2 * math.log2(len(taps))  # sums of 2, 4, 8 ... taps, then combined
            else:
                passes += len(np.unique(taps[taps != 0])) + np.count_nonzero(taps)
        passes += 1 + halo / max(band, 1)  # the intermediate and the halo rows of a band
    elements = math.prod(request.out_shape)
    return passes * (PASS_NS * _speed(dtype) * elements + CALL_NS * _count_bands(request, band))


def _fft_ns(request: Request, band: int) -> float:
    shape = fft.transform_shape(request.rows, request.cols)
    samples = shape[0] * shape[1] * request.image.shape[2]
    tiles = _count_bands(request, band) * -(-request.cols.length // fft.tile_columns(request.cols))
    per_tile = samples * math.log2(max(shape[0] * shape[1], 2)) * FFT_NS + FFT_TILE_NS
    return float(FFT_SETUP_NS + tiles * per_tile + 4 * PASS_NS * math.prod(request.out_shape))


def _reason(chosen: str, kernel: np.ndarray, terms: list[Term]) -> str:
    size = f"{kernel.shape[0]}×{kernel.shape[1]}"
    if chosen == "separable":
        rank = "rank-1" if len(terms) == 1 else f"a sum of {len(terms)} rank-1 terms"
        return f"The {size} kernel is {rank}, so 1-D passes cost least."
    if chosen == "fft":
        return f"The {size} kernel is large and does not separate cheaply, so FFT costs least."
    return f"The {size} kernel is small enough that direct multiply-adds cost least."
