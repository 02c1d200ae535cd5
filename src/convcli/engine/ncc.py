"""Normalised cross-correlation: how well a template fits at every position of an image.

The score is OpenCV's ``TM_CCOEFF_NORMED`` and scikit-image's ``match_template``: the template
and each window, both made zero-mean per channel, correlated and divided by the product of their
norms, so 1 is a perfect fit up to brightness and contrast. Several channels count as one long
vector (OpenCV's rule): their products and their squares are summed before the division.

The cost does not grow with the template: the numerator is the engine's FFT correlation, and
the windows' sums and sums of squares are running sums (integral images in int64 for integer
samples, the engine's doubling box passes for float ones). On integer samples those window
statistics are exact, so a window is flat (variance 0, score 0) exactly when its
samples are all equal; on float samples and under a mask they carry float rounding, and a
window whose variation is below :data:`FLAT` of the image's range counts as flat.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.api import correlate
from convcli.engine.fft import correlate_across_channels
from convcli.engine.strips import default_threads
from convcli.errors import EngineArgumentError

#: Float windows and masked windows whose standard deviation, per sample, is below this
#: fraction of the image's value range score 0: the running sums cannot tell them from flat.
FLAT = 1e-5
#: Below this bound, n·Σx² - (Σx)² cannot overflow int64 (n samples, Σ over channels).
EXACT_PRODUCT = 2**62


def match_scores(
    image: npt.ArrayLike,
    template: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    threads: int | None = None,
) -> npt.NDArray[np.float64]:
    """The NCC score at every top-left position where ``template`` fits inside ``image``.

    ``image`` is (H, W) or (H, W, C), ``template`` (h, w) or (h, w, C) with the same channels;
    ``mask`` (h, w), where nonzero marks the template samples that count (OpenCV's masked
    ``TM_CCOEFF_NORMED`` for a binary mask). Returns (H - h + 1, W - w + 1) float64 scores in
    -1..1; flat windows score 0.
    """
    pixels, pattern = _as_channels(image, "image"), _as_channels(template, "template")
    (height, width, channels), (rows, cols, template_channels) = pixels.shape, pattern.shape
    if template_channels != channels:
        raise EngineArgumentError(
            f"the template has {template_channels} channel(s) and the image {channels}"
        )
    if rows > height or cols > width:
        raise EngineArgumentError(
            f"the template ({cols}×{rows}) is larger than the image ({width}×{height})"
        )
    inside = _mask(mask, (rows, cols))
    count = int(inside.sum())
    centred, template_energy = _centred_template(pattern, inside, count)
    shifted = pixels.astype(np.float64)
    # A zero-sum template ignores a constant shift, and the FFT gains precision from it: any
    # value near the image's mean will do, so a sample of its pixels gives it.
    shifted -= pixels[::7, ::7].mean(axis=(0, 1), dtype=np.float64)
    if threads is None:
        threads = default_threads(shifted.size, long_calls=True)
    numerator = correlate_across_channels(shifted, centred, threads)
    if mask is None:
        energy, flat = _window_energy(pixels, shifted, rows, cols)
    else:
        energy, flat = _masked_window_energy(pixels, shifted, inside, count, threads)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = numerator / np.sqrt(energy * template_energy)
    scores[flat] = 0.0
    return np.clip(scores, -1.0, 1.0, out=scores)


def _as_channels(array: npt.ArrayLike, name: str) -> npt.NDArray[np.generic]:
    values = np.asarray(array)
    if values.ndim == 2:
        values = values[:, :, np.newaxis]
    if values.ndim != 3 or 0 in values.shape:
        raise EngineArgumentError(f"the {name} must be a non-empty (H, W) or (H, W, C) array")
    if values.dtype.kind not in "buif":
        raise EngineArgumentError(f"the {name} must hold numbers, not {values.dtype}")
    if values.dtype.kind == "b":
        values = values.astype(np.uint8)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise EngineArgumentError(f"the {name} holds NaN or infinite values")
    return values


def _mask(mask: npt.ArrayLike | None, shape: tuple[int, int]) -> npt.NDArray[np.bool_]:
    if mask is None:
        return np.ones(shape, dtype=bool)
    inside = np.asarray(mask)
    if inside.shape != shape:
        raise EngineArgumentError(
            f"the mask is {inside.shape[1::-1]} and the template {shape[::-1]}: they must match"
        )
    covered: npt.NDArray[np.bool_] = inside != 0
    if not covered.any():
        raise EngineArgumentError("the mask is empty: no template sample would count")
    return covered


def _centred_template(
    pattern: npt.NDArray[np.generic], inside: npt.NDArray[np.bool_], count: int
) -> tuple[npt.NDArray[np.float64], float]:
    """The template made zero-mean per channel over the masked-in samples (0 outside), and its
    energy; a flat template would score 0 everywhere, so it is refused."""
    values = pattern.astype(np.float64)
    means = values[inside].sum(axis=0) / count
    centred = np.where(inside[:, :, np.newaxis], values - means, 0.0)
    energy = float(np.square(centred).sum())
    if not np.ptp(values[inside], axis=0).any():
        raise EngineArgumentError(
            "the template is flat (all its samples are equal): every score would be 0"
        )
    return centred, energy


def _window_energy(
    pixels: npt.NDArray[np.generic], shifted: npt.NDArray[np.float64], rows: int, cols: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Σ over channels of each window's Σ(x - mean)², from running sums, and where it is flat.

    Σ_c Σx² is one running sum over the channels' squares; each channel adds (Σx)²/n.
    """
    count = rows * cols
    if pixels.dtype.kind in "ui" and pixels.dtype.itemsize <= 2:
        channels = pixels.shape[2]
        top = 1 << (8 * pixels.dtype.itemsize)  # above any |sample| of 8 or 16 bits
        wide = np.int32 if channels * top * top < 2**31 else np.int64
        total = np.zeros(pixels.shape[:2], dtype=wide)
        for channel in range(channels):
            total += np.square(pixels[:, :, channel], dtype=wide)
        squares = _box(total, rows, cols)
        if count * count * top * top * channels < EXACT_PRODUCT:
            # n·Σx² - Σ(Σx)² is n times the energy, exactly, in int64 (always for 8-bit).
            squares *= count
            for channel in range(channels):
                squares -= np.square(_box(pixels[:, :, channel], rows, cols))
            return squares / count, squares == 0
        fraction = np.zeros(squares.shape)
        for channel in range(channels):
            # Σx = q·n + r, so (Σx)²/n = q²n + 2qr + r²/n: the integer part is subtracted
            # exactly in int64, and only r²/n < n is rounded.
            quotient, remainder = np.divmod(_box(pixels[:, :, channel], rows, cols), count)
            squares -= quotient * (quotient * count + 2 * remainder)
            fraction += np.square(remainder, dtype=np.float64) / count
        return squares - fraction, squares == 0  # 0 exactly when every Σ(x - mean)² is
    # Float sums come from the engine's box passes, whose rounding is relative to each window,
    # not to the whole image as an integral image's would be.
    box = np.ones((rows, cols))
    energy = correlate(
        np.einsum("ijc,ijc->ij", shifted, shifted), box, padding="valid", method="separable"
    ).astype(np.float64)
    for channel in range(shifted.shape[2]):
        sums = correlate(shifted[:, :, channel], box, padding="valid", method="separable")
        energy -= sums * sums / count
    np.maximum(energy, 0.0, out=energy)
    return energy, energy <= _flat_energy(pixels, count)


