"""Filtering a Picture: channel selection, gray, premultiplied alpha, chains and repeats.

The engine sees only float arrays; this layer decides which channels it sees and how the
channels it does not filter (alpha, by default) follow the same geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import convolve as convolve_weights
from convcli.engine import correlate as correlate_weights
from convcli.engine import explain, filter_rounded
from convcli.errors import UsageError
from convcli.filtering.filters import apply_kernel
from convcli.images.picture import Picture
from convcli.kernels import AnyKernel, Kernel

#: ITU-R BT.601 luma weights, as Pillow's convert("L") uses.
LUMA = (0.299, 0.587, 0.114)
_TINY_ALPHA = 1e-12


@dataclass(frozen=True)
class FilterOptions:
    """How to apply a chain of kernels; the engine keywords mean what they mean in the engine."""

    convolve: bool = False
    border: str = "reflect"
    fill: float = 0.0
    padding: str = "same"
    stride: int = 1
    dilation: int = 1
    repeat: int = 1
    #: Letters of the channels to filter (e.g. "RGB", "A"); None means every colour channel.
    channels: str | None = None
    premultiply: bool = False
    gray: bool = False
    method: str = "auto"
    threads: int | None = None

    @property
    def engine(self) -> dict[str, Any]:
        return {
            "border": self.border,
            "fill": self.fill,
            "padding": self.padding,
            "stride": self.stride,
            "dilation": self.dilation,
            "method": self.method,
            "threads": self.threads,
        }


def explain_chain(
    picture: Picture, chain: Sequence[AnyKernel], options: FilterOptions
) -> list[str]:
    """What the engine will do for each kernel of the chain on this picture (``--explain``)."""
    lines = []
    for kernel in chain:
        leaves = [kernel] if isinstance(kernel, Kernel) else list(_leaves(kernel))
        for leaf in leaves:
            plan = explain(picture.pixels, leaf.weights, turned=options.convolve, **options.engine)
            lines.append(f"{leaf.name}: {plan.describe()}")
    return lines


def _leaves(kernel: AnyKernel) -> list[Kernel]:
    if isinstance(kernel, Kernel):
        return [kernel]
    return [leaf for part in kernel.parts for leaf in _leaves(part)]


@dataclass(frozen=True)
class Filtered:
    """Float results in the input's units, with which channels the kernels touched."""

    values: npt.NDArray[np.floating]
    layout: str
    filtered: tuple[bool, ...]
    source: Picture


def filter_picture(
    picture: Picture, chain: Sequence[AnyKernel], options: FilterOptions
) -> Filtered:
    """Apply ``chain`` (``repeat`` times) to the channels ``options`` selects."""
    if options.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    values, layout = _working_values(picture, options.gray)
    selected = _selected_channels(layout, options.channels, options.premultiply)
    alpha = layout.find("A")
    kernels = list(chain) * options.repeat

    if options.premultiply and alpha >= 0:
        colour = [i for i in selected if i != alpha]
        weight = values[:, :, alpha : alpha + 1].astype(np.float64)
        stack = np.concatenate([values[:, :, colour] * weight, weight], axis=2)
        result = _run(stack, kernels, options, picture.full_range)
        new_alpha = result[:, :, -1:]
        safe = np.where(np.abs(new_alpha) > _TINY_ALPHA, new_alpha, 1.0)
        colour_values = np.where(np.abs(new_alpha) > _TINY_ALPHA, result[:, :, :-1] / safe, 0.0)
        outputs = {c: colour_values[:, :, n] for n, c in enumerate(colour)}
        outputs[alpha] = new_alpha[:, :, 0]
    else:
        result = _run(values[:, :, selected], kernels, options, picture.full_range)
        outputs = {c: result[:, :, n] for n, c in enumerate(selected)}

    rest = [i for i in range(len(layout)) if i not in outputs]
    if rest:
        carried = _carry(values[:, :, rest], kernels, options)
        outputs.update({c: carried[:, :, n] for n, c in enumerate(rest)})
    dtype = result.dtype
    stacked = np.stack([outputs[i].astype(dtype, copy=False) for i in range(len(layout))], axis=2)
    flags = tuple(i in selected for i in range(len(layout)))
    return Filtered(stacked, layout, flags, picture)


