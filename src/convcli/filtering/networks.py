"""A picture through convolution layers, as a network library would run it: the image as a
(C, H, W) float tensor (0..1 like torchvision's ``ToTensor``, or the stored values), then each
step of a :class:`~convcli.kernels.network.Network`; what each step did to the shape, the
receptive field and the multiply-adds; and the feature maps as pictures people can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from convcli.engine.conv2d import conv2d
from convcli.engine.pooling import activate, pool2d
from convcli.errors import UsageError
from convcli.images.drawing import contact_sheet, resize_area
from convcli.images.picture import Picture
from convcli.kernels.network import Activation, Conv, Network, Pool

Tensor = npt.NDArray[np.float32]
InputMode = Literal["scaled", "raw"]
RangeMode = Literal["per-map", "shared"]
#: torchvision's ImageNet normalisation: mean and standard deviation of R, G and B.
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass(frozen=True)
class StepReport:
    """What one step made: its output shape, the receptive field of one output sample (in input
    pixels), how far apart neighbouring samples' fields are, and its multiply-adds."""

    label: str
    shape: tuple[int, int, int]
    field: tuple[int, int]
    jump: tuple[int, int]
    multiply_adds: int


def layer_input(
    picture: Picture,
    mode: InputMode = "scaled",
    normalize: tuple[Sequence[float], Sequence[float]] | None = None,
) -> tuple[Tensor, str]:
    """The picture's colour channels as (C, H, W) float32 (alpha left out), scaled to 0..1
    unless ``mode`` is raw, then ``(x − mean) / std`` per channel; and the channel letters."""
    layout = picture.layout.replace("A", "")
    pixels = picture.pixels[:, :, [picture.layout.index(letter) for letter in layout]]
    tensor = np.moveaxis(pixels.astype(np.float32), 2, 0)
    if mode == "scaled" and not picture.is_float:
        tensor /= np.float32(picture.full_range)
    if normalize is not None:
        tensor = normalized(tensor, *normalize)
    return np.ascontiguousarray(tensor, dtype=np.float32), layout


