"""A kernel's whole-number form: integer weights and one factor, so that every strategy can add
integer samples exactly and every path rounds the very same sum.

``integer_form`` is computed from the kernel's weights alone, with ``math`` functions on Python
floats only (no BLAS, no reductions whose order varies), so it is the same on every machine:

1. Weights that are small whole numbers times one factor (``[1, 4, 6, 4, 1] / 16``, ``1/9`` boxes,
   any integer kernel) are used as they are: the form is exact.
2. Weights that are a sum of at most ``MAX_TERMS`` outer products (a Gaussian is one, unsharp
   masking two) are split by cross approximation and each factor is written in fixed point;
   the form is the sum of the integer outer products, so separable passes stay exact.
3. Any other kernel is written in fixed point as a whole.

Forms 2 and 3 round each weight in fixed point: ``MATRIX_BITS`` bits for the sum of |weight|
of a matrix, ``TERM_BITS`` for sums of outer products (21 bits a factor), with rounding that
keeps the kernel's gain. It moves 8-bit results by about 1e-5 of a step, 16-bit ones by a few
hundredths at most: the price of making every strategy's sum the same integer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

#: Sum of |weight| of the whole-number form of a full matrix: with 8-bit sample limbs a sum
#: stays below 2^42, where a float64 FFT is provably well within 0.5 of it.
MATRIX_BITS = 34
#: The same bound for sums of outer products: with 8-bit sample limbs, separable and direct
#: sums stay below 2^50, where float64 adds whole numbers exactly (and the sums of 2^20-bounded
#: carried samples below 2^62, within int64).
TERM_BITS = 42
#: At most this many rank-1 terms are looked for.
MAX_TERMS = 3
#: A split into rank-1 terms is accepted when it leaves at most this fraction of the largest weight.
RANK_TOLERANCE = 2.0**-40
#: Divisors tried for kernels of small whole numbers times a common factor.
_DIVISORS = (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 16, 25, 49)


@dataclass(frozen=True)
class Term:
    """One outer product: ``column[:, None] * row[None, :]``."""

    column: npt.NDArray[np.float64]
    row: npt.NDArray[np.float64]

    @property
    def integral(self) -> bool:
        """Whether both factors are whole numbers (so integer samples stay exact)."""
        return _whole(self.column) and _whole(self.row)


@dataclass(frozen=True)
class IntegerForm:
    """``matrix * factor`` is the kernel as applied to integer samples."""

    matrix: npt.NDArray[np.float64]  #: whole numbers
    factor: float
    #: Whole-number factors whose outer products sum to ``matrix`` exactly, if it has them.
    terms: list[Term] = field(default_factory=list)
    exact: bool = True  #: matrix * factor is the kernel itself, not a fixed-point rounding

    @property
    def bound(self) -> float:
        """The largest |sum| per unit of sample: sum of |weight| (of the terms, when split)."""
        if self.terms:
            return math.fsum(
                float(np.abs(t.column).sum()) * float(np.abs(t.row).sum()) for t in self.terms
            )
        return float(np.abs(self.matrix).sum())


def integer_form(kernel: npt.NDArray[np.float64]) -> IntegerForm:
    """The kernel's whole-number form (see the module's docstring)."""
    small = _small_integers(kernel)
    if small is not None:
        matrix, factor = small
        factors = integer_factors(matrix)
        return IntegerForm(matrix, factor, [factors] if factors else [], exact=True)
    terms = rank_one_terms(kernel)
    if terms:
        return _fixed_point_terms(terms, TERM_BITS)
    return _fixed_point_matrix(kernel)


def integer_factors(kernel: npt.NDArray[np.float64]) -> Term | None:
    """Integer column and row whose outer product is exactly the (integer) kernel, if any."""
    if not _whole(kernel) or not kernel.any():
        return None
    r, c = np.argwhere(kernel != 0)[0]
    row = kernel[r].astype(np.int64)
    divisor = math.gcd(*(int(v) for v in row)) * (1 if row[c] > 0 else -1)
    row = row // divisor
    column = kernel[:, c] / row[c]
    if not _whole(column) or not np.array_equal(np.outer(column, row), kernel):
        return None
    return Term(column.astype(np.float64), row.astype(np.float64))


def rank_one_terms(kernel: npt.NDArray[np.float64]) -> list[Term]:
    """At most MAX_TERMS float outer products summing to the kernel, or [] if it needs more.

    Cross approximation with full pivoting: each term is the residual's column and row through
    its largest entry. Only elementwise IEEE operations, so the split is the same everywhere.
    """
    kh, kw = kernel.shape
    largest = float(np.abs(kernel).max())
    if largest == 0 or kh * kw < 4:
        return []
    residual = kernel.astype(np.float64).copy()
    terms: list[Term] = []
    for _ in range(MAX_TERMS):
        if (len(terms) + 1) * (kh + kw) >= kh * kw:
            return []  # no cheaper than the matrix itself
        i, j = np.unravel_index(int(np.argmax(np.abs(residual))), residual.shape)
        pivot = float(residual[i, j])
        term = Term(residual[:, j].copy(), residual[i, :] / pivot)
        terms.append(term)
        residual -= np.outer(term.column, term.row)
        if float(np.abs(residual).max()) <= RANK_TOLERANCE * largest:
            return terms
    return []


def _small_integers(
    kernel: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], float] | None:
    """``(q, c)`` with whole-number ``q`` (sum of |q| within MATRIX_BITS) and ``q * c == kernel``
    to 1e-12, when such small numbers exist."""
    if _whole(kernel) and float(np.abs(kernel).sum()) <= 2.0**MATRIX_BITS:
        return kernel.astype(np.float64), 1.0
    magnitudes = np.abs(kernel[kernel != 0])
    if magnitudes.size == 0:
        return None
    smallest = float(magnitudes.min())
    if float(magnitudes.max()) > smallest * 2**16:
        return None
    for divisor in _DIVISORS:
        factor = smallest / divisor
        quotient = kernel / factor
        whole = np.rint(quotient)
        largest = float(np.abs(whole).max())
        if largest <= 2**20 and float(np.abs(quotient - whole).max()) <= 1e-12 * max(largest, 1):
            return whole, factor
    return None


def _fixed_point_terms(terms: list[Term], bits: int) -> IntegerForm:
    """Each factor in fixed point, with one common power-of-two factor for the whole sum."""
    sizes = [math.fsum(abs(v) for v in t.column) * math.fsum(abs(v) for v in t.row) for t in terms]
    # Column factors carry about half the bits; rows carry the rest and the common exponent.
    total = math.fsum(sizes)
    shift = bits - 1 - _ceil_log2(total)
    whole_terms = []
    for term in terms:
        column_bits = bits // 2 - _ceil_log2(math.fsum(abs(v) for v in term.column))
        column = _rint_scaled(term.column, column_bits)
        row = _rint_scaled(term.row, shift - column_bits)
        whole_terms.append(Term(column, row))
    matrix = np.zeros((len(terms[0].column), len(terms[0].row)))
    for term in whole_terms:
        matrix += np.outer(term.column, term.row)  # whole numbers below 2^53: exact
    return IntegerForm(matrix, math.ldexp(1.0, -shift), whole_terms, exact=False)


def _fixed_point_matrix(kernel: npt.NDArray[np.float64]) -> IntegerForm:
    total = math.fsum(abs(float(v)) for v in kernel.ravel())
    shift = MATRIX_BITS - 1 - _ceil_log2(total)
    return IntegerForm(_rint_scaled(kernel, shift), math.ldexp(1.0, -shift), [], exact=False)


def _rint_scaled(values: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.float64]:
    """``values * 2**bits`` in whole numbers whose sum is the rounded exact sum, so that the
    form keeps the kernel's gain (a blur leaves flat areas as they are).

    Each value is rounded to nearest; then the entries whose rounding moved them most are
    moved the other way, one unit each, until the sum is right (ties by position, so the
    choice is the same everywhere).
    """
    scaled = np.ldexp(values.astype(np.float64), bits)  # a power of two: exact
    whole = np.rint(scaled)
    target = float(np.rint(math.fsum(scaled.ravel())))
    deficit = int(target - math.fsum(whole.ravel()))
    if deficit:
        moved = (scaled - whole).ravel()  # in (-0.5, 0.5]: what rounding took away
        order = np.argsort(-moved if deficit > 0 else moved, kind="stable")
        flat = whole.ravel()
        flat[order[: abs(deficit)]] += 1 if deficit > 0 else -1
        whole = flat.reshape(whole.shape)
    return whole


def _ceil_log2(value: float) -> int:
    mantissa, exponent = math.frexp(value)
    return exponent - 1 if mantissa == 0.5 else exponent


def _whole(values: npt.NDArray[np.float64]) -> bool:
    return bool(np.all(values == np.rint(values))) and float(np.abs(values).max()) < 2**31
