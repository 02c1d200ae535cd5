"""The engine's public entry points: validate, plan, then run the chosen strategy band by band."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import direct, fft, separable
from convcli.engine.plan import Plan, make_plan
from convcli.engine.request import IntOrPair, Request, build_request
from convcli.engine.strips import Scratch, StripReader, run_bands
from convcli.errors import EngineArgumentError


def correlate(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    method: str = "auto",
    threads: int | None = None,
) -> npt.NDArray[np.floating]:
    """Apply ``weights`` to ``image`` as written (a stencil, as OpenCV ``filter2D`` does).

    Parameters
    ----------
    image
        A 1-D signal, a 2-D (H, W) array, or a 3-D (H, W, C) array whose channels are
        filtered independently. Any integer, boolean or float dtype.
    weights
        The kernel: 1-D, or 2-D for 2-D and 3-D images (a 1-D kernel on an image is one row).
        Any size, odd or even; its anchor is its centre, index ``size // 2`` on each axis.
    border
        What lies outside the image: ``reflect`` (d c b a | a b c d), ``mirror``
        (d c b | a b c d), ``nearest`` (a a a | a b c d), ``wrap`` (b c d | a b c d) or
        ``constant`` (k k k | a b c d, k = ``fill``). Other tools' names are accepted as
        aliases (``symmetric``, ``reflect101``, ``replicate``, ``edge``, ``zero`` ...). Beware:
        NumPy's ``np.pad(mode="reflect")`` is ``mirror`` here, as in scipy.ndimage.
    fill
        The value outside the image for ``border="constant"``.
    padding
        The output's size: ``same`` as the input, ``valid`` (where the whole kernel fits) or
        ``full`` (wherever kernel and image overlap).
    stride
        Keep rows and columns 0, s, 2s, ... of the stride-1 result (an int, or one per axis).
    dilation
        Space the taps this many samples apart (an int, or one per axis).
    method
        ``auto`` (a cost model picks), ``direct``, ``separable`` or ``fft``. All give the same
        result up to floating-point rounding; integer kernels on integer images are exact.
    threads
        Threads to share the work (default: every usable core for large jobs, 1 for small ones;
        the ``CONVCLI_THREADS`` environment variable overrides the default).

    Returns
    -------
    numpy.ndarray
        float64 if ``image`` is float64, else float32. Integer input never wraps or clips.

    Raises
    ------
    EngineArgumentError
        A ``ValueError`` subclass, for any invalid argument, with a message that says which.

    Examples
    --------
    >>> correlate([0, 0, 1, 0, 0], [1, 2, 3], border="constant")
    array([0., 3., 2., 1., 0.], dtype=float32)
    """
    request = build_request(
        image,
        weights,
        turned=False,
        border=border,
        fill=fill,
        padding=padding,
        stride=stride,
        dilation=dilation,
    )
    return _to_float(request, make_plan(request, method, threads))


def convolve(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    method: str = "auto",
    threads: int | None = None,
) -> npt.NDArray[np.floating]:
    """The true convolution: ``weights`` turned 180°, as scipy.ndimage.convolve and np.convolve.

    Takes the same arguments as :func:`correlate`; the anchor stays at the centre of the
    kernel as given, exactly as in scipy.ndimage.convolve.

    Examples
    --------
    >>> convolve([0, 0, 1, 0, 0], [1, 2, 3], border="constant")
    array([0., 1., 2., 3., 0.], dtype=float32)
    """
    request = build_request(
        image,
        weights,
        turned=True,
        border=border,
        fill=fill,
        padding=padding,
        stride=stride,
        dilation=dilation,
    )
    return _to_float(request, make_plan(request, method, threads))


@dataclass(frozen=True)
class Rounded:
    """Integer output samples and how many values clipping changed."""

    pixels: npt.NDArray[Any]
    clipped_low: int
    clipped_high: int


def filter_rounded(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    turned: bool = False,
    scale: float = 1.0,
    offset: float = 0.0,
    dtype: npt.DTypeLike = np.uint8,
    factor: float = 1.0,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    method: str = "auto",
    threads: int | None = None,
) -> Rounded:
    """Filter straight to rounded, clipped integer samples, band by band.

    The same pixels as the float path followed by ``result * scale + offset`` (in float32),
    ``* factor`` (in float64, for a change of bit depth), ``np.rint`` and a clip to ``dtype``'s
    range; but no full-size float copy of the image is ever made.
    """
    out_dtype = np.dtype(dtype)
    if out_dtype.kind != "u":
        raise EngineArgumentError(f"filter_rounded writes unsigned integers, not {out_dtype}")
    request = build_request(
        image,
        weights,
        border=border,
        fill=fill,
        padding=padding,
        stride=stride,
        dilation=dilation,
        turned=turned,
    )
    plan = make_plan(request, method, threads)
    pixels = np.empty(request.out_shape, dtype=out_dtype)
    finisher = _Finisher(float(np.iinfo(out_dtype).max), scale, offset, factor, plan.factor)

    def sink(first: int, last: int, band: npt.NDArray[Any]) -> None:
        finisher.finish(band, pixels[first:last])

    _execute(request, plan, sink)
    return Rounded(pixels.reshape(request.user_shape), finisher.low, finisher.high)


def explain(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    turned: bool = False,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    method: str = "auto",
    threads: int | None = None,
) -> Plan:
    """The plan the engine would follow, without computing anything."""
    request = build_request(
        image,
        weights,
        border=border,
        fill=fill,
        padding=padding,
        stride=stride,
        dilation=dilation,
        turned=turned,
    )
    return make_plan(request, method, threads)


def _to_float(request: Request, plan: Plan) -> npt.NDArray[np.floating]:
    result = np.empty(request.out_shape, dtype=request.result_dtype)

    def sink(first: int, last: int, band: npt.NDArray[Any]) -> None:
        np.copyto(
            result[first:last], with_factor(band, plan.factor, result.dtype), casting="unsafe"
        )

    _execute(request, plan, sink)
    return result.reshape(request.user_shape)


def _execute(request: Request, plan: Plan, sink: Any) -> None:
    """Run ``plan`` band by band, handing each band's accumulator to ``sink``."""
    accumulator = plan.accumulator
    reader = StripReader(request, accumulator)
    rows, cols = request.rows, request.cols
    channels = request.image.shape[2]
    spectrum = None
    if plan.method == "fft":
        spectrum = fft.Spectrum(plan.weights, rows, cols, accumulator)
    scratch = Scratch()

    def buffers(
        name: str, shape: tuple[int, ...], dtype: np.dtype[Any] | None = None
    ) -> npt.NDArray[Any]:
        return scratch.get(name, shape, dtype or accumulator)

    def work(first: int, last: int) -> None:
        band = reader.band(first, last)
        count = last - first
        strip = reader.read(band, buffers("strip", (len(band.sources), reader.width, channels)))
        out = buffers("out", (count, cols.length, channels))
        if plan.method == "direct":
            direct.correlate_strip(
                strip, plan.groups, rows, cols, count, out, buffers("scratch", out.shape)
            )
        elif plan.method == "separable":
            separable.correlate_strip(strip, plan.terms, rows, cols, count, out, buffers)
        else:
            assert spectrum is not None
            fft.correlate_strip(strip, spectrum, rows, cols, count, out)
        sink(first, last, out)

    run_bands(request, plan.band, plan.threads, work)


