"""The engine's public entry points: validate, plan, then run the chosen strategy band by band."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import direct, fft, separable
from convcli.engine.plan import Plan, band_rows, make_plan
from convcli.engine.request import IntOrPair, Request, build_request
from convcli.engine.samples import Clipping, Finish, response_of, sums_to_samples
from convcli.engine.strips import Region, Scratch, StripReader, regions, run_bands
from convcli.errors import EngineArgumentError

Sink = Callable[[int, int, npt.NDArray[Any]], None]


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs one kernel, as :func:`correlate` takes them (see its docstring)."""

    border: str = "reflect"
    fill: float = 0.0
    padding: str = "same"
    stride: IntOrPair = 1
    dilation: IntOrPair = 1
    method: str = "auto"
    threads: int | None = None


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
    magnitude: int | None = None,
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
        ``auto`` (a cost model picks), ``direct``, ``separable`` or ``fft``. On integer samples
        of up to 16 bits all give the same result to the last bit: each sums the kernel's
        whole-number form (``forms.integer_form``) exactly. Float images agree up to rounding.
    threads
        Threads to share the work (default: every usable core for large jobs, 1 for small ones;
        the ``CONVCLI_THREADS`` environment variable overrides the default).
    magnitude
        For wider integer images: no |sample| exceeds this (at most 2**20), so the exact sums
        apply to them too.

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
    options = EngineOptions(border, fill, padding, stride, dilation, method, threads)
    request = _request(image, weights, options, turned=False, magnitude=magnitude)
    return _to_float(request, make_plan(request, method, threads), request.result_dtype)


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
    magnitude: int | None = None,
) -> npt.NDArray[np.floating]:
    """The true convolution: ``weights`` turned 180°, as scipy.ndimage.convolve and np.convolve.

    Takes the same arguments as :func:`correlate`; the anchor stays at the centre of the
    kernel as given, exactly as in scipy.ndimage.convolve.

    Examples
    --------
    >>> convolve([0, 0, 1, 0, 0], [1, 2, 3], border="constant")
    array([0., 1., 2., 3., 0.], dtype=float32)
    """
    options = EngineOptions(border, fill, padding, stride, dilation, method, threads)
    request = _request(image, weights, options, turned=True, magnitude=magnitude)
    return _to_float(request, make_plan(request, method, threads), request.result_dtype)


@dataclass(frozen=True)
class Rounded:
    """Integer output samples and how many values clipping changed."""

    pixels: npt.NDArray[Any]
    clipped_low: int
    clipped_high: int


def respond(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    options: EngineOptions = EngineOptions(),
    *,
    turned: bool = False,
    magnitude: int | None = None,
) -> npt.NDArray[np.floating]:
    """The kernel's response as the rounding rule sees it: float64 for integer samples
    (``float64(S) * factor`` of the exact sum), the float result for float samples."""
    request = _request(image, weights, options, turned=turned, magnitude=magnitude)
    plan = make_plan(request, options.method, options.threads)
    dtype = np.dtype(np.float64) if plan.exact else request.result_dtype
    return _to_float(request, plan, dtype)


def round_samples(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    finish: Finish,
    dtype: npt.DTypeLike,
    options: EngineOptions = EngineOptions(),
    *,
    turned: bool = False,
    magnitude: int | None = None,
) -> Rounded:
    """Filter straight to output samples by the rounding rule (``samples``), band by band.

    The very pixels of :func:`respond` followed by ``samples.to_samples``; but no full-size
    float copy of the image is ever made.
    """
    out_dtype = np.dtype(dtype)
    if out_dtype.kind != "u":
        raise EngineArgumentError(f"round_samples writes unsigned integers, not {out_dtype}")
    request = _request(image, weights, options, turned=turned, magnitude=magnitude)
    plan = make_plan(request, options.method, options.threads)
    pixels = np.empty(request.out_shape, dtype=out_dtype)
    clipping = Clipping()

    def sink(first: int, last: int, sums: npt.NDArray[Any]) -> None:
        sums_to_samples(sums, plan.factor, finish, pixels[first:last], clipping)

    _execute(request, plan, sink)
    return Rounded(pixels.reshape(request.user_shape), clipping.low, clipping.high)


def plan_for(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    options: EngineOptions = EngineOptions(),
    *,
    turned: bool = False,
    magnitude: int | None = None,
) -> Plan:
    """The plan the engine would follow, without computing anything."""
    request = _request(image, weights, options, turned=turned, magnitude=magnitude)
    return make_plan(request, options.method, options.threads)


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
    """The plan the engine would follow, without computing anything (keyword form)."""
    options = EngineOptions(border, fill, padding, stride, dilation, method, threads)
    return plan_for(image, weights, options, turned=turned)


def _request(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    options: EngineOptions,
    *,
    turned: bool,
    magnitude: int | None,
) -> Request:
    return build_request(
        image,
        weights,
        border=options.border,
        fill=options.fill,
        padding=options.padding,
        stride=options.stride,
        dilation=options.dilation,
        turned=turned,
        magnitude=magnitude,
    )


def _to_float(request: Request, plan: Plan, dtype: np.dtype[Any]) -> npt.NDArray[np.floating]:
    result = np.empty(request.out_shape, dtype=dtype)
    if not plan.exact and plan.limbs == 1 and dtype == plan.accumulator:
        _execute_into(request, plan, result)
        return result.reshape(request.user_shape)

    def sink(first: int, last: int, sums: npt.NDArray[Any]) -> None:
        if plan.exact:
            np.copyto(result[first:last], response_of(sums, plan.factor), casting="unsafe")
        else:
            np.copyto(result[first:last], sums, casting="unsafe")

    _execute(request, plan, sink)
    return result.reshape(request.user_shape)


