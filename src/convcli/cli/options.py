"""Option parsers shared by commands: cheap checks that run before NumPy is imported."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import typer

from convcli.engine.modes import BORDER_ALIASES, BORDERS, canonical_border
from convcli.errors import EngineArgumentError

#: ``--quiet``, which the root command and ``apply`` both take (before or after the command).
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on stderr but errors.")]
#: ``--max-pixels`` of the commands that read images (``apply`` shows it in its Files panel).
MaxPixels = Annotated[
    int, typer.Option(min=1, help="Refuse larger images (decompression-bomb guard).")
]


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels: ``x,y,width,height``."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Point:
    """A pixel position: ``x,y`` (column, row)."""

    x: int
    y: int


@dataclass(frozen=True)
class Offset:
    """An offset in image units, or (``relative``) a fraction of the full range."""

    value: float
    relative: bool


def border(value: str) -> str:
    """Accept the five border names and other tools' aliases; exit 2 on anything else.

    The spelling is kept: ``zero`` also pins the fill, which is checked once --fill is known.
    """
    try:
        canonical_border(value)
    except EngineArgumentError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def complete_border(incomplete: str) -> list[str]:
    return [name for name in (*BORDERS, *sorted(BORDER_ALIASES)) if name.startswith(incomplete)]


def scale(value: str) -> float:
    """A non-zero number or a fraction such as ``1/16``."""
    from convcli.kernels.numbers import parse_number

    parsed = parse_number(value)
    if parsed is None or not math.isfinite(parsed):
        raise typer.BadParameter(f"{value!r} is not a finite number (fractions like 1/16 work)")
    if parsed == 0:
        raise typer.BadParameter("a scale of 0 would make every value 0")
    return parsed


def offset(value: str) -> Offset:
    """A number in image units, or a percentage of the full range (``50%``)."""
    from convcli.kernels.numbers import parse_offset

    parsed = parse_offset(value)
    if parsed is None:
        raise typer.BadParameter(f"{value!r} is not a number or a percentage such as 50%")
    return Offset(*parsed)


def region(value: str) -> Region:
    """``x,y,width,height`` in pixels."""
    try:
        x, y, width, height = (int(part) for part in value.replace(" ", "").split(","))
    except ValueError:
        raise typer.BadParameter(f"{value!r}: write the region as x,y,width,height") from None
    if x < 0 or y < 0 or width < 1 or height < 1:
        raise typer.BadParameter(f"{value!r}: x and y must be ≥ 0, width and height ≥ 1")
    return Region(x, y, width, height)


#: More template sizes than this is a typo (a step of 0.0001), not a search anyone waits for.
MAX_SCALES = 200


@dataclass(frozen=True)
class Scales:
    """Factors to resize a template by, in the order given."""

    factors: tuple[float, ...]


def scale_list(value: str) -> Scales:
    """``START:STOP:STEP`` (STOP included when the steps reach it) or ``S,S,...``: positive
    factors, in the order given."""
    text = value.replace(" ", "")
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if step <= 0 or stop < start:
                raise typer.BadParameter(f"{value!r}: write START:STOP:STEP with STEP > 0")
            count = math.floor((stop - start) / step + 1e-9) + 1
            factors = tuple(round(start + i * step, 10) for i in range(min(count, MAX_SCALES + 1)))
        else:
            factors = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: write START:STOP:STEP or a list such as 0.5,1,2"
        ) from None
    if not factors or not all(math.isfinite(f) and f > 0 for f in factors):
        raise typer.BadParameter(f"{value!r}: every scale must be a positive number")
    if len(factors) > MAX_SCALES:
        raise typer.BadParameter(f"{value!r}: more than {MAX_SCALES} scales")
    return Scales(factors)


def point(value: str) -> Point:
    """``x,y`` in pixels, from 0."""
    try:
        x, y = (int(part) for part in value.replace(" ", "").split(","))
    except ValueError:
        raise typer.BadParameter(f"{value!r}: write the position as x,y") from None
    if x < 0 or y < 0:
        raise typer.BadParameter(f"{value!r}: x and y must be ≥ 0")
    return Point(x, y)


def complete_kernel(incomplete: str) -> list[str]:
    """Library names and generators, for shell completion."""
    from convcli.kernels import GENERATORS, library_names

    names = [*library_names(), *(f"{g}:" for g in GENERATORS)]
    return [name for name in names if name.startswith(incomplete)]


# -- the options of the commands that show one kernel at work (explain, animate) ----------------

#: KERNEL: anything the resolver accepts.
KernelArgument = Annotated[
    str,
    typer.Argument(
        help="A library name, a kernel file, or an inline matrix.",
        metavar="KERNEL",
        autocompletion=complete_kernel,
    ),
]
ImageArgument = Annotated[
    str, typer.Argument(help="The image, or - for stdin.", metavar="IMAGE", show_default=False)
]
Channel = Annotated[
    str | None,
    typer.Option(
        help="The channel: a letter (R, G, B, L) or an index. Default: the first.",
        show_default=False,
    ),
]
BorderRule = Annotated[
    str,
    typer.Option(
        parser=border,
        help="Outside the image: reflect, mirror, nearest, wrap or constant (--fill).",
    ),
]
Fill = Annotated[float, typer.Option(help="The value outside for --border constant.")]
Padding = Annotated[
    Literal["same", "valid", "full"], typer.Option(help="Output size, as for apply.")
]
Stride = Annotated[int, typer.Option(min=1, help="Keep every n-th row and column.")]
Dilation = Annotated[int, typer.Option(min=1, help="Space the taps n pixels apart.")]
Convolve = Annotated[
    bool, typer.Option("--convolve", help="True convolution: the kernel turned 180°.")
]
ScaleOverride = Annotated[
    float | None,
    typer.Option(
        parser=scale,
        metavar="NUMBER",
        help="Replace the kernel's own scale.",
        show_default=False,
    ),
]
OffsetOverride = Annotated[
    Offset | None,
    typer.Option(
        parser=offset,
        metavar="VALUE|N%",
        help="Replace the kernel's own offset.",
        show_default=False,
    ),
]

#: ``--layout`` of the commands that read a ``.npy`` weight bank (``layer``, ``kernels show``).
BankLayout = Annotated[
    Literal["torch", "tf"],
    typer.Option(
        help="A .npy bank's axes: torch (C_out, C_in, kH, kW) or tf (kH, kW, C_in, C_out)."
    ),
]
