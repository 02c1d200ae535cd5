"""Applying a Kernel to pixel values: the engine, then combine, scale and offset.

This is the library-level operation behind ``convcli apply``: arrays in, float64 values out.
Integer samples keep the engine's exact sums all the way: a chain's intermediate values are
carried to the next kernel in fixed point (``carry``), so every path computes the same numbers.
Rounding to output samples is ``convcli.engine.samples``' one rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import EngineOptions, Finish, respond
from convcli.engine.geometry import plan_axis
from convcli.engine.modes import canonical_padding
from convcli.engine.request import EXACT_SAMPLE_LIMIT
from convcli.engine.samples import values as finished
from convcli.errors import KernelError
from convcli.kernels.model import AnyKernel, Kernel

FloatArray = npt.NDArray[np.floating]

#: Fixed-point intermediates hold this many bits for the input's full range (1/256 of a step
#: of 8-bit samples, whole steps of 16-bit ones) and saturate at 2**20: 16 × the full range.
FIXED_RANGE_BITS = 16


@dataclass(frozen=True)
class Samples:
    """Values as the engine sums them: whole numbers, each worth ``unit``, at most
    ``magnitude`` in size (None: the dtype's range; float arrays are taken as they are)."""

    values: npt.NDArray[Any]
    unit: float = 1.0
    magnitude: int | None = None

    @property
    def exact(self) -> bool:
        return self.values.dtype.kind in "biu"


def carry(values: npt.NDArray[np.floating], full_range: float) -> Samples:
    """Float64 values (a chain's intermediate, luminance, premultiplied colour) as fixed-point
    samples for the next kernel: ``rint(values * 2**bits)``, the same in every path."""
    unit = carried_unit(full_range)
    scaled = np.rint(values.astype(np.float64) / unit)  # a power of two: exact
    np.clip(scaled, -EXACT_SAMPLE_LIMIT, EXACT_SAMPLE_LIMIT, out=scaled)
    return Samples(scaled.astype(np.int32), unit, EXACT_SAMPLE_LIMIT)


def carried_unit(full_range: float) -> float:
    """What one fixed-point step is worth, for an input whose values span 0..full_range."""
    return math.ldexp(1.0, _ceil_log2(full_range + 1) - FIXED_RANGE_BITS)


def samples_of(values: npt.NDArray[Any], full_range: float, exact: bool) -> Samples:
    """The engine's view of ``values``: as they are for integer samples or float input, in
    fixed point for float values computed from integer samples (``exact``)."""
    if values.dtype.kind in "biu" or not exact:
        return Samples(values)
    return carry(values, full_range)


def apply_kernel(
    image: npt.ArrayLike,
    kernel: AnyKernel,
    *,
    convolve: bool = False,
    full_range: float | None = None,
    **engine: Any,
) -> FloatArray:
    """Filter ``image`` with ``kernel``: ``scale * response + offset``, as float64.

    Parameters
    ----------
    image
        As for :func:`convcli.engine.correlate`.
    kernel
        A :class:`Kernel`, or a :class:`CombinedKernel` whose parts' responses are combined
        (``magnitude``, ``max`` or ``sum``) before its own scale and offset are applied.
    convolve
        Turn the kernel 180° (true convolution) instead of applying it as written.
    full_range
        What a relative offset (``"50%"``) is a fraction of; by default the image dtype's
        maximum for integers (255 for uint8) and 1.0 for floats.
    **engine
        ``border``, ``fill``, ``padding``, ``stride``, ``dilation``, ``method``, ``threads``:
        the fields of :class:`convcli.engine.EngineOptions`.
    """
    pixels = np.asarray(image)
    if full_range is None:
        full_range = default_full_range(pixels.dtype)
    return kernel_values(Samples(pixels), kernel, EngineOptions(**engine), convolve, full_range)


def apply_chain(
    image: npt.ArrayLike,
    kernels: Sequence[AnyKernel],
    *,
    convolve: bool = False,
    full_range: float | None = None,
    **engine: Any,
) -> FloatArray:
    """Apply ``kernels`` one after the other; between steps integer inputs' values are carried
    in fixed point (see :func:`carry`), float inputs' as floats."""
    pixels = np.asarray(image)
    if full_range is None:
        full_range = default_full_range(pixels.dtype)
    return chain_values(Samples(pixels), kernels, EngineOptions(**engine), convolve, full_range)


def chain_values(
    samples: Samples,
    kernels: Sequence[AnyKernel],
    options: EngineOptions,
    convolve: bool,
    full_range: float,
) -> FloatArray:
    """The last kernel's values after every kernel of the chain, each fed the one before."""
    exact = samples.exact
    result: FloatArray = samples.values.astype(np.float64 if exact else np.float32)
    for number, kernel in enumerate(kernels):
        if number:
            samples = samples_of(result, full_range, exact)
        result = kernel_values(samples, kernel, options, convolve, full_range)
    return result


def kernel_values(
    samples: Samples,
    kernel: AnyKernel,
    options: EngineOptions,
    convolve: bool,
    full_range: float,
) -> FloatArray:
    """One kernel's ``response * scale + offset`` (float64 for integer samples)."""
    result, _ = _respond(samples, kernel, options, convolve, full_range)
    return result


def default_full_range(dtype: np.dtype[Any]) -> float:
    """The largest value of an integer dtype (255 for uint8), or 1.0 for floats and booleans."""
    if dtype.kind in "iu":
        return float(np.iinfo(dtype).max)
    return 1.0


def _respond(
    samples: Samples,
    kernel: AnyKernel,
    options: EngineOptions,
    convolve: bool,
    full_range: float,
) -> tuple[FloatArray, tuple[int, ...]]:
    """The kernel's values and, per axis, the input position its first output is centred on."""
    pixels = samples.values
    if isinstance(kernel, Kernel):
        engine = replace(options, fill=options.fill / samples.unit)  # in the samples' units
        result: FloatArray = respond(
            pixels, kernel.weights, engine, turned=convolve, magnitude=samples.magnitude
        )
        if samples.unit != 1:
            result *= samples.unit  # a power of two: exact
        centres = _centres(pixels, kernel.shape, convolve, options)
    else:
        parts = [_respond(samples, part, options, convolve, full_range) for part in kernel.parts]
        aligned, centres = _align(parts, options)
        result = _combine(aligned, kernel.combine)
    finish = Finish(scale=kernel.scale, offset=kernel.offset_for(full_range))
    if finish != Finish():
        result = (
            finished(result, finish) if result.dtype == np.float64 else _in_place(result, finish)
        )
    return result, centres


def _in_place(result: FloatArray, finish: Finish) -> FloatArray:
    """Scale and offset float32 results of float input in their own precision."""
    if finish.scale != 1:
        result *= result.dtype.type(finish.scale)
    if finish.offset:
        result += result.dtype.type(finish.offset)
    return result


def _centres(
    pixels: npt.NDArray[Any], shape: tuple[int, int], turned: bool, options: EngineOptions
) -> tuple[int, ...]:
    """Per spatial axis: the input index the first output sample is centred on."""
    sizes = pixels.shape[:2] if pixels.ndim > 1 else (1, pixels.shape[0])
    strides = _pair(options.stride)
    dilations = _pair(options.dilation)
    centres = [
        plan_axis(
            sizes[axis],
            shape[axis],
            padding=canonical_padding(options.padding),
            stride=strides[axis],
            dilation=dilations[axis],
            turned=turned,
        ).centre
        for axis in (0, 1)
    ]
    return tuple(centres) if pixels.ndim > 1 else (centres[1],)


def _ceil_log2(value: float) -> int:
    mantissa, exponent = math.frexp(value)
    return exponent - 1 if mantissa == 0.5 else exponent


def _align(
    parts: list[tuple[FloatArray, tuple[int, ...]]], options: EngineOptions
) -> tuple[list[FloatArray], tuple[int, ...]]:
    """Crop responses of kernels of different sizes so that each output pixel has one centre."""
    strides = _pair(options.stride)[-len(parts[0][1]) :]
    target = tuple(max(c[axis] for _, c in parts) for axis in range(len(parts[0][1])))
    crops = []
    for response, centres in parts:
        starts = []
        for axis, (centre, stride) in enumerate(zip(centres, strides, strict=True)):
            shift, remainder = divmod(target[axis] - centre, stride)
            if remainder:
                raise KernelError(
                    "the kernels combined here have different sizes that cannot be aligned "
                    f"with stride {stride}; use padding 'same' or stride 1"
                )
            starts.append(shift)
        crops.append((response, starts))
    lengths = [
        min(response.shape[axis] - starts[axis] for response, starts in crops)
        for axis in range(len(target))
    ]
    aligned = [
        response[tuple(slice(a, a + n) for a, n in zip(starts, lengths, strict=True))]
        for response, starts in crops
    ]
    return aligned, target


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int | np.integer):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def _combine(responses: list[FloatArray], how: str) -> FloatArray:
    if how == "max":
        return np.asarray(np.maximum.reduce(responses))
    total = np.zeros_like(responses[0])
    for response in responses:
        total += response * response if how == "magnitude" else response
    return np.sqrt(total, out=total) if how == "magnitude" else total
