"""Plain-text kernel formats: grids of numbers, inline matrices, ImageMagick strings, vips .mat
and GIMP's (GEGL's) convolution-matrix operation.

Every parser returns a float64 matrix or raises a KernelError naming the place and the problem
(``edge.txt line 3: expected 3 values, got 2``). Sizes are checked while reading, before any
matrix is allocated.
"""

from __future__ import annotations

import io
import json
import math
import re

import numpy as np
import numpy.typing as npt

from convcli.errors import KernelError
from convcli.kernels.model import MAX_KERNEL_SIDE
from convcli.kernels.numbers import parse_number

_SEPARATORS = re.compile(r"[\s,]+")
_IMAGEMAGICK = re.compile(
    r"^\s*(\d+)\s*x\s*(\d+)\s*(?:([+-]\d+)\s*([+-]\d+))?\s*:(.*)$", re.IGNORECASE | re.DOTALL
)
#: Characters an inline matrix may contain (besides the ImageMagick ``WxH:`` header).
_INLINE_CHARS = re.compile(r"^[\s0-9.,;/+\-eE\[\]]+$")


def parse_grid(text: str, where: str, *, first_line: int = 1) -> npt.NDArray[np.float64]:
    """A grid: one row per line, numbers separated by spaces and/or commas.

    ``#`` starts a comment; blank lines are ignored; fractions such as ``1/16`` are allowed.
    """
    rows: list[list[float]] = []
    width = 0
    width_line = 0
    for number, line in enumerate(io.StringIO(text, newline=None), start=first_line):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        row = _parse_row(content, f"{where} line {number}")
        if not rows:
            width, width_line = len(row), number
        elif len(row) != width:
            raise KernelError(
                f"{where} line {number}: expected {width} values (as on line {width_line}), "
                f"got {len(row)}"
            )
        rows.append(row)
        _check_side(len(rows), "rows", where)
    if not rows:
        raise KernelError(f"{where}: no weights found (the kernel is empty)")
    return np.array(rows, dtype=np.float64)


def looks_inline(spec: str) -> bool:
    """Whether ``spec`` is written as an inline matrix rather than a name or a file."""
    return bool(_IMAGEMAGICK.match(spec)) or (
        bool(_INLINE_CHARS.match(spec)) and any(c.isdigit() for c in spec)
    )


def parse_inline(spec: str) -> npt.NDArray[np.float64]:
    """An inline matrix: ``"0 -1 0; -1 5 -1; 0 -1 0"``, ``"[[1,2],[3,4]]"``, ``"3x3: 1,2,..."``."""
    where = f"inline kernel {_shorten(spec)!r}"
    match = _IMAGEMAGICK.match(spec)
    if match:
        return _parse_imagemagick(match, where)
    if spec.lstrip().startswith("["):
        return _parse_json(spec, where)
    rows = [row for row in re.split(r"[;\n]", spec) if row.strip()]
    if not rows:
        raise KernelError(f"{where}: no weights found (the kernel is empty)")
    _check_side(len(rows), "rows", where)
    parsed = [_parse_row(row.strip(), where) for row in rows]
    widths = {len(row) for row in parsed}
    if len(widths) > 1:
        counts = ", ".join(str(len(row)) for row in parsed)
        raise KernelError(f"{where}: rows have different lengths ({counts} values)")
    return np.array(parsed, dtype=np.float64)


