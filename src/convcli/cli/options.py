"""Option parsers shared by commands: cheap checks that run before NumPy is imported."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import typer

from convcli.engine.modes import BORDER_ALIASES, BORDERS, canonical_border
from convcli.errors import EngineArgumentError

#: ``--quiet``, which the root command and ``apply`` both take (before or after the command).
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on stderr but errors.")]


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels: ``x,y,width,height``."""

    x: int
    y: int
    width: int
    height: int


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


def complete_kernel(incomplete: str) -> list[str]:
    """Library names and generators, for shell completion."""
    from convcli.kernels import GENERATORS, library_names

    names = [*library_names(), *(f"{g}:" for g in GENERATORS)]
    return [name for name in names if name.startswith(incomplete)]