def normalized(tensor: Tensor, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """``(x − mean) / std`` per channel of a (C, H, W) tensor (one value: every channel)."""
    channels = tensor.shape[0]
    means, stds = (np.asarray(values, dtype=np.float32) for values in (mean, std))
    if means.size not in (1, channels) or stds.size not in (1, channels):
        raise UsageError(
            f"`normalize_input` gives {means.size} means and {stds.size} deviations for "
            f"{channels} channels"
        )
    if np.any(stds <= 0):
        raise UsageError("`normalize_input`: standard deviations must be above 0")
    return ((tensor - means.reshape(-1, 1, 1)) / stds.reshape(-1, 1, 1)).astype(np.float32)


def run_network(x: Tensor, network: Network) -> tuple[Tensor, list[StepReport]]:
    """``x`` through every step in order, and a report for each."""
    reports: list[StepReport] = []
    field, jump = (1, 1), (1, 1)
    for step in network.steps:
        if isinstance(step, Conv):
            x, macs, taps, stride, label = _convolve(x, step)
        elif isinstance(step, Pool):
            x = pool2d(
                x,
                step.kind,
                step.size,
                stride=step.stride,
                padding=step.padding,
                ceil_mode=step.ceil_mode,
                count_include_pad=step.count_include_pad,
            )
            taps, stride, macs = step.size, step.stride or step.size, 0
            label = f"{step.kind} pool {step.size[0]}×{step.size[1]}" + (
                f", stride {stride[0]}×{stride[1]}" if stride != step.size else ""
            )
        else:
            assert isinstance(step, Activation)
            x = activate(x, step.name, step.slope)
            taps, stride, macs = (1, 1), (1, 1), 0
            label = step.name + (f" ({step.slope:g})" if step.name == "leaky-relu" else "")
        field = (field[0] + (taps[0] - 1) * jump[0], field[1] + (taps[1] - 1) * jump[1])
        jump = (jump[0] * stride[0], jump[1] * stride[1])
        shape = (x.shape[0], x.shape[1], x.shape[2])
        reports.append(StepReport(label, shape, field, jump, macs))
    return x, reports


def _convolve(x: Tensor, step: Conv) -> tuple[Tensor, int, tuple[int, int], tuple[int, int], str]:
    """One conv step; its multiply-adds, dilated size and stride, and a label."""
    channels = x.shape[0]
    bank = step.bank
    groups = channels if step.groups == "depthwise" else step.groups
    weight = bank.weights_for(max(1, channels // groups))
    if step.groups == "depthwise" and weight.shape[0] == 1:
        weight = np.repeat(weight, channels, axis=0)
    bias = bank.bias
    if bias is not None and bias.size != weight.shape[0]:
        bias = np.repeat(bias, weight.shape[0] // bias.size)
    out = conv2d(
        x,
        weight,
        bias,
        stride=step.stride,
        padding=step.padding,
        padding_mode=step.padding_mode,  # type: ignore[arg-type]
        dilation=step.dilation,
        groups=groups,
    )
    kernel_h, kernel_w = weight.shape[2], weight.shape[3]
    macs = out.size * weight.shape[1] * kernel_h * kernel_w
    span = (
        step.dilation[0] * (kernel_h - 1) + 1,
        step.dilation[1] * (kernel_w - 1) + 1,
    )
    label = f"conv {weight.shape[0]}×{weight.shape[1]}×{kernel_h}×{kernel_w}"
    if groups > 1:
        label += f", {groups} groups"
    return out, macs, span, step.stride, label


def map_names(network: Network, count: int) -> list[str]:
    """The names of the output maps: the last conv's kernel names while nothing after it mixes
    channels (activations and pools keep them), else ``map N``."""
    for step in reversed(network.steps):
        if isinstance(step, Conv):
            names = list(step.bank.names)
            return names if len(names) == count else [f"map {n}" for n in range(count)]
    return [f"map {n}" for n in range(count)]


def map_ranges(maps: Tensor, mode: RangeMode) -> list[tuple[float, float]]:
    """The value range each map is shown with: its own (``per-map``) or all maps' (``shared``)."""
    if mode == "shared":
        low, high = float(maps.min()), float(maps.max())
        return [(low, high)] * maps.shape[0]
    return [(float(plane.min()), float(plane.max())) for plane in maps]


def map_picture(plane: npt.NDArray[np.floating], low: float, high: float) -> Picture:
    """A feature map as 8-bit gray: ``low`` black, ``high`` white (a flat map mid-gray)."""
    if high > low:
        gray = np.rint((np.clip(plane, low, high) - low) / (high - low) * 255)
    else:
        gray = np.full(plane.shape, 128.0)
    return Picture(gray.astype(np.uint8)[:, :, np.newaxis], "L")


def montage(
    maps: Tensor,
    names: Sequence[str],
    *,
    ranges: RangeMode = "per-map",
    tile: int = 128,
    columns: int | None = None,
) -> Picture:
    """Every map as a labelled tile (its name, and the value range black..white), each scaled by
    its own range or a shared one, so no map is all black or white; small maps are enlarged
    (nearest), large ones reduced (area filter) to ``tile`` pixels on the longer side."""
    tiles = []
    for plane, name, (low, high) in zip(maps, names, map_ranges(maps, ranges), strict=True):
        tiles.append((_fit(map_picture(plane, low, high), tile), f"{name}\n{_range(low, high)}"))
    count = len(tiles)
    return contact_sheet(tiles, columns or min(count, max(1, round(np.sqrt(count * 1.5)))))


def bank_picture(weight: npt.NDArray[np.floating], names: Sequence[str], tile: int = 64) -> Picture:
    """A bank drawn as small pictures, each kernel normalised to its own range: colour images
    for 3 input channels (as papers show AlexNet's first layer), else one gray tile per input
    channel."""
    tiles: list[tuple[Picture, str]] = []
    for kernel, name in zip(weight, names, strict=True):
        low, high = float(kernel.min()), float(kernel.max())
        scale = (high - low) or 1.0
        if kernel.shape[0] == 3:
            rgb = np.rint((np.moveaxis(kernel, 0, 2) - low) / scale * 255).astype(np.uint8)
            tiles.append((_fit(Picture(rgb, "RGB"), tile), f"{name}\n{_range(low, high)}"))
            continue
        for channel, plane in enumerate(kernel):
            label = name if kernel.shape[0] == 1 else f"{name}[{channel}]"
            tiles.append(
                (_fit(map_picture(plane, low, high), tile), f"{label}\n{_range(low, high)}")
            )
    count = len(tiles)
    return contact_sheet(tiles, min(count, max(1, round(np.sqrt(count * 1.5)))))


def _fit(picture: Picture, size: int) -> Picture:
    """Enlarged by whole pixels (nearest) or reduced (area) so the longer side is near ``size``."""
    longer = max(picture.width, picture.height)
    if longer <= size:
        factor = max(1, size // longer)
        pixels = np.repeat(np.repeat(picture.pixels, factor, axis=0), factor, axis=1)
        return picture.with_pixels(pixels)
    scale = size / longer
    width, height = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
    values = np.clip(np.rint(resize_area(picture.pixels, width, height)), 0, 255)
    return picture.with_pixels(values.astype(np.uint8))


def _range(low: float, high: float) -> str:
    return f"{low:.3g}..{high:.3g}"