def parse_vips_matrix(text: str, where: str) -> tuple[npt.NDArray[np.float64], float, float]:
    """A libvips ``.mat`` file: ``width height [scale [offset]]``, then ``height`` rows.

    Returns the weights, the vips scale (a divisor: result = sum / scale + offset) and offset.
    """
    stream = (
        (number, line.split("#", 1)[0].strip())
        for number, line in enumerate(io.StringIO(text, newline=None), start=1)
    )
    stream = ((number, line) for number, line in stream if line)
    first = next(stream, None)
    if first is None:
        raise KernelError(f"{where}: the file is empty")
    header_line, header = first
    values = _parse_row(header, f"{where} line {header_line}")
    if not 2 <= len(values) <= 4 or any(v != int(v) or v < 1 for v in values[:2]):
        raise KernelError(
            f"{where} line {header_line}: a .mat header is 'width height [scale [offset]]' "
            f"with a whole-number width and height, not {header!r}"
        )
    width, height = int(values[0]), int(values[1])
    scale = values[2] if len(values) > 2 else 1.0
    offset = values[3] if len(values) > 3 else 0.0
    _check_side(max(width, height), "rows or columns", where)
    if scale == 0:
        raise KernelError(
            f"{where} line {header_line}: the scale (a divisor in .mat) must not be 0"
        )
    body = []
    for item in stream:
        body.append(item)
        if len(body) > height:
            break
    if len(body) != height:
        raise KernelError(f"{where}: the header promises {height} rows, the file has {len(body)}")
    rows = []
    for number, line in body:
        row = _parse_row(line, f"{where} line {number}")
        if len(row) != width:
            raise KernelError(
                f"{where} line {number}: expected {width} values (the header's width), "
                f"got {len(row)}"
            )
        rows.append(row)
    return np.array(rows, dtype=np.float64), scale, offset


def _parse_row(content: str, where: str) -> list[float]:
    tokens = [token for token in _SEPARATORS.split(content.strip()) if token]
    if not tokens:
        raise KernelError(f"{where}: an empty row (separators but no numbers)")
    _check_side(len(tokens), "values in a row", where)
    row = []
    for token in tokens:
        value = parse_number(token)
        if value is None:
            raise KernelError(f"{where}: {_shorten(token)!r} is not a number")
        if not math.isfinite(value):
            raise KernelError(f"{where}: weights must be finite numbers, not {token!r}")
        row.append(value)
    return row


def _parse_imagemagick(match: re.Match[str], where: str) -> npt.NDArray[np.float64]:
    """ImageMagick's ``WxH[+X+Y]: v,v,...``; ``nan`` or ``-`` cells are outside the neighbourhood.

    The origin is ImageMagick's: ``+X+Y`` if given, else the centre, which for an even size is
    the cell just above or left of the middle. It becomes convcli's anchor by zero-padding.
    """
    width, height = int(match[1]), int(match[2])
    if width < 1 or height < 1:
        raise KernelError(f"{where}: width and height must be at least 1")
    _check_side(max(width, height), "rows or columns", where)
    tokens = [token for token in _SEPARATORS.split(match[5].strip()) if token]
    if len(tokens) != width * height:
        raise KernelError(
            f"{where}: a {width}x{height} kernel needs {width * height} values, got {len(tokens)}"
        )
    values = []
    for token in tokens:
        if token == "-" or token.lower() == "nan":
            values.append(0.0)
            continue
        value = parse_number(token)
        if value is None or not math.isfinite(value):
            raise KernelError(f"{where}: {_shorten(token)!r} is not a finite number")
        values.append(value)
    weights = np.array(values, dtype=np.float64).reshape(height, width)
    if match[3] is None:
        anchor_x, anchor_y = (width - 1) // 2, (height - 1) // 2
    else:
        anchor_x, anchor_y = int(match[3]), int(match[4])
    if not (0 <= anchor_x < width and 0 <= anchor_y < height):
        raise KernelError(f"{where}: the origin +{anchor_x}+{anchor_y} lies outside the kernel")
    return _centre_on(_centre_on(weights, anchor_y, axis=0), anchor_x, axis=1)


def _centre_on(weights: npt.NDArray[np.float64], anchor: int, axis: int) -> npt.NDArray[np.float64]:
    """Pad ``weights`` with zeros along ``axis`` so that index ``anchor`` becomes the centre."""
    size = weights.shape[axis]
    if anchor == size // 2:
        return weights  # already convcli's anchor
    before = max(0, size - 2 * anchor - 1)
    after = max(0, 2 * anchor + 1 - size)
    widths = [(0, 0), (0, 0)]
    widths[axis] = (before, after)
    return np.pad(weights, widths)