def _masked_window_energy(
    pixels: npt.NDArray[np.generic],
    shifted: npt.NDArray[np.float64],
    inside: npt.NDArray[np.bool_],
    count: int,
    threads: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Σ over channels of Σ_mask(x - mean_mask)² per window, by FFT correlations with the mask."""
    weights = inside.astype(np.float64)[:, :, np.newaxis]
    squares = np.einsum("ijc,ijc->ij", shifted, shifted)[:, :, np.newaxis]
    energy = correlate_across_channels(squares, weights, threads)
    for channel in range(shifted.shape[2]):
        sums = correlate_across_channels(shifted[:, :, channel : channel + 1], weights, threads)
        energy -= sums * sums / count
    np.maximum(energy, 0.0, out=energy)
    return energy, energy <= _flat_energy(pixels, count)


def _flat_energy(pixels: npt.NDArray[np.generic], count: int) -> float:
    """The energy of a window whose deviation is FLAT of the image's range, in every channel."""
    spread = float(pixels.max()) - float(pixels.min())
    return float(pixels.shape[2] * count * (FLAT * spread) ** 2)


def _box(values: npt.NDArray[Any], rows: int, cols: int) -> npt.NDArray[np.int64]:
    """The exact sum of every rows×cols window of integer ``values`` (top-left anchored).

    Running sums down the rows are added row by row (NumPy's cumsum along axis 0 walks
    column by column, eight times slower here), then along each row.
    """
    table = values.astype(np.int64)
    for row in range(1, table.shape[0]):
        np.add(table[row], table[row - 1], out=table[row])
    vertical = table[rows - 1 :].copy()
    vertical[1:] -= table[:-rows]
    np.cumsum(vertical, axis=1, out=vertical)
    sums = vertical[:, cols - 1 :].copy()
    sums[:, 1:] -= vertical[:, :-cols]
    return sums
