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

#: Whole-number samples up to this magnitude are summed exactly (16-bit images, and the
#: fixed-point intermediates of chains).
EXACT_SAMPLE_LIMIT = 2**20
#: The FFT splits wider samples into limbs of this many bits (its sums must stay below 2^42).
LIMB_BITS = 8
#: Direct and separable sums split them into wider limbs (theirs must stay below 2^53).
SUM_LIMB_BITS = 10


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
    #: The largest |sample| (fill included) of whole-number input, or None for float input.
    sample_bound: int | None = None
    non_negative: bool = False  #: every sample (and the fill) is at least 0

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

    @property
    def exact(self) -> bool:
        """Whether the rounding rule's exact sums apply: whole samples of at most 16 bits
        (or a stated magnitude within 2^20) and a whole fill value."""
        return self.sample_bound is not None

    def sample_limbs(self, bits: int) -> int:
        """Limbs of ``bits`` bits the samples split into (1 when they fit one)."""
        assert self.sample_bound is not None
        return max(1, -(-int(self.sample_bound).bit_length() // bits))

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
    magnitude: int | None = None,
) -> Request:
    """Check every argument and plan both axes; errors are EngineArgumentError.

    ``magnitude`` promises that no |sample| of a wide integer image exceeds it, so that
    fixed-point intermediates (up to EXACT_SAMPLE_LIMIT) are summed exactly too.
    """
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
    bound, non_negative = _sample_bound(pixels, fill, border_name, magnitude)
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
        sample_bound=bound,
        non_negative=non_negative,
    )


def _sample_bound(
    pixels: npt.NDArray[Any], fill: float, border: Border, magnitude: int | None
) -> tuple[int | None, bool]:
    """The largest |sample| when the exact rule applies, and whether no sample is negative."""
    if pixels.dtype.kind not in "biu":
        return None, False
    if pixels.dtype.kind == "b":
        low, high = 0, 1
    else:
        info = np.iinfo(pixels.dtype)
        low, high = int(info.min), int(info.max)
    if magnitude is not None:
        if isinstance(magnitude, bool) or not isinstance(magnitude, numbers.Integral):
            raise EngineArgumentError(f"magnitude must be a whole number, not {magnitude!r}")
        if int(pixels.max()) > magnitude or int(pixels.min()) < -magnitude:
            raise EngineArgumentError(f"image holds samples beyond the magnitude {magnitude}")
        low, high = max(low, -int(magnitude)), min(high, int(magnitude))
    if border == "constant":
        if fill != round(fill):
            return None, False  # a fractional fill value outside the image needs floats
        low, high = min(low, int(fill)), max(high, int(fill))
    bound = max(abs(low), abs(high))
    if bound > EXACT_SAMPLE_LIMIT:
        return None, False
    return bound, low >= 0


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