def with_factor(band: npt.NDArray[Any], factor: float, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """The band with the kernel's common factor put back: float accumulators multiply in their
    own precision, integer ones after conversion to ``dtype``. The float and the rounded paths
    both call this, which is what keeps their pixels identical."""
    if factor == 1:
        return band
    if band.dtype.kind == "f":
        scaled: npt.NDArray[Any] = band * band.dtype.type(factor)
        return scaled
    values = band.astype(dtype)
    np.multiply(values, dtype.type(factor), out=values)
    return values


def _power_of_two_shift(multiplier: float, dtype: np.dtype[Any]) -> int:
    """``k`` if ``multiplier`` is exactly 2**-k (1 <= k < 15) and room is left for rounding."""
    if dtype.kind not in "iu" or not 0 < multiplier < 1:
        return 0
    mantissa, exponent = np.frexp(multiplier)
    k = 1 - int(exponent)
    return k if mantissa == 0.5 and 1 <= k < 15 else 0


def _halve_rounding_to_even(band: npt.NDArray[Any], shift: int) -> npt.NDArray[Any]:
    """``np.rint(band / 2**shift)`` in integer arithmetic: what float32 gives, in fewer passes.

    ``(a + 2**(shift-1) - 1 + ((a >> shift) & 1)) >> shift`` rounds halves to even, for
    negative ``a`` too (``>>`` floors). It runs in place when the additions cannot overflow
    the band's own type, else in int32.
    """
    room = int(np.iinfo(band.dtype).max) - (1 << (shift - 1))
    values = band if int(band.max()) <= room else band.astype(np.int32)
    parity = np.right_shift(values, shift)
    np.bitwise_and(parity, 1, out=parity)
    np.add(values, parity, out=values)
    np.add(values, (1 << (shift - 1)) - 1, out=values)
    np.right_shift(values, shift, out=values)
    return values


class _Finisher:
    """Rounds and clips accumulator bands into output samples, counting what clipping changed."""

    def __init__(
        self, top: float, scale: float, offset: float, factor: float, kernel_factor: float
    ) -> None:
        self.top, self.scale, self.offset, self.factor = top, scale, offset, factor
        self.kernel_factor = kernel_factor
        self.low = self.high = 0
        self._lock = threading.Lock()

    def finish(self, band: npt.NDArray[Any], out: npt.NDArray[Any]) -> None:
        exact = self.scale == 1 and self.offset == 0 and self.factor == 1
        shift = _power_of_two_shift(self.scale * self.kernel_factor, band.dtype)
        if band.dtype.kind in "iu" and exact and self.kernel_factor == 1:
            values: npt.NDArray[Any] = band  # whole numbers already: nothing to round
        elif band.dtype.kind in "iu" and self.offset == 0 and self.factor == 1 and shift:
            values = _halve_rounding_to_even(band, shift)
        else:
            values = with_factor(band, self.kernel_factor, np.dtype(np.float32))
            if values.dtype != np.float32:
                values = values.astype(np.float32)
            if self.scale != 1:
                np.multiply(values, np.float32(self.scale), out=values)
            if self.offset != 0:
                np.add(values, np.float32(self.offset), out=values)
            if self.factor != 1:
                values = values.astype(np.float64) * self.factor
            np.rint(values, out=values)
        # Compare integers with an integer: a float bound would turn every test into float64.
        top = self.top if values.dtype.kind == "f" else int(self.top)
        low = high = 0
        if values.min() < 0:
            low = int(np.count_nonzero(values < 0))
        if values.max() > top:
            high = int(np.count_nonzero(values > top))
        if low or high:
            np.clip(values, 0, top, out=out, casting="unsafe")  # clip and narrow in one pass
            with self._lock:
                self.low += low
                self.high += high
        else:
            np.copyto(out, values, casting="unsafe")
