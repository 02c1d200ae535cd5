"""Rich renderables for the terminal: picture previews, pixel heat maps, kernel tables.

Builds things to print; never decides where they go (the CLI owns stdout and stderr).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.color import Color
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from convcli.images.picture import Picture
from convcli.images.views import short_number
from convcli.kernels import AnyKernel, Kernel, LibraryEntry

#: A perceptually ordered map (viridis anchors) for heat maps of values.
_HEAT = np.array(
    [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float
)
#: A diverging map for signed kernels: blue for negative, white for 0, red for positive.
_DIVERGING = np.array(
    [(49, 54, 149), (171, 217, 233), (247, 247, 247), (253, 174, 97), (165, 0, 38)]
)


def preview(rgb: npt.NDArray[np.uint8]) -> Text:
    """Two pixels per character cell: the upper half block in the top colour over the bottom one."""
    text = Text(no_wrap=True, overflow="crop")
    for row in range(0, rgb.shape[0], 2):
        top = rgb[row]
        bottom = rgb[row + 1] if row + 1 < rgb.shape[0] else None
        for col in range(rgb.shape[1]):
            fg = Color.from_rgb(*(int(v) for v in top[col][:3]))
            bg = None if bottom is None else Color.from_rgb(*(int(v) for v in bottom[col][:3]))
            text.append("▀", Style(color=fg, bgcolor=bg))
        text.append("\n")
    return text


def summary(picture: Picture) -> Group:
    """Size, mode and depth, then per-channel statistics."""
    table = Table(show_edge=False, box=None, padding=(0, 2))
    mode = picture.layout
    if picture.source_mode and picture.source_mode != picture.layout:
        mode += f" (read from {picture.source_mode})"
    table.add_column("channel")
    for header in ("min", "max", "mean"):
        table.add_column(header, justify="right")
    for index, letter in enumerate(picture.layout):
        channel = picture.pixels[:, :, index]
        table.add_row(
            letter,
            short_number(channel.min()),
            short_number(channel.max()),
            f"{float(channel.mean()):.4g}",
        )
    facts = (
        f"{picture.width}×{picture.height} pixels, {mode}, {picture.depth_name}"
        + (f", {picture.dpi[0]:g} dpi" if picture.dpi else "")
        + (", ICC profile" if picture.icc_profile else "")
    )
    return Group(Text(facts), table)


def array_view(
    values: npt.NDArray[Any], *, left: int = 0, top: int = 0, value_range: tuple[float, float]
) -> Table:
    """A matrix with row and column indices, each cell shaded by its value (a heat map)."""
    low, high = value_range
    cells = [[short_number(v) for v in row] for row in values]
    widest_index = len(str(left + values.shape[1] - 1))
    width = max(max((len(c) for row in cells for c in row), default=1), widest_index)
    table = Table(show_edge=False, box=None, padding=(0, 0), pad_edge=False, show_header=True)
    table.add_column("", justify="right", style="dim")
    for col in range(values.shape[1]):
        table.add_column(str(left + col), justify="right", header_style="dim", min_width=width + 1)
    for r, row in enumerate(cells):
        styled = [
            Text(f" {cell}", style=_heat_style(float(values[r, c]), low, high, _HEAT))
            for c, cell in enumerate(row)
        ]
        table.add_row(str(top + r), *styled)
    return table


def kernel_table(entries: Iterable[LibraryEntry]) -> Table:
    """Every kernel the resolver can find: name, size, sum, description, origin."""
    table = Table(show_edge=False, box=None, padding=(0, 1), header_style="bold")
    for header in ("name", "size", "sum", "description", "from"):
        table.add_column(header, no_wrap=header in ("name", "size", "sum"))
    for entry in entries:
        kernel = entry.kernel
        origin = entry.source if entry.source == "built-in" else f"{entry.source}: {entry.path}"
        if kernel is None:
            table.add_row(entry.name, "", "", Text(entry.error or "", style="red"), origin)
            continue
        name = Text(entry.name, style="dim strike" if entry.shadowed else "")
        if entry.shadowed:
            origin += " (shadowed)"
        summed = (
            short_number(kernel.effective_sum) if isinstance(kernel, Kernel) else kernel.combine
        )
        table.add_row(name, kernel.size_text, summed, kernel.description, origin)
    return table


def kernel_details(kernel: AnyKernel) -> RenderableType:
    """The matrix, sums, scale, offset, separability and origin of one kernel."""
    lines: list[RenderableType] = [
        Text.assemble((kernel.name, "bold"), "  ", (kernel.origin, "dim")),
    ]
    if kernel.description:
        lines.append(Text(kernel.description))
    if isinstance(kernel, Kernel):
        lines.extend(_kernel_matrix(kernel))
    else:
        lines.append(Text(f"combine: {kernel.combine} of {len(kernel.parts)} kernels"))
        for part in kernel.parts:
            lines.append(Text(""))
            lines.append(kernel_details(part))
        lines.append(Text(_scale_offset(kernel)))
    return Group(*lines)


def _kernel_matrix(kernel: Kernel) -> Sequence[RenderableType]:
    weights = kernel.weights
    bound = float(np.abs(weights).max()) or 1.0
    cells = [[short_number(v) for v in row] for row in weights]
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 0))
    for _ in range(weights.shape[1]):
        table.add_column(justify="right")
    for r, row in enumerate(cells):
        table.add_row(
            *(
                Text(
                    f" {cell} ", style=_heat_style(float(weights[r, c]), -bound, bound, _DIVERGING)
                )
                for c, cell in enumerate(row)
            )
        )
    rank = kernel.separable_rank
    facts = [
        f"size {kernel.size_text}, anchor row {weights.shape[0] // 2} col {weights.shape[1] // 2}",
        f"sum of weights {short_number(kernel.weight_sum)}; {_scale_offset(kernel)}; "
        f"effective sum {short_number(kernel.effective_sum)}",
        "separable (rank 1)" if rank == 1 else f"not separable (rank {rank})",
    ]
    return [table, *(Text(f) for f in facts)]


def _scale_offset(kernel: AnyKernel) -> str:
    offset = f"{kernel.offset * 100:g}%" if kernel.offset_relative else short_number(kernel.offset)
    return f"scale {short_number(kernel.scale)}, offset {offset}"


def _heat_style(value: float, low: float, high: float, palette: npt.NDArray[Any]) -> Style:
    position = 0.5 if high <= low else (value - low) / (high - low)
    position = min(max(position, 0.0), 1.0) * (len(palette) - 1)
    index = min(int(position), len(palette) - 2)
    mix = position - index
    red, green, blue = (palette[index] * (1 - mix) + palette[index + 1] * mix).round().astype(int)
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    ink = Color.from_rgb(0, 0, 0) if luminance > 140 else Color.from_rgb(255, 255, 255)
    return Style(color=ink, bgcolor=Color.from_rgb(int(red), int(green), int(blue)))
