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
from convcli.engine.direct import Magnitude, by_magnitude, passes, tap_groups
from convcli.engine.forms import IntegerForm, Term, integer_form
from convcli.engine.request import LIMB_BITS, SUM_LIMB_BITS, Request
from convcli.engine.separable import float_terms, is_point, pass_cost
from convcli.engine.strips import band_height, default_threads
from convcli.engine.tuning import CALIBRATION
from convcli.errors import EngineArgumentError

Method = Literal["auto", "direct", "separable", "fft"]
Strategy = Literal["direct", "separable", "fft"]
METHODS: tuple[Method, ...] = ("auto", "direct", "separable", "fft")
STRATEGIES: tuple[Strategy, ...] = ("direct", "separable", "fft")

#: Nanoseconds per element for one in-cache ufunc pass over float32 data.
PASS_NS = 0.35

#: Nanoseconds per transformed sample per log2(transform size), forward, product and inverse.
FFT_NS = 0.9
#: Fixed costs in nanoseconds: each ufunc call, each FFT band, setting up an FFT plan.
CALL_NS = 1_500.0
FFT_TILE_NS = 60_000.0
FFT_SETUP_NS = 100_000.0

#: Integer accumulators are used while |sum| provably stays below these bounds.
_INT16_LIMIT = 32767
_UINT16_LIMIT = 65535
_INT32_LIMIT = 2**31 - 1
#: float64 adds whole numbers exactly below this.
FLOAT_EXACT = 2.0**53
#: Float separable terms (SVD) stay far within 0.5 of whole-number sums below this.
SNAP_EXACT = 2.0**32


@dataclass(frozen=True)
class Plan:
    """How a request will be computed, and why."""

    method: Strategy
    accumulator: np.dtype[Any]
    #: The kernel the strategy runs (whole numbers for exact sums) and the factor applied after.
    weights: npt.NDArray[np.float64]
    factor: float
    threads: int
    band: int  #: output rows per band
    magnitudes: list[Magnitude] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)  #: estimated ms per strategy
    reason: str = ""
    exact: bool = False  #: the strategy's sums are exact integers (after ``rint`` if ``snap``)
    snap: bool = False  #: float arithmetic within 0.5 of the exact sums: round them
    limbs: int = 1  #: sample limbs, summed one after the other
    limb_bits: int = LIMB_BITS  #: the bits of each limb but the top one
    kernel_limbs: fft.KernelLimbs | None = None  #: the FFT's split of the weights

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
        sums = ""
        if self.exact:
            limbs = (
                f" over {self.limbs} {self.limb_bits}-bit sample limbs" if self.limbs > 1 else ""
            )
            sums = f" exact integer sums{limbs};"
        return (
            f"plan: {kinds[self.method]}; {self.accumulator} accumulator;{sums} {threads}; "
            f"bands of {self.band} rows. Estimates on one core: {estimates}. {self.reason}"
        )


@dataclass(frozen=True)
class _Option:
    """One strategy as it would run, or why it cannot."""

    accumulator: np.dtype[Any]
    terms: list[Term] = field(default_factory=list)
    snap: bool = False
    limbs: int = 1
    limb_bits: int = LIMB_BITS
    kernel_limbs: fft.KernelLimbs | None = None
    refusal: str = ""


#: Band-sized buffers each strategy keeps beside its strip (FFT bands are sized by the tile).
BUFFERS: dict[Strategy, int] = {"direct": 2, "separable": 3}


def _band(request: Request, method: Strategy, accumulator: np.dtype[Any]) -> int:
    if method == "fft":
        return fft.band_rows(request.rows)
    return band_height(request, accumulator.itemsize, buffers=BUFFERS[method])


def band_rows(request: Request, plan: Plan) -> int:
    """Output rows per band for running ``plan`` on ``request`` (a region of its own)."""
    return _band(request, plan.method, plan.accumulator)


