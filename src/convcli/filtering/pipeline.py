"""Filtering a Picture: channel selection, gray, premultiplied alpha, chains and repeats.

This layer decides which channels the engine sees and how the channels it does not filter
(alpha, by default) follow the same geometry. Integer pictures reach the engine as whole
numbers: their samples as stored, or in fixed point (``filters.carry``) for luminance and
premultiplied colour, so the general path and the fused one compute the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import EngineOptions, Finish, plan_for, respond, round_samples
from convcli.engine.geometry import dilated_span
from convcli.engine.request import EXACT_SAMPLE_LIMIT
from convcli.errors import UsageError
from convcli.filtering.filters import Samples, carry, chain_values
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
    def engine(self) -> EngineOptions:
        return EngineOptions(
            border=self.border,
            fill=self.fill,
            padding=self.padding,
            stride=self.stride,
            dilation=self.dilation,
            method=self.method,
            threads=self.threads,
        )


def explain_chain(
    picture: Picture, chain: Sequence[AnyKernel], options: FilterOptions
) -> list[str]:
    """What the engine will do for each kernel of the chain on this picture (``--explain``)."""
    lines = []
    for kernel in chain:
        leaves = [kernel] if isinstance(kernel, Kernel) else list(_leaves(kernel))
        for leaf in leaves:
            plan = plan_for(picture.pixels, leaf.weights, options.engine, turned=options.convolve)
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
        raise UsageError("`repeat` must be at least 1")
    values, layout = _working_values(picture, options.gray)
    selected = _selected_channels(layout, options.channels, options.premultiply)
    alpha = layout.find("A")
    kernels = list(chain) * options.repeat
    full_range = picture.full_range
    exact = not picture.is_float

    if options.premultiply and alpha >= 0:
        colour = [i for i in selected if i != alpha]
        # 8-bit colour × alpha are whole numbers within the exact range: summed as they are.
        divisor = 1.0 if not exact or full_range**2 <= EXACT_SAMPLE_LIMIT else full_range
        real = values.values.astype(np.float64) * values.unit
        weight = real[:, :, alpha : alpha + 1]
        stack = np.concatenate([real[:, :, colour] * weight / divisor, weight], axis=2)
        if not exact:
            premultiplied = Samples(stack)
        elif divisor == 1:
            premultiplied = Samples(stack.astype(np.int32), magnitude=EXACT_SAMPLE_LIMIT)
        else:
            premultiplied = carry(stack, full_range)
        result = _run(premultiplied, kernels, options, full_range)
        new_alpha = result[:, :, -1:]
        safe = np.where(np.abs(new_alpha) > _TINY_ALPHA, new_alpha, 1.0)
        divided = result[:, :, :-1] * divisor / safe
        colour_values = np.where(np.abs(new_alpha) > _TINY_ALPHA, divided, 0.0)
        outputs = {c: colour_values[:, :, n] for n, c in enumerate(colour)}
        outputs[alpha] = new_alpha[:, :, 0]
    else:
        chosen = Samples(values.values[:, :, selected], values.unit, values.magnitude)
        result = _run(chosen, kernels, options, full_range)
        outputs = {c: result[:, :, n] for n, c in enumerate(selected)}

    rest = [i for i in range(len(layout)) if i not in outputs]
    if rest:
        carried = _carry(values.values[:, :, rest], kernels, options)
        outputs.update({c: carried[:, :, n] * values.unit for n, c in enumerate(rest)})
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
    finish = Finish(
        scale=kernel.scale,
        offset=kernel.offset_for(picture.full_range),
        depth=output_depth(out_dtype, picture.full_range),
    )
    every = len(selected) == len(layout)
    filtered = round_samples(
        pixels if every else pixels[:, :, selected],
        kernel.weights,
        finish,
        out_dtype,
        options.engine,
        turned=options.convolve,
    )
    if every:  # no channel to carry: the result is the output as it stands
        return filtered.pixels, (filtered.clipped_low, filtered.clipped_high, filtered.pixels.size)
    out = np.empty((*filtered.pixels.shape[:2], len(layout)), dtype=out_dtype)
    out[:, :, selected] = filtered.pixels
    rest = [i for i in range(len(layout)) if i not in selected]
    if rest:
        carried = round_samples(
            pixels[:, :, rest],
            _one_hot(kernel, options.dilation),
            Finish(depth=finish.depth),
            out_dtype,
            replace(options.engine, dilation=1),
            turned=options.convolve,
        )
        out[:, :, rest] = carried.pixels
    return out, (filtered.clipped_low, filtered.clipped_high, filtered.pixels.size)


def output_depth(out_dtype: np.dtype[Any], full_range: float) -> float:
    """What converts the input's units to the output's: 65535/255 for 8-bit in, 16-bit out."""
    return float(np.iinfo(out_dtype).max) / full_range


def _working_values(picture: Picture, gray: bool) -> tuple[Samples, str]:
    """The samples as the engine should see them: as stored, or as luminance if asked.

    Integer samples go to the engine unconverted: it sums them exactly, and the fused path
    (``filter_picture_rounded``) sees the very same numbers. Luminance of integer samples is
    carried in fixed point, computed one multiply-add at a time (no BLAS, the same everywhere).
    """
    layout = picture.layout
    if not gray or layout in ("L", "LA"):
        return Samples(picture.pixels), layout
    if layout not in ("RGB", "RGBA"):
        raise UsageError(f"`gray` converts RGB to luminance; this image is {layout}")
    values = picture.pixels.astype(np.float64)
    luma = values[:, :, 0] * LUMA[0]
    luma += values[:, :, 1] * LUMA[1]
    luma += values[:, :, 2] * LUMA[2]
    planes = [luma, values[:, :, 3]] if layout == "RGBA" else [luma]
    stacked = np.stack(planes, axis=2)
    return _samples(stacked, picture.full_range, not picture.is_float), "LA" if len(
        planes
    ) == 2 else "L"


def _samples(values: npt.NDArray[np.float64], full_range: float, exact: bool) -> Samples:
    return carry(values, full_range) if exact else Samples(values)


def _selected_channels(layout: str, channels: str | None, premultiply: bool) -> list[int]:
    if channels is None:
        chosen = {i for i, c in enumerate(layout) if c != "A"}
    else:
        letters = channels.strip().upper()
        if not letters or set(letters) - set(layout):
            raise UsageError(
                f"`channels` {channels!r}: this image's channels are {layout} "
                f"(choose letters from {', '.join(layout)})"
            )
        chosen = {layout.index(c) for c in letters}
    if premultiply and "A" in layout:
        chosen.add(layout.index("A"))  # premultiplied filtering filters alpha too
    return sorted(chosen)


def _run(
    samples: Samples,
    kernels: list[AnyKernel],
    options: FilterOptions,
    full_range: float,
) -> npt.NDArray[np.floating]:
    return chain_values(samples, kernels, options.engine, options.convolve, full_range)


def _carry(
    values: npt.NDArray[Any], kernels: list[AnyKernel], options: FilterOptions
) -> npt.NDArray[np.floating]:
    """Unfiltered channels follow each step's geometry: a one-hot kernel at the anchor."""
    engine = replace(options.engine, dilation=1)
    result: npt.NDArray[Any] = values
    for kernel in kernels:
        one_hot = _one_hot(kernel, options.dilation)
        result = respond(result, one_hot, engine, turned=options.convolve)
    return result


def _one_hot(kernel: AnyKernel, dilation: int) -> npt.NDArray[np.float64]:
    """A kernel of ``kernel``'s dilated extent that picks the sample under its anchor."""
    rows, cols = _span(kernel, dilation)
    one_hot = np.zeros((rows, cols))
    one_hot[rows // 2, cols // 2] = 1.0
    return one_hot


def _span(kernel: AnyKernel, dilation: int) -> tuple[int, int]:
    """The dilated extent of the kernel (of its largest part, for combined kernels)."""
    if isinstance(kernel, Kernel):
        rows, cols = kernel.shape
    else:
        spans = [_span(part, 1) for part in kernel.parts]
        rows, cols = max(s[0] for s in spans), max(s[1] for s in spans)
    return dilated_span(rows, dilation), dilated_span(cols, dilation)


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
