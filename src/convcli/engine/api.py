"""The engine's public entry points: validate, plan, extend the borders, run a strategy."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from convcli.engine.borders import extend_axis
from convcli.engine.direct import correlate_direct
from convcli.engine.geometry import plan_axis
from convcli.errors import EngineArgumentError
from convcli.modes import canonical_border, canonical_padding

IntOrPair = int | Sequence[int]


def correlate(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
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
    return _filter(image, weights, border, fill, padding, stride, dilation, turned=False)


def convolve(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
) -> npt.NDArray[np.floating]:
    """The true convolution: ``weights`` turned 180°, as scipy.ndimage.convolve and np.convolve.

    Takes the same arguments as :func:`correlate`; the anchor stays at the centre of the
    kernel as given, exactly as in scipy.ndimage.convolve.

    Examples
    --------
    >>> convolve([0, 0, 1, 0, 0], [1, 2, 3], border="constant")
    array([0., 1., 2., 3., 0.], dtype=float32)
    """
    return _filter(image, weights, border, fill, padding, stride, dilation, turned=True)


def _filter(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    border: str,
    fill: float,
    padding: str,
    stride: IntOrPair,
    dilation: IntOrPair,
    *,
    turned: bool,
) -> npt.NDArray[np.floating]:
    pixels = _as_image(image)
    kernel = _as_weights(weights, pixels.ndim)
    fill = _as_fill(fill)
    border_name = canonical_border(border, fill)
    padding_name = canonical_padding(padding)
    strides = _per_axis(stride, "stride", pixels.ndim)
    dilations = _per_axis(dilation, "dilation", pixels.ndim)
    # Any byte order: '>f8' is float64 too. Wider floats keep float64's precision.
    result_dtype = (
        np.float64 if pixels.dtype.kind == "f" and pixels.dtype.itemsize >= 8 else np.float32
    )

    signal = pixels.ndim == 1
    if signal:
        pixels = pixels[np.newaxis, :]
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
    extended = pixels.astype(np.float64)
    extended = extend_axis(
        extended, 0, rows.pad_before, rows.pad_after(pixels.shape[0]), border_name, fill
    )
    extended = extend_axis(
        extended, 1, cols.pad_before, cols.pad_after(pixels.shape[1]), border_name, fill
    )
    result: npt.NDArray[np.floating] = correlate_direct(extended, kernel, rows, cols).astype(
        result_dtype, copy=False
    )
    return result[0] if signal else result


def _as_image(image: npt.ArrayLike) -> npt.NDArray[np.generic]:
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