def sample_limbs(request: Request, count: int, bits: int) -> list[Request]:
    """The request's samples as ``count`` 8-bit limbs, lowest first (the top one keeps the
    sign): ``sample = sum_a limb_a << 8a``, the fill value split alike."""
    if count == 1:
        return [request]
    image, fill = request.image, int(request.fill)
    mask = (1 << bits) - 1
    limbs = []
    for number in range(count):
        shift = number * bits
        if number == count - 1:  # >> floors, for negative samples too
            values, part = image >> shift, fill >> shift
        else:
            values, part = (image >> shift) & mask, (fill >> shift) & mask
        limbs.append(replace(request, image=values, fill=float(part)))
    return limbs


Buffers = Callable[..., npt.NDArray[Any]]


def _buffers(accumulator: np.dtype[Any]) -> Buffers:
    """``buffers(name, shape, dtype=accumulator)``: per-thread arrays, reused across bands."""
    scratch = Scratch()

    def buffers(
        name: str, shape: tuple[int, ...], dtype: np.dtype[Any] | None = None
    ) -> npt.NDArray[Any]:
        return scratch.get(name, shape, dtype or accumulator)

    return buffers


Compute = Callable[[StripReader, int, int, "npt.NDArray[Any] | None"], npt.NDArray[Any]]


def _band_computer(request: Request, plan: Plan, buffers: Buffers) -> Compute:
    """``compute(reader, first, last, out)``: the plan's sums for the reader's output rows
    first..last-1, written into ``out`` (or a per-thread buffer when it is None) and returned."""
    channels = request.image.shape[2]
    spectrum = None
    if plan.method == "fft":
        weights = plan.kernel_limbs or fft.KernelLimbs([plan.weights], 0)
        spectrum = fft.Spectrum(
            weights, request.rows, request.cols, plan.accumulator, snap=plan.snap
        )

    def compute(
        reader: StripReader, first: int, last: int, out: npt.NDArray[Any] | None
    ) -> npt.NDArray[Any]:
        band = reader.band(first, last)
        count = last - first
        rows, cols = reader.request.rows, reader.request.cols
        strip = reader.read(band, buffers("strip", (len(band.sources), reader.width, channels)))
        if out is None:
            out = buffers("out", (count, cols.length, channels))
        if plan.method == "direct":
            direct.correlate_strip(
                strip, plan.magnitudes, rows, cols, count, out, buffers("scratch", out.shape)
            )
        elif plan.method == "separable":
            separable.correlate_strip(strip, plan.terms, rows, cols, count, out, buffers)
            if plan.snap:
                np.rint(out, out=out)  # float terms within 0.5 of the exact sums
        else:
            assert spectrum is not None
            fft.correlate_strip(strip, spectrum, rows, cols, count, out)
        return out

    return compute


def _execute_into(request: Request, plan: Plan, target: npt.NDArray[Any]) -> None:
    """Run a float plan whose sums are the result itself straight into ``target``: the
    interior reads the image in place, only the frame the border rule reaches is copied."""
    compute = _band_computer(request, plan, _buffers(plan.accumulator))
    whole = [Region(request, slice(None), slice(None))]
    pieces = whole if plan.method == "fft" else regions(request)
    for piece in pieces:
        reader = StripReader(piece.request, plan.accumulator, borrow=piece.interior)
        view = target[piece.rows, piece.cols]
        height = band_rows(piece.request, plan)

        def work(first: int, last: int, reader: StripReader = reader, view: Any = view) -> None:
            compute(reader, first, last, view[first:last])

        run_bands(piece.request, height, plan.threads, work)


def _execute(request: Request, plan: Plan, sink: Sink) -> None:
    """Run ``plan`` band by band, handing each band's sums to ``sink``."""
    accumulator = plan.accumulator
    limbs = sample_limbs(request, plan.limbs, plan.limb_bits)
    readers = [StripReader(limb, accumulator) for limb in limbs]
    cols = request.cols
    channels = request.image.shape[2]
    buffers = _buffers(accumulator)
    compute = _band_computer(request, plan, buffers)

    def work(first: int, last: int) -> None:
        if len(readers) == 1:
            sink(first, last, compute(readers[0], first, last, None))
            return
        shape = (last - first, cols.length, channels)
        if len(readers) == 2:
            # Two exact float64 parts: one IEEE addition rounds their sum correctly, to the
            # very float64(S) that int64 arithmetic would give.
            total = buffers("total", shape)
            np.copyto(total, compute(readers[0], first, last, None))
            high = compute(readers[1], first, last, None)
            np.add(total, np.ldexp(high, plan.limb_bits), out=total)
            sink(first, last, total)
            return
        wide = buffers("total", shape, np.dtype(np.int64))
        for number, reader in enumerate(readers):
            part = compute(reader, first, last, None).astype(np.int64)
            if number:  # each limb's sums are exact: shift and add them in integers
                np.left_shift(part, number * plan.limb_bits, out=part)
                wide += part
            else:
                wide[...] = part
        sink(first, last, wide)

    run_bands(request, plan.band, plan.threads, work)
