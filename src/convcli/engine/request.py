"""A validated filtering request: the image as (H, W, C), the kernel as applied, both axes planned.

Everything the strategies need is decided here once, so they only do arithmetic.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.geometry import AxisPlan, plan_axis
from convcli.engine.modes import Border, canonical_border, canonical_padding
from convcli.errors import EngineArgumentError

IntOrPair = int | Sequence[int]

#: Integer accumulators are used while |result| provably stays below these bounds.
_INT16_LIMIT = 32767
_UINT16_LIMIT = 65535
_INT32_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class Request:
    """One correlation to compute (``convolve`` arrives here with its kernel already turned)."""

    image: npt.NDArray[Any]  #: (H, W, C), never copied
    kernel: npt.NDArray[np.float64]  #: (kh, kw), as applied
    rows: AxisPlan
    cols: AxisPlan
    border: Border
    fill: float
    result_dtype: np.dtype[Any]  #: float32, or float64 for float64 input
    signal: bool  #: the input was 1-D
    flat: bool  #: the input was 2-D (no channel axis)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return self.rows.length, self.cols.length, self.image.shape[2]

    @property
    def user_shape(self) -> tuple[int, ...]:
        """The result's shape as the caller expects it (1-D, 2-D or 3-D)."""
        if self.signal:
            return (self.cols.length,)
        if self.flat:
            return (self.rows.length, self.cols.length)
        return self.out_shape

    def exact_integer_dtype(self, kernel: npt.NDArray[np.float64]) -> np.dtype[Any] | None:
        """int16 or int32 when integer pixels and integer weights make exact sums possible."""
        if self.image.dtype.kind not in "biu" or not is_integral(kernel):
            return None
        fill = self.fill if self.border == "constant" else 0.0
        if fill != round(fill):
            return None  # a fractional fill value outside the image needs floats
        if self.image.dtype.kind == "b":
            largest = 1
        else:
            info = np.iinfo(self.image.dtype)
            largest = max(abs(int(info.min)), int(info.max))
        largest = max(largest, int(abs(fill)))
        # The strip holds the samples themselves as well as the sums: at least one weight's worth.
        bound = max(float(np.abs(kernel).sum()), 1.0) * largest
        if bound <= _INT16_LIMIT:
            return np.dtype(np.int16)
        non_negative = self.image.dtype.kind in "bu" and bool(np.all(kernel >= 0))
        if non_negative and fill >= 0 and bound <= _UINT16_LIMIT:
            return np.dtype(np.uint16)  # blurs of 8-bit images: twice int32's speed
        if bound <= _INT32_LIMIT:
            return np.dtype(np.int32)
        return None

    def float_dtype(self) -> np.dtype[Any]:
        """The float accumulator: float64 for float64 and wide integer input, else float32."""
        wide = self.image.dtype.itemsize >= 4 and self.image.dtype.kind in "iu"
        return (
            np.dtype(np.float64) if wide or self.result_dtype == np.float64 else self.result_dtype
        )


def build_request(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    border: str,
    fill: float,
    padding: str,
    stride: IntOrPair,
    dilation: IntOrPair,
    turned: bool,
) -> Request:
    """Check every argument and plan both axes; errors are EngineArgumentError."""
    pixels = _as_image(image)
    kernel = _as_weights(weights, pixels.ndim)
    fill = _as_fill(fill)
    border_name = canonical_border(border, fill)
    padding_name = canonical_padding(padding)
    strides = _per_axis(stride, "stride", pixels.ndim)
    dilations = _per_axis(dilation, "dilation", pixels.ndim)
    # Any byte order: '>f8' is float64 too. Wider floats keep float64's precision.
    is_double = pixels.dtype.kind == "f" and pixels.dtype.itemsize >= 8
    result_dtype = np.dtype(np.float64 if is_double else np.float32)
    signal, flat = pixels.ndim == 1, pixels.ndim == 2
    if signal:
        pixels = pixels[np.newaxis, :, np.newaxis]
    elif flat:
        pixels = pixels[:, :, np.newaxis]
    if not pixels.dtype.isnative:
        pixels = pixels.astype(pixels.dtype.newbyteorder("="))
    if turned:
        kernel = kernel[::-1, ::-1]
    rows, cols = (
        plan_axis(
            pixels.shape[axis],
            kernel.shape[axis],
            padding=padding_name,
            stride=strides[axis],
            dilation=dilations[axis],
            turned=turned,
        )
        for axis in (0, 1)
    )
    return Request(
        image=pixels,
        kernel=np.ascontiguousarray(kernel),
        rows=rows,
        cols=cols,
        border=border_name,
        fill=fill,
        result_dtype=result_dtype,
        signal=signal,
        flat=flat,
    )