def make_plan(request: Request, method: str = "auto", threads: int | None = None) -> Plan:
    """The cheapest strategy for ``request``, or the one ``method`` names."""
    if method not in METHODS:
        raise EngineArgumentError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise EngineArgumentError(f"threads must be a whole number of at least 1, not {threads!r}")
    if request.exact:
        form = integer_form(request.kernel)
        kernel, factor = form.matrix, form.factor
        options = _exact_options(request, form)
    else:
        kernel, factor = request.kernel, 1.0
        options = _float_options(request)
    groups = tap_groups(kernel)
    direct, separable = options["direct"], options["separable"]
    bands = {name: _band(request, name, options[name].accumulator) for name in STRATEGIES}
    speed = CALIBRATION.get()
    costs: dict[Strategy, float] = {
        "direct": speed.direct
        * direct.limbs
        * _direct_ns(request, groups, direct.accumulator, bands["direct"]),
        "separable": speed.separable
        * separable.limbs
        * _separable_ns(request, separable.terms, separable.accumulator, bands["separable"]),
        "fft": speed.fft * _fft_ns(request, bands["fft"], options["fft"]),
    }
    allowed = [name for name in costs if not options[name].refusal]
    chosen: Strategy
    if method == "auto":
        chosen = min(allowed, key=lambda name: costs[name])
        reason = _reason(chosen, kernel, options[chosen].terms)
    else:
        chosen = method
        if options[chosen].refusal:
            raise EngineArgumentError(options[chosen].refusal)
        reason = f"{method} was asked for."
    option = options[chosen]
    work = int(costs[chosen] / PASS_NS)  # element-passes: the costs are nanoseconds
    return Plan(
        method=chosen,
        accumulator=option.accumulator,
        weights=kernel,
        factor=factor,
        threads=threads
        if threads is not None
        else default_threads(work, long_calls=_long_calls(chosen, groups)),
        band=bands[chosen],
        magnitudes=by_magnitude(groups),
        terms=option.terms if chosen == "separable" else [],
        costs={name: round(costs[name] / 1e6, 3) for name in allowed},
        reason=reason,
        exact=request.exact,
        snap=option.snap,
        limbs=option.limbs,
        limb_bits=option.limb_bits,
        kernel_limbs=option.kernel_limbs,
    )


def _exact_options(request: Request, form: IntegerForm) -> dict[Strategy, _Option]:
    """Each strategy's way to the exact integer sums of ``form``."""
    assert request.sample_bound is not None
    samples = request.sample_bound
    split = request.sample_limbs(SUM_LIMB_BITS)
    non_negative = request.non_negative and _non_negative(form)

    def summing(bound: float, terms: list[Term]) -> _Option:
        # In integers where they are wide enough, in float64 below 2^53, else limb by limb.
        narrow = exact_dtype(bound * samples, non_negative)
        if narrow is not None:
            return _Option(narrow, terms)
        limbs = 1 if bound * samples < FLOAT_EXACT else split
        return _Option(np.dtype(np.float64), terms, limbs=limbs, limb_bits=SUM_LIMB_BITS)

    matrix_sum = float(np.abs(form.matrix).sum())
    if form.terms:
        separable = summing(form.bound, form.terms)
    elif form.exact and matrix_sum * samples <= SNAP_EXACT:
        separable = _Option(np.dtype(np.float64), float_terms(form.matrix, 2.0**-46), snap=True)
    else:
        separable = _Option(
            np.dtype(np.float64),
            refusal="method 'separable' needs a kernel that is a sum of a few rank-1 terms "
            "(this one is not); use 'direct' or 'fft'",
        )
    fft_split = 1 if matrix_sum * samples <= fft.EXACT_SUM else request.sample_limbs(LIMB_BITS)
    limb_samples = samples if fft_split == 1 else 2**LIMB_BITS
    return {
        "direct": summing(matrix_sum, []),
        "separable": separable,
        "fft": _Option(
            np.dtype(np.float64),
            snap=True,
            limbs=fft_split,
            kernel_limbs=fft.kernel_limbs(form.matrix, limb_samples),
        ),
    }


def _float_options(request: Request) -> dict[Strategy, _Option]:
    floats = request.float_dtype()
    return {
        "direct": _Option(floats),
        "separable": _Option(floats, float_terms(request.kernel)),
        "fft": _Option(floats),
    }


def exact_dtype(bound: float, non_negative: bool) -> np.dtype[Any] | None:
    """int16, uint16 or int32 when every sum (and sample) provably fits: the fastest exact sums."""
    if bound <= _INT16_LIMIT:
        return np.dtype(np.int16)
    if non_negative and bound <= _UINT16_LIMIT:
        return np.dtype(np.uint16)  # blurs of 8-bit images: twice int32's speed
    if bound <= _INT32_LIMIT:
        return np.dtype(np.int32)
    return None


def _non_negative(form: IntegerForm) -> bool:
    return bool(np.all(form.matrix >= 0)) and all(
        bool(np.all(t.column >= 0) and np.all(t.row >= 0)) for t in form.terms
    )