def _parse_json(spec: str, where: str) -> npt.NDArray[np.float64]:
    try:
        data = json.loads(spec)
    except json.JSONDecodeError as exc:
        raise KernelError(f"{where}: not a valid [[...], [...]] matrix ({exc.msg})") from None
    except (RecursionError, ValueError, OverflowError):  # deep nesting, giant integers
        raise KernelError(
            f"{where}: nested too deeply; write a matrix as [[1, 2], [3, 4]]"
        ) from None
    rows = data if data and isinstance(data[0], list) else [data]
    _check_side(len(rows), "rows", where)
    if not all(isinstance(row, list) for row in rows):
        raise KernelError(f"{where}: write a matrix as a list of rows, [[1, 2], [3, 4]]")
    for row in rows:
        _check_side(len(row), "values in a row", where)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row):
            raise KernelError(f"{where}: every weight must be a number")
    if len({len(row) for row in rows}) > 1:
        raise KernelError(f"{where}: rows have different lengths")
    try:
        weights = np.array(rows, dtype=np.float64)
    except OverflowError:
        raise KernelError(f"{where}: a weight is too large to be a number") from None
    if weights.size == 0:
        raise KernelError(f"{where}: no weights found (the kernel is empty)")
    if not np.all(np.isfinite(weights)):
        raise KernelError(f"{where}: weights must be finite numbers")
    return weights


def _check_side(count: int, what: str, where: str) -> None:
    if count > MAX_KERNEL_SIDE:
        raise KernelError(
            f"{where}: more than {MAX_KERNEL_SIDE} {what}; "
            f"the largest kernel convcli accepts is {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}"
        )


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_GEGL = re.compile(r"^\s*(?:gegl:)?convolution-matrix\b(.*)$", re.IGNORECASE | re.DOTALL)
_GEGL_CELL = re.compile(r"^([a-e])([1-5])$")


def looks_gegl(spec: str) -> bool:
    """Whether ``spec`` is a GEGL ``convolution-matrix`` operation (GIMP's filter)."""
    return bool(_GEGL.match(spec))


def parse_gegl(text: str, where: str) -> tuple[npt.NDArray[np.float64], float, float]:
    """``gegl:convolution-matrix a1=.. .. e5=.. divisor=D offset=O [normalize=false]``.

    Returns the 5×5 weights (the letter is the column, the digit the row, as in GEGL's source),
    the scale (1 / divisor) and the offset as a fraction of the full range. ``normalize=true``
    (GEGL's default) is applied as GEGL does: the divisor is |sum|, a negative sum adds 1, a
    zero sum divides by 1 and adds 0.5.
    """
    match = _GEGL.match(text)
    if match is None:
        raise KernelError(f"{where}: not a convolution-matrix operation")
    grid = np.zeros((5, 5))
    grid[2, 2] = 1.0  # GEGL's default: c3 = 1, the identity
    divisor, offset, normalize = 1.0, 0.0, True
    for token in match[1].split():
        key, equals, value = token.partition("=")
        key = key.strip().lower()
        if not equals:
            raise KernelError(f"{where}: {_shorten(token)!r} is not key=value")
        if key in ("normalize", "alpha-weight", "alpha_weight", "red", "green", "blue", "alpha"):
            if value.lower() not in ("true", "false"):
                raise KernelError(f"{where}: {key} must be true or false, not {_shorten(value)!r}")
            if key == "normalize":
                normalize = value.lower() == "true"
            continue
        if key == "border":
            continue  # the border is a run's choice (--border), not the kernel's
        number = parse_number(value)
        if number is None or not math.isfinite(number):
            raise KernelError(f"{where}: {key}={_shorten(value)!r} is not a finite number")
        cell = _GEGL_CELL.match(key)
        if cell:
            grid["12345".index(cell[2]), "abcde".index(cell[1])] = number
        elif key == "divisor":
            if number == 0:
                raise KernelError(f"{where}: divisor must not be 0")
            divisor = number
        elif key == "offset":
            offset = number
        else:
            raise KernelError(f"{where}: unknown convolution-matrix property {key!r}")
    if not grid[[0, 4], :].any() and not grid[:, [0, 4]].any():
        grid = grid[1:4, 1:4]  # GEGL itself runs 3×3 when the outer ring is 0
    if normalize:
        total = float(grid.sum())
        divisor, offset = (total, 0.0) if total > 0 else (-total, 1.0) if total < 0 else (1.0, 0.5)
    return grid, 1.0 / divisor, offset
