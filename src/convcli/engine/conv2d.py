"""Convolution layers as PyTorch's ``torch.nn.functional.conv2d`` defines them: a bank of kernels
that each span every input channel (of their group) and sum them,
``out[o] = bias[o] + Σ_c weight[o, c] ⋆ input[c]`` (⋆: cross-correlation), with stride,
padding, padding mode, dilation and groups.

The work is one matrix product per group and band of output rows: the samples under every tap
are gathered once (one strided copy per tap, "im2col") and multiplied by the whole bank at
once, so a bank of 64 kernels costs one pass over the input per tap, not 64 × C_in
single-channel convolutions. Padding modes are convcli's border rules under PyTorch's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from convcli.engine.borders import source_indices
from convcli.errors import EngineArgumentError

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[PaddingMode, ...] = ("zeros", "reflect", "replicate", "circular")
#: PyTorch's padding modes as convcli's border rules: PyTorch's ``reflect`` leaves the edge
#: sample out (d c b | a b c d), which convcli and scipy call ``mirror``.
BORDER_OF_MODE = {
    "zeros": "constant",
    "reflect": "mirror",
    "replicate": "nearest",
    "circular": "wrap",
}
#: ``same`` (PyTorch: total d·(k−1), stride 1 only), ``valid`` (none) and ``tf-same``
#: (TensorFlow's SAME: output ceil(n/s)); the extra sample of an odd total goes after.
NAMED_PADDINGS = ("same", "valid", "tf-same")
AxisPadding = int | str
#: The gathered samples of one band of output rows stay under this many bytes.
BAND_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class AxisGeometry:
    """One axis of a layer: the padding before and after, and the output length."""

    before: int
    after: int
    length: int


def axis_geometry(
    n: int, taps: int, stride: int, dilation: int, padding: AxisPadding
) -> AxisGeometry:
    """Padding and output length along an axis of ``n`` samples, PyTorch's
    ``floor((n + before + after − d·(k−1) − 1) / s) + 1``."""
    if stride < 1 or dilation < 1 or taps < 1:
        raise EngineArgumentError("`stride`, `dilation` and the kernel size must be at least 1")
    span = dilation * (taps - 1) + 1
    if isinstance(padding, int | np.integer):
        if padding < 0:
            raise EngineArgumentError(f"`padding` must be ≥ 0, not {padding}")
        before = after = int(padding)
    elif padding == "valid":
        before = after = 0
    elif padding == "same":
        if stride != 1:
            raise EngineArgumentError(
                "`padding` 'same' needs stride 1, as in PyTorch; 'tf-same' is TensorFlow's SAME, "
                "which allows any stride"
            )
        total = span - 1
        before, after = total // 2, total - total // 2
    elif padding == "tf-same":
        total = max((-(-n // stride) - 1) * stride + span - n, 0)
        before, after = total // 2, total - total // 2
    else:
        raise EngineArgumentError(
            f"unknown `padding` {padding!r}: a number, a pair, or one of "
            + ", ".join(NAMED_PADDINGS)
        )
    length = (n + before + after - span) // stride + 1
    if length < 1:
        raise EngineArgumentError(
            f"the kernel spans {span} samples but the padded input has {n + before + after}: "
            "no output"
        )
    return AxisGeometry(before, after, length)


def pad_planes(
    x: npt.NDArray[np.floating], rows: AxisGeometry, cols: AxisGeometry, mode: PaddingMode
) -> npt.NDArray[np.float32]:
    """``x`` (C, H, W) with the padding added, the new samples made by ``mode``."""
    if mode not in BORDER_OF_MODE:
        raise EngineArgumentError(
            f"unknown `padding_mode` {mode!r}: one of {', '.join(PADDING_MODES)}"
        )
    _, height, width = x.shape
    for n, axis in ((height, rows), (width, cols)):
        if mode == "reflect" and max(axis.before, axis.after) >= n:
            raise EngineArgumentError(
                f"`padding_mode` 'reflect' needs padding smaller than the input ({n}), as in "
                "PyTorch"
            )
        if mode == "circular" and max(axis.before, axis.after) > n:
            raise EngineArgumentError(
                f"`padding_mode` 'circular' needs padding at most the input ({n}), as in PyTorch"
            )
    border = BORDER_OF_MODE[mode]
    row_index = source_indices(height, -rows.before, height + rows.after - 1, border)  # type: ignore[arg-type]
    col_index = source_indices(width, -cols.before, width + cols.after - 1, border)  # type: ignore[arg-type]
    padded = x.astype(np.float32, copy=False)[:, np.maximum(row_index, 0)][
        :, :, np.maximum(col_index, 0)
    ]
    if border == "constant":
        padded[:, row_index < 0] = 0
        padded[:, :, col_index < 0] = 0
    return padded


def conv2d(
    x: npt.NDArray[np.floating],
    weight: npt.NDArray[np.floating],
    bias: npt.NDArray[np.floating] | None = None,
    *,
    stride: tuple[int, int] = (1, 1),
    padding: tuple[AxisPadding, AxisPadding] = (0, 0),
    padding_mode: PaddingMode = "zeros",
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
) -> npt.NDArray[np.float32]:
    """``x`` (C_in, H, W) through the bank ``weight`` (C_out, C_in/groups, kH, kW): the
    (C_out, H_out, W_out) float32 result of PyTorch's conv2d with the same arguments."""
    if x.ndim != 3 or weight.ndim != 4:
        raise EngineArgumentError(
            f"a layer takes a (C, H, W) input and a (C_out, C_in/groups, kH, kW) bank, not "
            f"{x.shape} and {weight.shape}"
        )
    channels, height, width = x.shape
    outputs, per_group, taps_h, taps_w = weight.shape
    if groups < 1 or channels % groups or outputs % groups:
        raise EngineArgumentError(
            f"`groups` {groups} must divide the {channels} input and {outputs} output channels"
        )
    if per_group != channels // groups:
        raise EngineArgumentError(
            f"the bank expects {per_group * groups} input channels ({per_group} a group × "
            f"{groups} groups) but the input has {channels}"
        )
    if bias is not None and bias.shape != (outputs,):
        raise EngineArgumentError(f"`bias` needs {outputs} values, one per kernel, not {bias.size}")
    rows = axis_geometry(height, taps_h, stride[0], dilation[0], padding[0])
    cols = axis_geometry(width, taps_w, stride[1], dilation[1], padding[1])
    padded = pad_planes(x, rows, cols, padding_mode)
    out = np.empty((outputs, rows.length, cols.length), dtype=np.float32)
    depth = per_group * taps_h * taps_w
    band = max(1, BAND_BYTES // (4 * depth * cols.length))
    per_out = outputs // groups
    bank = weight.astype(np.float32, copy=False).reshape(groups, per_out, depth)
    (s_h, s_w), (d_h, d_w) = stride, dilation
    for group in range(groups):
        planes = padded[group * per_group : (group + 1) * per_group]
        for first in range(0, rows.length, band):
            count = min(band, rows.length - first)
            gathered = np.empty((per_group, taps_h, taps_w, count, cols.length), np.float32)
            for i in range(taps_h):
                top = first * s_h + i * d_h
                for j in range(taps_w):
                    left = j * d_w
                    gathered[:, i, j] = planes[
                        :,
                        top : top + s_h * (count - 1) + 1 : s_h,
                        left : left + s_w * (cols.length - 1) + 1 : s_w,
                    ]
            product = bank[group] @ gathered.reshape(depth, count * cols.length)
            out[group * per_out : (group + 1) * per_out, first : first + count] = product.reshape(
                per_out, count, cols.length
            )
    if bias is not None:
        out += bias.astype(np.float32)[:, None, None]
    return out