def _speed(dtype: np.dtype[Any], *, contiguous: bool = False) -> float:
    """Relative cost of a pass in this dtype (narrower types fit more lanes per instruction).

    Direct passes over float64 run nearer float32's speed than the separable ones (measured
    at 4K: 1.45 against 2), their views being contiguous rows."""
    if contiguous and dtype.itemsize == 8:
        return 1.45
    return {2: 0.6, 4: 1.0, 8: 2.0}.get(dtype.itemsize, 1.0)


def _count_bands(request: Request, height: int) -> int:
    return -(-request.rows.length // max(height, 1))


def _edges(request: Request, dtype: np.dtype[Any]) -> float:
    """Passes spent gathering strips and handing on sums: two where the strips are copies and
    the sums are finished into the result; half a pass (the image's first reading) where the
    image itself is read and the sums are the result (float samples, see ``api``)."""
    return 0.5 if not request.exact and request.image.dtype == dtype else 2.0


def _direct_ns(
    request: Request,
    groups: list[tuple[float, list[tuple[int, int]]]],
    dtype: np.dtype[Any],
    band: int,
) -> float:
    total = _edges(request, dtype) + passes(groups)
    elements = math.prod(request.out_shape)
    return total * (
        PASS_NS * _speed(dtype, contiguous=True) * elements + CALL_NS * _count_bands(request, band)
    )


def _separable_ns(request: Request, terms: list[Term], dtype: np.dtype[Any], band: int) -> float:
    rows, cols = request.rows, request.cols
    halo = rows.span - 1
    total = _edges(request, dtype)
    for term in terms:
        if is_point(term):
            total += 1 if term is terms[0] else 2  # one multiply (and an add unless first)
            continue
        total += pass_cost(term.column, rows.dilation, rows.stride)
        total += pass_cost(term.row, cols.dilation, cols.stride)
        total += 1 + halo / max(band, 1)  # the intermediate and the halo rows of a band
    elements = math.prod(request.out_shape)
    return total * (PASS_NS * _speed(dtype) * elements + CALL_NS * _count_bands(request, band))


def _fft_ns(request: Request, band: int, option: _Option) -> float:
    shape = fft.transform_shape(request.rows, request.cols)
    samples = shape[0] * shape[1] * request.image.shape[2]
    tiles = _count_bands(request, band) * -(-request.cols.length // fft.tile_columns(request.cols))
    kernel_limbs = option.kernel_limbs.count if option.kernel_limbs else 1
    # A forward transform per sample limb, an inverse per sample and kernel limb, and the
    # strips and sums of each limb (fitted to 4K timings of 1 or 2 limbs of each kind).
    transforms = option.limbs * (0.46 + 0.54 * kernel_limbs) * (1 + 0.15 * (option.limbs - 1))
    precision = 1.7 if option.accumulator == np.float64 else 1.0
    per_tile = samples * math.log2(max(shape[0] * shape[1], 2)) * FFT_NS * precision + FFT_TILE_NS
    elements = math.prod(request.out_shape)
    passes = 4 + 2 * (transforms - 1)
    return float(FFT_SETUP_NS + tiles * per_tile * transforms + passes * PASS_NS * elements)


#: Direct plans of at least this many passes per band run on every core by default: measured
#: on 4K float32, two threads gave 1.32× (random 5×5, 49 passes) and 1.52× (random 7×7, 97),
#: against 0.85-1.13× for 3×3 kernels (5-17 passes).
MANY_PASSES = 40


def _long_calls(chosen: str, groups: list[tuple[float, list[tuple[int, int]]]]) -> bool:
    """Whether each band keeps NumPy busy long enough for threads to pay (see strips)."""
    return chosen == "fft" or (chosen == "direct" and passes(groups) >= MANY_PASSES)


def _reason(chosen: str, kernel: np.ndarray, terms: list[Term]) -> str:
    size = f"{kernel.shape[0]}×{kernel.shape[1]}"
    if chosen == "separable":
        rank = "rank-1" if len(terms) == 1 else f"a sum of {len(terms)} rank-1 terms"
        return f"The {size} kernel is {rank}, so 1-D passes cost least."
    if chosen == "fft":
        return f"The {size} kernel is large and does not separate cheaply, so FFT costs least."
    return f"The {size} kernel is small enough that direct multiply-adds cost least."