def is_integral(weights: npt.NDArray[np.float64]) -> bool:
    return bool(np.all(weights == np.round(weights))) and float(np.abs(weights).max()) < 2**31


def integer_form(kernel: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], float]:
    """``(q, c)`` with whole-number ``q`` and ``q * c == kernel`` (to 1e-12), when one exists.

    ``gaussian-5`` written as floats (``[1, 4, 6, 4, 1] / 16``, outer product) becomes its
    integer weights and 1/256, so integer images can be summed exactly. Otherwise ``(kernel, 1)``.
    """
    if is_integral(kernel):
        return kernel, 1.0
    magnitudes = np.abs(kernel[kernel != 0])
    if magnitudes.size == 0:
        return kernel, 1.0
    smallest = float(magnitudes.min())
    if float(magnitudes.max()) > smallest * 2**16:
        return kernel, 1.0  # no small whole numbers can express such a range
    for divisor in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16):
        factor = smallest / divisor
        quotient = kernel / factor
        whole = np.round(quotient)
        largest = float(np.abs(whole).max())
        if largest <= 2**20 and float(np.abs(quotient - whole).max()) <= 1e-12 * max(largest, 1):
            return whole, factor
    return kernel, 1.0


def _as_image(image: npt.ArrayLike) -> npt.NDArray[Any]:
    try:
        pixels = np.asarray(image)
    except ValueError as exc:  # ragged nested lists
        raise EngineArgumentError(f"image is not a rectangular array of numbers: {exc}") from None
    if pixels.dtype.kind not in "biuf":
        raise EngineArgumentError(f"image must hold integers or floats, not {pixels.dtype} values")
    if pixels.ndim not in (1, 2, 3):
        raise EngineArgumentError(
            "image must be a 1-D signal, a 2-D (H, W) array or a 3-D (H, W, C) array, "
            f"not a {pixels.ndim}-D array"
        )
    if pixels.size == 0:
        raise EngineArgumentError(f"image is empty (shape {pixels.shape})")
    if pixels.dtype == np.float16:
        pixels = pixels.astype(np.float32)
    return pixels


def _as_weights(weights: npt.ArrayLike, image_ndim: int) -> npt.NDArray[np.float64]:
    """The kernel as a 2-D float64 array (a 1-D kernel becomes one row)."""
    try:
        kernel = np.asarray(weights)
    except ValueError as exc:  # ragged nested lists
        raise EngineArgumentError(f"kernel is not a rectangular array of numbers: {exc}") from None
    if kernel.dtype.kind not in "biuf":
        raise EngineArgumentError(f"kernel weights must be numbers, not {kernel.dtype} values")
    if kernel.size == 0:
        raise EngineArgumentError("kernel is empty: it needs at least one weight")
    spatial_ndim = min(image_ndim, 2)
    if kernel.ndim > spatial_ndim:
        what = "a 1-D signal" if image_ndim == 1 else "an image (channels are filtered apart)"
        raise EngineArgumentError(
            f"a {kernel.ndim}-D kernel cannot filter {what}; use a kernel of at most "
            f"{spatial_ndim} dimension{'s' if spatial_ndim > 1 else ''}"
        )
    kernel = kernel.astype(np.float64)
    if not np.all(np.isfinite(kernel)):
        raise EngineArgumentError("kernel weights must be finite numbers (found NaN or infinity)")
    return kernel.reshape(1, -1) if kernel.ndim < 2 else kernel


def _as_fill(fill: float) -> float:
    if isinstance(fill, bool) or not isinstance(fill, numbers.Real) or not np.isfinite(fill):
        raise EngineArgumentError(f"fill must be a finite number, not {fill!r}")
    return float(fill)


def _per_axis(value: IntOrPair, name: str, image_ndim: int) -> tuple[int, int]:
    """An int, or for images a (rows, columns) pair of ints; each at least 1."""
    is_pair = isinstance(value, Sequence | np.ndarray) and not isinstance(value, str)
    if is_pair and image_ndim == 1:
        raise EngineArgumentError(f"a 1-D signal takes a single {name}, not {value!r}")
    values: tuple[object, ...] = tuple(value) if is_pair else (value, value)  # type: ignore[arg-type]
    if len(values) != 2 or not all(_is_int(v) for v in values):
        raise EngineArgumentError(f"{name} must be a whole number or a pair of them, not {value!r}")
    rows, cols = (int(v) for v in values)  # type: ignore[call-overload]
    if min(rows, cols) < 1:
        raise EngineArgumentError(f"{name} must be at least 1, not {value!r}")
    return rows, cols


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