def filter_picture_rounded(
    picture: Picture,
    chain: Sequence[AnyKernel],
    options: FilterOptions,
    out_dtype: np.dtype[Any],
) -> tuple[npt.NDArray[Any], tuple[int, int, int]] | None:
    """The common case straight to integer samples, band by band: no full-size float copy.

    One plain kernel, integer samples in and out, no gray, premultiply or repeat. Returns the
    pixels and (clipped low, clipped high, filtered values), or None when the general path is
    needed. Gives exactly the pixels of ``filter_picture`` followed by ``quantize``.
    """
    if (
        len(chain) != 1
        or not isinstance(chain[0], Kernel)
        or options.repeat != 1
        or options.gray
        or options.premultiply
        or picture.pixels.dtype.kind != "u"
        or out_dtype.kind != "u"
    ):
        return None
    kernel = chain[0]
    pixels = picture.pixels
    layout = picture.layout
    selected = _selected_channels(layout, options.channels, premultiply=False)
    factor = float(np.iinfo(out_dtype).max) / picture.full_range
    common = {**options.engine, "turned": options.convolve, "dtype": out_dtype, "factor": factor}
    every = len(selected) == len(layout)
    filtered = filter_rounded(
        pixels if every else pixels[:, :, selected],
        kernel.weights,
        scale=kernel.scale,
        offset=kernel.offset_for(picture.full_range),
        **common,
    )
    if every:  # no channel to carry: the result is the output as it stands
        return filtered.pixels, (filtered.clipped_low, filtered.clipped_high, filtered.pixels.size)
    out = np.empty((*filtered.pixels.shape[:2], len(layout)), dtype=out_dtype)
    out[:, :, selected] = filtered.pixels
    rest = [i for i in range(len(layout)) if i not in selected]
    if rest:
        rows, cols = _span(kernel, options.dilation)
        one_hot = np.zeros((rows, cols))
        one_hot[rows // 2, cols // 2] = 1.0
        carried = filter_rounded(pixels[:, :, rest], one_hot, **{**common, "dilation": 1})
        out[:, :, rest] = carried.pixels
    return out, (filtered.clipped_low, filtered.clipped_high, filtered.pixels.size)


def _working_values(picture: Picture, gray: bool) -> tuple[npt.NDArray[Any], str]:
    """The samples as the engine should see them: as stored, or as luminance if asked.

    Integer samples go to the engine unconverted: it sums them exactly, and the rounded fast
    path (``filter_picture_rounded``) sees the very same numbers.
    """
    layout = picture.layout
    if not gray or layout in ("L", "LA"):
        return picture.pixels, layout
    values = picture.pixels.astype(np.float64)
    if layout not in ("RGB", "RGBA"):
        raise UsageError(f"--gray converts RGB to luminance; this image is {layout}")
    luma = values[:, :, :3] @ np.array(LUMA)
    if layout == "RGBA":
        return np.stack([luma, values[:, :, 3]], axis=2), "LA"
    return luma[:, :, np.newaxis], "L"


def _selected_channels(layout: str, channels: str | None, premultiply: bool) -> list[int]:
    if channels is None:
        chosen = {i for i, c in enumerate(layout) if c != "A"}
    else:
        letters = channels.strip().upper()
        if not letters or set(letters) - set(layout):
            raise UsageError(
                f"--channels {channels!r}: this image's channels are {layout} "
                f"(choose letters from {', '.join(layout)})"
            )
        chosen = {layout.index(c) for c in letters}
    if premultiply and "A" in layout:
        chosen.add(layout.index("A"))  # premultiplied filtering filters alpha too
    return sorted(chosen)


def _run(
    values: npt.NDArray[np.floating],
    kernels: list[AnyKernel],
    options: FilterOptions,
    full_range: float,
) -> npt.NDArray[np.floating]:
    result: npt.NDArray[Any] = values
    for kernel in kernels:
        result = apply_kernel(
            result,
            kernel,
            convolve=options.convolve,
            full_range=full_range,
            **options.engine,
        )
    return result


def _carry(
    values: npt.NDArray[np.floating], kernels: list[AnyKernel], options: FilterOptions
) -> npt.NDArray[np.floating]:
    """Unfiltered channels follow each step's geometry: a one-hot kernel at the anchor."""
    apply = convolve_weights if options.convolve else correlate_weights
    result: npt.NDArray[Any] = values
    for kernel in kernels:
        rows, cols = _span(kernel, options.dilation)
        one_hot = np.zeros((rows, cols))
        one_hot[rows // 2, cols // 2] = 1.0
        result = apply(result, one_hot, **{**options.engine, "dilation": 1})
    return result


def _span(kernel: AnyKernel, dilation: int) -> tuple[int, int]:
    """The dilated extent of the kernel (of its largest part, for combined kernels)."""
    if isinstance(kernel, Kernel):
        rows, cols = kernel.shape
    else:
        spans = [_span(part, 1) for part in kernel.parts]
        rows, cols = max(s[0] for s in spans), max(s[1] for s in spans)
    return dilation * (rows - 1) + 1, dilation * (cols - 1) + 1


def with_overrides(
    chain: Sequence[AnyKernel], scale: float | None, offset: tuple[float, bool] | None
) -> list[AnyKernel]:
    """The chain with ``--scale``/``--offset`` replacing the last kernel's own."""
    kernels = list(chain)
    if kernels and (scale is not None or offset is not None):
        last = kernels[-1]
        changes: dict[str, Any] = {}
        if scale is not None:
            changes["scale"] = scale
        if offset is not None:
            changes["offset"], changes["offset_relative"] = offset
        kernels[-1] = replace(last, **changes)
    return kernels
