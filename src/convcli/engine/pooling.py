"""Pooling and activations as PyTorch defines them (``MaxPool2d``, ``AvgPool2d``, ``relu`` ...),
on (C, H, W) float arrays: the steps that follow a convolution in a layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from convcli.errors import EngineArgumentError

PoolKind = Literal["max", "avg"]
ACTIVATIONS = ("relu", "leaky-relu", "sigmoid", "tanh", "abs")


@dataclass(frozen=True)
class PoolAxis:
    """One axis of a pooling: where each window starts in the unpadded input, and how many
    samples PyTorch divides by there (``include``: padding counted; ``exclude``: not)."""

    starts: npt.NDArray[np.intp]
    include: npt.NDArray[np.float64]
    exclude: npt.NDArray[np.float64]


def pool_axis(n: int, size: int, stride: int, padding: int, ceil_mode: bool) -> PoolAxis:
    """PyTorch's output length ``floor|ceil((n + 2p − k) / s) + 1``, the last window dropped in
    ceil mode if it would start in the right padding."""
    if size < 1 or stride < 1:
        raise EngineArgumentError("a pool's size and stride must be at least 1")
    if not 0 <= padding <= size // 2:
        raise EngineArgumentError(
            f"a pool's padding must be between 0 and half its size ({size // 2}), not {padding}"
        )
    room = n + 2 * padding - size
    if room < 0:
        raise EngineArgumentError(
            f"a pool of {size} does not fit an input of {n} (padded {n + 2 * padding})"
        )
    length = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (length - 1) * stride >= n + padding:
        length -= 1
    starts = np.arange(length) * stride - padding
    ends = np.minimum(starts + size, n + padding)
    include = (ends - starts).astype(np.float64)
    exclude = (np.minimum(ends, n) - np.maximum(starts, 0)).astype(np.float64)
    return PoolAxis(starts, include, exclude)


def pool2d(
    x: npt.NDArray[np.floating],
    kind: PoolKind,
    size: tuple[int, int],
    *,
    stride: tuple[int, int] | None = None,
    padding: tuple[int, int] = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> npt.NDArray[np.float32]:
    """``x`` (C, H, W) max- or average-pooled: max pads with −inf, avg with zeros and divides
    by the window as PyTorch does (the padding counted unless ``count_include_pad`` is off)."""
    if kind not in ("max", "avg"):
        raise EngineArgumentError(f"unknown pool {kind!r}: max or avg")
    stride = stride or size
    _, height, width = x.shape
    rows = pool_axis(height, size[0], stride[0], padding[0], ceil_mode)
    cols = pool_axis(width, size[1], stride[1], padding[1], ceil_mode)
    fill = -np.inf if kind == "max" else 0.0
    # wide enough for every window: the padding, and in ceil mode the last window's overhang
    extra_h = max(0, int(rows.starts[-1]) + size[0] - height)
    extra_w = max(0, int(cols.starts[-1]) + size[1] - width)
    padded = np.pad(
        x.astype(np.float32, copy=False),
        ((0, 0), (padding[0], extra_h), (padding[1], extra_w)),
        constant_values=fill,
    )
    out_h, out_w = rows.starts.size, cols.starts.size
    result: npt.NDArray[np.float32] | None = None
    for i in range(size[0]):
        for j in range(size[1]):
            view = padded[  # window k starts at k·s in the padded input
                :,
                i : i + stride[0] * (out_h - 1) + 1 : stride[0],
                j : j + stride[1] * (out_w - 1) + 1 : stride[1],
            ]
            if result is None:
                result = view.copy()
            elif kind == "max":
                np.maximum(result, view, out=result)
            else:
                result += view
    assert result is not None
    if kind == "avg":
        divisor = (
            np.outer(rows.include, cols.include)
            if count_include_pad
            else np.outer(rows.exclude, cols.exclude)
        )
        result /= divisor.astype(np.float32)
    return result


def activate(x: npt.NDArray[np.float32], name: str, slope: float = 0.01) -> npt.NDArray[np.float32]:
    """``relu``, ``leaky-relu`` (``slope`` for negatives, PyTorch's 0.01 by default),
    ``sigmoid``, ``tanh`` or ``abs``, elementwise."""
    if name == "relu":
        return np.maximum(x, np.float32(0))
    if name == "leaky-relu":
        return np.where(x >= 0, x, x * np.float32(slope)).astype(np.float32)
    if name == "sigmoid":
        with np.errstate(over="ignore"):  # e^−x overflows below x ≈ −709: 1 / (1 + inf) = 0
            return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)
    if name == "tanh":
        return np.tanh(x)
    if name == "abs":
        return np.abs(x)
    raise EngineArgumentError(f"unknown activation {name!r}: one of {', '.join(ACTIVATIONS)}")
