"""Kernels written in other tools' syntax, so a kernel designed here runs the same there.

Every format is written so that convcli's resolver reads it back to the same weights, scale and
offset (tests round-trip each one), and so that the other tool applies it the way convcli does:
as written, a correlation, anchored at index ``size // 2`` of each axis.

* ``imagemagick``: ``WxH+X+Y: v,v,...`` for ``-morphology Correlate`` (``Convolve`` turns the
  kernel 180°); the origin is always given, so even sizes anchor as here. The scale is
  multiplied into the weights; an offset has no place in the string (``-bias`` gives it).
* ``vips``: a ``.mat`` file, which ``vips conv`` applies as a correlation: ``W H scale offset``,
  the scale a divisor. Even sizes get a row or column of zeros so the centre is unambiguous.
* ``gimp``: GEGL's ``convolution-matrix`` operation (GIMP's Convolution Matrix filter), 3×3 or
  5×5 only, with ``normalize=false`` so GEGL applies the weights as given; its offset is a
  fraction of the full range.
* ``text``, ``yaml``, ``npy``: convcli's own formats (``text`` and ``npy`` hold weights only).
"""

from __future__ import annotations

import io
import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from convcli.errors import KernelError
from convcli.kernels.model import Kernel

FORMATS = ("imagemagick", "vips", "gimp", "text", "yaml", "npy")
#: GEGL's property names: the letter is the column, the digit the row (convolution-matrix.c).
GEGL_COLUMNS = "abcde"
#: What an absolute offset is taken relative to where a format knows only fractions or 8 bits.
EIGHT_BIT = 255.0


def export_kernel(kernel: Kernel, to: str) -> tuple[bytes, list[str]]:
    """``kernel`` in format ``to``, and notes on anything the format cannot say."""
    if to not in FORMATS:
        raise KernelError(f"unknown kernel format {to!r}; choose one of {', '.join(FORMATS)}")
    notes: list[str] = []
    writer = {
        "imagemagick": _imagemagick,
        "vips": _vips,
        "gimp": _gimp,
        "text": _text,
        "yaml": _yaml,
        "npy": _npy,
    }[to]
    return writer(kernel, notes), notes


def _imagemagick(kernel: Kernel, notes: list[str]) -> bytes:
    rows, cols = kernel.shape
    weights = kernel.weights * kernel.scale
    _offset_lost(kernel, notes, "an ImageMagick kernel string (give it as -bias)")
    values = " ".join(",".join(_number(v) for v in row) for row in weights)
    return f"{cols}x{rows}+{cols // 2}+{rows // 2}: {values}\n".encode()


def _vips(kernel: Kernel, notes: list[str]) -> bytes:
    weights, divisor = _divided(kernel)
    weights = _odd(weights)
    offset = _absolute_offset(kernel, notes)
    rows, cols = weights.shape
    lines = [f"{cols} {rows} {_number(divisor)} {_number(offset)}"]
    lines += [" ".join(_number(v) for v in row) for row in weights]
    return ("\n".join(lines) + "\n").encode()


def _gimp(kernel: Kernel, notes: list[str]) -> bytes:
    weights, divisor = _divided(kernel)
    weights = _odd(weights)
    if max(weights.shape) > 5:
        raise KernelError(
            f"kernel {kernel.name!r} is {weights.shape[1]}×{weights.shape[0]}: GIMP's "
            "convolution matrix holds at most 5×5"
        )
    size = 3 if max(weights.shape) <= 3 else 5
    grid = np.zeros((5, 5))
    top, left = (5 - weights.shape[0]) // 2, (5 - weights.shape[1]) // 2
    grid[top : top + weights.shape[0], left : left + weights.shape[1]] = weights
    if size == 3:
        assert not grid[[0, 4], :].any() and not grid[:, [0, 4]].any()
    if kernel.offset_relative:
        offset = kernel.offset
    else:
        offset = kernel.offset / EIGHT_BIT
        if kernel.offset:
            notes.append(f"the offset {_number(kernel.offset)} is written as a fraction of 255")
    cells = [
        f"{GEGL_COLUMNS[col]}{row + 1}={_number(grid[row, col])}"
        for col in range(5)
        for row in range(5)
    ]
    return (
        f"gegl:convolution-matrix {' '.join(cells)} divisor={_number(divisor)} "
        f"offset={_number(offset)} normalize=false alpha-weight=false\n"
    ).encode()


def _text(kernel: Kernel, notes: list[str]) -> bytes:
    _offset_lost(kernel, notes, "a text grid (yaml keeps it)")
    weights = kernel.weights * kernel.scale
    header = f"# {kernel.name}" + (f": {kernel.description}" if kernel.description else "")
    rows = [" ".join(_number(v) for v in row) for row in weights]
    return ("\n".join([header.replace("\n", " "), *rows]) + "\n").encode()


def _yaml(kernel: Kernel, notes: list[str]) -> bytes:
    import yaml

    document: dict[str, object] = {"name": kernel.name}
    if kernel.description:
        document["description"] = kernel.description
    document["weights"] = [[_plain(v) for v in row] for row in kernel.weights.tolist()]
    if kernel.scale != 1:
        document["scale"] = _plain(kernel.scale)
    if kernel.offset:
        document["offset"] = (
            f"{_number(kernel.offset * 100)}%" if kernel.offset_relative else _plain(kernel.offset)
        )
    if kernel.tags:
        document["tags"] = list(kernel.tags)
    text: str = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
    return text.encode()


def _npy(kernel: Kernel, notes: list[str]) -> bytes:
    _offset_lost(kernel, notes, "an .npy matrix (yaml keeps it)")
    stream = io.BytesIO()
    np.save(stream, kernel.weights * kernel.scale, allow_pickle=False)
    return stream.getvalue()


def _divided(kernel: Kernel) -> tuple[npt.NDArray[np.float64], float]:
    """Weights and a divisor: the weights as written over 1/scale when that is a whole
    number (``[1 2 1] / 4``), else the scale multiplied in and a divisor of 1."""
    inverse = 1.0 / kernel.scale
    if (
        abs(inverse - round(inverse)) <= 1e-12 * abs(inverse)
        and 1.0 / round(inverse) == kernel.scale
    ):
        return kernel.weights, float(round(inverse))
    return kernel.weights * kernel.scale, 1.0


def _odd(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A zero row or column after an even side, so the centre is the anchor ``size // 2``."""
    rows, cols = weights.shape
    return np.pad(weights, ((0, 1 - rows % 2), (0, 1 - cols % 2)))


def _absolute_offset(kernel: Kernel, notes: list[str]) -> float:
    if kernel.offset_relative and kernel.offset:
        notes.append(
            f"the offset {_number(kernel.offset * 100)}% is written for 8-bit images: "
            f"{_number(kernel.offset * EIGHT_BIT)}"
        )
        return kernel.offset * EIGHT_BIT
    return kernel.offset


def _offset_lost(kernel: Kernel, notes: list[str], where: str) -> None:
    if kernel.offset:
        notes.append(f"the offset of {kernel.name!r} has no place in {where}: it is left out")


def _number(value: float) -> str:
    """The shortest text that reads back as the same float: integers as integers."""
    number = float(value)
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


def _plain(value: float) -> float | int | str:
    """A YAML scalar reading back as the same float: integers as integers, else a fraction
    when it is one with a small denominator (1/16), else the float's repr."""
    number = float(value)
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    fraction = Fraction(number).limit_denominator(10**6)
    if float(fraction) == number and fraction.denominator <= 10**6 and math.isfinite(number):
        return f"{fraction.numerator}/{fraction.denominator}"
    return number
