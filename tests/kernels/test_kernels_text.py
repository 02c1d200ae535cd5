"""The plain-text kernel formats: grids, inline matrices, ImageMagick strings, vips .mat and .npy.

Every good case checks the exact weights; every bad case checks that a one-line KernelError says
where and what the problem is.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from convcli.kernels import MAX_KERNEL_SIDE, Kernel, resolve_kernel
from convcli.kernels.text import looks_inline, parse_grid, parse_inline, parse_vips_matrix

SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]


def kernel_at(path: Path) -> Kernel:
    """The single plain kernel the resolver reads from ``path``."""
    kernel = resolve_kernel(str(path))
    assert isinstance(kernel, Kernel)
    return kernel


# --- grids: one row per line -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0 -1 0\n-1 5 -1\n0 -1 0\n", SHARPEN, id="spaces"),
        pytest.param("0,-1,0\n-1,5,-1\n0,-1,0", SHARPEN, id="commas"),
        pytest.param("0, -1,  0\n-1 ,5,-1\n 0 -1, 0", SHARPEN, id="commas-and-spaces"),
        pytest.param("0\t-1\t0\n-1\t5\t-1\n0\t-1\t0", SHARPEN, id="tabs"),
        pytest.param("0 -1 0\r\n-1 5 -1\r\n0 -1 0\r\n", SHARPEN, id="crlf"),
        pytest.param(
            "# a sharpen kernel\n\n0 -1 0   # top\n\n-1 5 -1\n# middle done\n0 -1 0\n\n",
            SHARPEN,
            id="comments-and-blank-lines",
        ),
        pytest.param("1/16 2/16 1/16", [[0.0625, 0.125, 0.0625]], id="fractions"),
        pytest.param("-1/2 1/4 +3/-4", [[-0.5, 0.25, -0.75]], id="signed-fractions"),
        pytest.param("1e-3 2.5E2 -.5 +7", [[0.001, 250.0, -0.5, 7.0]], id="decimal-forms"),
        pytest.param("1,,2,", [[1.0, 2.0]], id="repeated-commas"),
        pytest.param("42", [[42.0]], id="one-value"),
        pytest.param("1\n2\n3", [[1.0], [2.0], [3.0]], id="one-column"),
    ],
)
def test_grid_reads_exact_weights(text: str, expected: list[list[float]]) -> None:
    """A grid gives exactly the numbers written, one row per non-blank line."""
    weights = parse_grid(text, "k.txt")
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, expected)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("", ["k.txt", "empty"], id="empty"),
        pytest.param("  \n\n\t\n", ["k.txt", "empty"], id="blank-lines"),
        pytest.param("# only a comment\n# and another\n", ["k.txt", "empty"], id="only-comments"),
        pytest.param(",", ["k.txt", "empty"], id="only-a-comma"),
        pytest.param(", ,\n,\n", ["k.txt", "empty"], id="only-commas"),
        pytest.param("1 2\n3 x", ["k.txt line 2", "'x' is not a number"], id="non-numeric"),
        pytest.param(
            "1 2\n3 4\n\n# c\n5 6 7", ["k.txt line 5", "expected 2", "got 3"], id="ragged"
        ),
        pytest.param("1 2 3\n4 5", ["line 2", "expected 3 values", "line 1", "got 2"], id="short"),
        pytest.param("1 nan", ["line 1", "finite", "nan"], id="nan"),
        pytest.param("1 2\ninf 3", ["line 2", "finite", "inf"], id="inf"),
        pytest.param("-inf", ["line 1", "finite"], id="minus-inf"),
        pytest.param("1 1e999", ["line 1", "finite"], id="overflowing-decimal"),
        pytest.param("1 1/0", ["line 1", "'1/0' is not a number"], id="division-by-zero"),
        pytest.param("1e308/1e-308", ["line 1", "finite"], id="overflowing-fraction"),
        pytest.param("1/2/3", ["line 1", "not a number"], id="double-fraction"),
        pytest.param("0x10", ["line 1", "not a number"], id="hex"),
    ],
)
def test_grid_errors_name_the_place_and_problem(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """A bad grid raises a one-line KernelError naming the file, the line and the problem."""
    raises_kernel_error(lambda: parse_grid(text, "k.txt"), *fragments)


def test_grid_line_numbers_count_from_first_line(raises_kernel_error: Callable[..., str]) -> None:
    """``first_line`` shifts the reported line numbers (used for YAML text blocks)."""
    raises_kernel_error(lambda: parse_grid("1 2\n3", "k.yaml", first_line=7), "k.yaml line 8")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1\n" * 100_000, id="100000x1"),
        pytest.param("1 " * 100_000, id="1x100000"),
        pytest.param("1,2\n" * (MAX_KERNEL_SIDE + 1), id="one-row-too-many"),
        pytest.param(" ".join(["1"] * (MAX_KERNEL_SIDE + 1)), id="one-column-too-many"),
    ],
)
def test_grid_refuses_absurd_sizes_quickly(
    text: str, raises_kernel_error: Callable[..., str]
) -> None:
    """Grids bigger than the largest kernel are refused, with the limit in the message."""
    started = time.perf_counter()
    raises_kernel_error(lambda: parse_grid(text, "k.txt"), str(MAX_KERNEL_SIDE))
    assert time.perf_counter() - started < 2


def test_grid_accepts_the_largest_side() -> None:
    """A 1×MAX_KERNEL_SIDE grid is still accepted."""
    assert parse_grid(" ".join(["1"] * MAX_KERNEL_SIDE), "k.txt").shape == (1, MAX_KERNEL_SIDE)


# --- inline matrices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("0 -1 0; -1 5 -1; 0 -1 0", SHARPEN, id="semicolons"),
        pytest.param("0,-1,0;-1,5,-1;0,-1,0", SHARPEN, id="semicolons-commas"),
        pytest.param(" 0 -1 0 ;; -1 5 -1 ; 0 -1 0 ;", SHARPEN, id="empty-rows-skipped"),
        pytest.param("0 -1 0\n-1 5 -1\n0 -1 0", SHARPEN, id="newlines"),
        pytest.param("[[0,-1,0],[-1,5,-1],[0,-1,0]]", SHARPEN, id="json"),
        pytest.param("[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]", SHARPEN, id="json-spaced"),
        pytest.param("[1, 2.5, -3e-1]", [[1.0, 2.5, -0.3]], id="json-flat-is-a-row"),
        pytest.param("[[1], [2]]", [[1.0], [2.0]], id="json-column"),
        pytest.param("1 2 1", [[1.0, 2.0, 1.0]], id="one-row"),
        pytest.param("1,2,1", [[1.0, 2.0, 1.0]], id="one-row-commas"),
        pytest.param("1/4 1/2 1/4", [[0.25, 0.5, 0.25]], id="fractions"),
        pytest.param("1e-3 .5", [[0.001, 0.5]], id="decimal-forms"),
        pytest.param("7", [[7.0]], id="one-value"),
    ],
)
def test_inline_reads_exact_weights(spec: str, expected: list[list[float]]) -> None:
    """Inline matrices (``;`` rows, JSON) give exactly the numbers written."""
    np.testing.assert_array_equal(parse_inline(spec), expected)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("3x3: 0,-1,0,-1,5,-1,0,-1,0", SHARPEN, id="commas"),
        pytest.param("3x3:0 -1 0 -1 5 -1 0 -1 0", SHARPEN, id="spaces"),
        pytest.param("3X3: 0,-1,0, -1,5,-1, 0,-1,0", SHARPEN, id="capital-x"),
        pytest.param(" 3 x 3 : 0,-1,0,-1,5,-1,0,-1,0", SHARPEN, id="spaced-header"),
        pytest.param("3x1: 1,2,3", [[1.0, 2.0, 3.0]], id="width-first"),
        pytest.param("1x3: 1,2,3", [[1.0], [2.0], [3.0]], id="height-second"),
        pytest.param("3x2+1+1: 1/2,1,2, 3,4,5", [[0.5, 1, 2], [3, 4, 5]], id="fraction"),
        pytest.param(
            "3x3: nan,1,nan, 1,1,1, nan,1,nan", [[0, 1, 0], [1, 1, 1], [0, 1, 0]], id="nan"
        ),
        pytest.param("3x3: -,1,-, 1,1,1, -,1,-", [[0, 1, 0], [1, 1, 1], [0, 1, 0]], id="dash"),
        pytest.param(
            "3x3: NaN,1,NAN,1,1,1,1,1,1", [[0, 1, 0], [1, 1, 1], [1, 1, 1]], id="nan-case"
        ),
        pytest.param("3x3+1+1: 0,-1,0,-1,5,-1,0,-1,0", SHARPEN, id="centre-origin"),
    ],
)
def test_imagemagick_reads_exact_weights(spec: str, expected: list[list[float]]) -> None:
    """ImageMagick ``WxH:`` strings are width first, row by row; nan and - cells become 0."""
    np.testing.assert_array_equal(parse_inline(spec), expected)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            "3x3+0+0: 1,2,3,4,5,6,7,8,9",
            [[0] * 5, [0] * 5, [0, 0, 1, 2, 3], [0, 0, 4, 5, 6], [0, 0, 7, 8, 9]],
            id="top-left",
        ),
        pytest.param(
            "3x3+2+2: 1,2,3,4,5,6,7,8,9",
            [[1, 2, 3, 0, 0], [4, 5, 6, 0, 0], [7, 8, 9, 0, 0], [0] * 5, [0] * 5],
            id="bottom-right",
        ),
        pytest.param(
            "3x3+2+0: 1,2,3,4,5,6,7,8,9",
            [[0] * 5, [0] * 5, [1, 2, 3, 0, 0], [4, 5, 6, 0, 0], [7, 8, 9, 0, 0]],
            id="top-right",
        ),
        pytest.param("3x1+0+0: 1,2,3", [[0, 0, 1, 2, 3]], id="row-left"),
        pytest.param("1x3+0+2: 1,2,3", [[1], [2], [3], [0], [0]], id="column-bottom"),
        pytest.param("2x2+0+0: 1,2,3,4", [[0, 0, 0], [0, 1, 2], [0, 3, 4]], id="even-top-left"),
        pytest.param("2x2+1+1: 1,2,3,4", [[1, 2], [3, 4]], id="even-already-anchored"),
        pytest.param("4x1+1+0: 1,2,3,4", [[0, 1, 2, 3, 4]], id="even-left-of-centre"),
    ],
)
def test_imagemagick_origin_becomes_the_centre(spec: str, expected: list[list[float]]) -> None:
    """An explicit ``+X+Y`` origin is honoured by zero-padding until it is the kernel's anchor."""
    weights = parse_inline(spec)
    np.testing.assert_array_equal(weights, expected)
    rows, cols = weights.shape
    anchor = weights[rows // 2, cols // 2]
    x, y = (int(part) for part in spec.split(":")[0].split("+")[1:])
    width = int(spec.split("x")[0])
    assert anchor == y * width + x + 1  # the values are 1, 2, 3 ... in reading order


@pytest.mark.parametrize(
    ("width", "height"),
    [(3, 3), (5, 1), (1, 5), (2, 2), (4, 1), (1, 4), (4, 4), (2, 3)],
)
def test_imagemagick_default_origin_is_imagemagicks(width: int, height: int) -> None:
    """Without +X+Y the origin is ImageMagick's: the centre, or left/above it for even sizes."""
    # ImageMagick's AcquireKernelInfo: "If not defined the pixel in the center, for odd sizes,
    # or to the immediate top or left of center for even sizes is automatically selected", so
    # ``2x2: a,b,c,d`` is anchored on ``a``; convcli's own anchor for even kernels is ``d``.
    values = ",".join(str(n) for n in range(1, width * height + 1))
    implicit = parse_inline(f"{width}x{height}: {values}")
    explicit = parse_inline(f"{width}x{height}+{(width - 1) // 2}+{(height - 1) // 2}: {values}")
    np.testing.assert_array_equal(implicit, explicit)


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        pytest.param("; ;", ["empty"], id="only-separators"),
        pytest.param(",", ["empty"], id="only-a-comma"),
        pytest.param(" , ; , ", ["empty"], id="only-commas"),
        pytest.param("[]", ["empty"], id="json-empty"),
        pytest.param("[[]]", ["empty"], id="json-empty-row"),
        pytest.param("1 x 3", ["'x' is not a number"], id="non-numeric"),
        pytest.param("1 2; 3", ["different lengths", "2, 1"], id="ragged"),
        pytest.param("1 2; 3 4; 5 6 7", ["different lengths", "2, 2, 3"], id="ragged-last"),
        pytest.param("1 nan", ["finite", "nan"], id="nan"),
        pytest.param("1; inf", ["finite", "inf"], id="inf"),
        pytest.param("1 1/0", ["'1/0' is not a number"], id="division-by-zero"),
        pytest.param("[[1,2],[3]]", ["different lengths"], id="json-ragged"),
        pytest.param("[[1,2],[3,4]", ["not a valid"], id="json-unclosed"),
        pytest.param("[[1,,2]]", ["not a valid"], id="json-syntax"),
        pytest.param('[["1"]]', ["number"], id="json-string"),
        pytest.param("[[true, 1]]", ["number"], id="json-bool"),
        pytest.param("[[null]]", ["number"], id="json-null"),
        pytest.param("[[[1]]]", ["number"], id="json-3d"),
        pytest.param("[[1], 2]", ["list of rows"], id="json-mixed"),
        pytest.param("[[1e999]]", ["finite"], id="json-inf"),
        pytest.param("[[NaN]]", ["finite"], id="json-nan"),
        pytest.param("[" * 5000 + "]" * 5000, ["nested too deeply"], id="json-deep"),
        pytest.param("3x3: 1,2,3", ["3x3", "needs 9 values, got 3"], id="im-too-few"),
        pytest.param("2x2: 1,2,3,4,5", ["needs 4 values, got 5"], id="im-too-many"),
        pytest.param("3x3:", ["needs 9 values, got 0"], id="im-no-values"),
        pytest.param("0x3: ", ["at least 1"], id="im-zero-width"),
        pytest.param("3x0: ", ["at least 1"], id="im-zero-height"),
        pytest.param("3x3: 1,2,3,4,5,6,7,8,inf", ["'inf' is not a finite"], id="im-inf"),
        pytest.param("3x3: 1,2,3,4,5,6,7,8,z", ["'z' is not a finite"], id="im-word"),
        pytest.param("3x1: 1,1/0,1", ["'1/0'"], id="im-division-by-zero"),
        pytest.param("3x3+3+0: 1,2,3,4,5,6,7,8,9", ["origin +3+0", "outside"], id="origin-x"),
        pytest.param("3x3+0+3: 1,2,3,4,5,6,7,8,9", ["origin +0+3", "outside"], id="origin-y"),
        pytest.param("3x3-1+0: 1,2,3,4,5,6,7,8,9", ["outside"], id="origin-negative"),
        pytest.param("1x100000: 1", [str(MAX_KERNEL_SIDE)], id="im-absurd-height"),
        pytest.param("99999999999x1: 1", [str(MAX_KERNEL_SIDE)], id="im-absurd-width"),
        pytest.param(" ".join(["1"] * 100_000), [str(MAX_KERNEL_SIDE)], id="absurd-row"),
        pytest.param(";".join(["1"] * 100_000), [str(MAX_KERNEL_SIDE)], id="absurd-column"),
        pytest.param("[" + ",".join(["1"] * 100_000) + "]", [str(MAX_KERNEL_SIDE)], id="json-row"),
        pytest.param(
            "[" + ",".join(["[1]"] * 100_000) + "]", [str(MAX_KERNEL_SIDE)], id="json-col"
        ),
    ],
)
def test_inline_errors_say_what_is_wrong(
    spec: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """A bad inline matrix raises a one-line KernelError that quotes the spec and the problem."""
    started = time.perf_counter()
    raises_kernel_error(lambda: parse_inline(spec), "inline kernel", *fragments)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("[[1" + "0" * 400 + "]]", id="400-digit-integer"),
        pytest.param("[[" + "1" * 5000 + "]]", id="5000-digit-integer"),
    ],
)
def test_inline_json_with_huge_integers_is_a_kernel_error(
    spec: str, raises_kernel_error: Callable[..., str]
) -> None:
    """A JSON integer too big for a float is refused with a KernelError, not OverflowError."""
    raises_kernel_error(lambda: parse_inline(spec), "inline kernel")


def test_inline_error_shortens_long_specs(raises_kernel_error: Callable[..., str]) -> None:
    """Error messages quote at most the start of a very long inline spec."""
    message = raises_kernel_error(lambda: parse_inline("1 " * 50 + "x"))
    assert len(message) < 200


@pytest.mark.parametrize(
    ("spec", "inline"),
    [
        ("0 -1 0; -1 5 -1; 0 -1 0", True),
        ("[[1,2],[3,4]]", True),
        ("3x3: 1,2,3,4,5,6,7,8,9", True),
        ("3x3+1+1: 1,2,3,4,5,6,7,8,9", True),
        ("1/4 1/2 1/4", True),
        ("1e3", True),
        ("sobel", False),
        ("box-3", False),
        ("gaussian:sigma=2", False),
        ("edge.txt", False),
        ("; - ;", False),
    ],
)
def test_looks_inline_tells_matrices_from_names(spec: str, inline: bool) -> None:
    """Only specs made of numbers and separators (or a ``WxH:`` header) count as inline."""
    assert looks_inline(spec) is inline


# --- files by extension ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".kernel", ".csv", ".TXT"])
def test_text_files_are_grids_named_after_their_stem(tmp_path: Path, suffix: str) -> None:
    """.txt, .kernel and .csv files are grids; the kernel is named after the file's stem."""
    path = tmp_path / f"My_Edge{suffix}"
    path.write_text("# edge\n-1, 0, 1\n-2, 0, 2\n-1, 0, 1\n", encoding="utf-8")
    kernel = kernel_at(path)
    np.testing.assert_array_equal(kernel.weights, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert kernel.name == "my_edge"
    assert kernel.source == "file"
    assert kernel.path == str(path)
    assert kernel.scale == 1
    assert kernel.offset == 0


def test_text_file_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A UTF-8 byte order mark at the start of a text kernel is ignored."""
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf1 2 1\n")
    np.testing.assert_array_equal(kernel_at(path).weights, [[1, 2, 1]])


def test_text_file_without_numbers_names_the_file(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A text file holding only separators is refused with an error naming the file."""
    path = tmp_path / "commas.txt"
    path.write_text(",,\n", encoding="utf-8")
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "empty")


def test_text_file_error_names_the_file_and_line(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A ragged text file's error gives the file's path and the offending line."""
    path = tmp_path / "bad.csv"
    path.write_text("1,2,3\n4,5\n", encoding="utf-8")
    raises_kernel_error(lambda: resolve_kernel(str(path)), f"{path} line 2", "expected 3")


def test_non_utf8_text_file_is_refused(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A text kernel that is not UTF-8 is refused with a KernelError naming the file."""
    path = tmp_path / "latin.txt"
    path.write_bytes(b"1 2 \xff\n")
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "UTF-8")


def test_huge_text_file_is_refused_before_reading(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A kernel file over 4 MiB is refused quickly, with the limit in the message."""
    path = tmp_path / "huge.txt"
    path.write_bytes(b"1 " * (2 * 1024 * 1024 + 1))
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(path), "4 MiB")
    assert time.perf_counter() - started < 2


def test_tall_text_file_is_refused_quickly(
    tmp_path: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A 100000×1 text kernel is refused in well under two seconds, naming the limit."""
    path = tmp_path / "tall.txt"
    path.write_text("1\n" * 100_000, encoding="utf-8")
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), str(MAX_KERNEL_SIDE))
    assert time.perf_counter() - started < 2


# --- libvips .mat ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weights", "scale", "offset"),
    [
        pytest.param(
            "3 3 16 0\n1 2 1\n2 4 2\n1 2 1\n",
            [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
            1 / 16,
            0,
            id="gaussian",
        ),
        pytest.param("3 1\n-1 0 1\n", [[-1, 0, 1]], 1.0, 0.0, id="no-scale"),
        pytest.param("3 1 2\n-1 0 1\n", [[-1, 0, 1]], 0.5, 0.0, id="scale-only"),
        pytest.param("3 1 2 128\n-1 0 1\n", [[-1, 0, 1]], 0.5, 128.0, id="scale-and-offset"),
        pytest.param("1 2 -4 -1.5\n1\n2\n", [[1], [2]], -0.25, -1.5, id="negative"),
        pytest.param("2 1 0.5\n1 1\n", [[1, 1]], 2.0, 0.0, id="fractional-divisor"),
        pytest.param(
            "# a comment\n\n2 2 # header\n1, 2\n\n3 4 # row\n",
            [[1, 2], [3, 4]],
            1.0,
            0.0,
            id="comments",
        ),
    ],
)
def test_vips_matrix_scale_is_a_divisor(
    tmp_path: Path, text: str, weights: list[list[float]], scale: float, offset: float
) -> None:
    """A .mat header's scale divides the result, so Kernel.scale is its reciprocal."""
    path = tmp_path / "blur.mat"
    path.write_text(text, encoding="utf-8")
    kernel = kernel_at(path)
    np.testing.assert_array_equal(kernel.weights, weights)
    assert kernel.scale == pytest.approx(scale, rel=1e-15)
    assert kernel.offset == offset
    assert not kernel.offset_relative
    assert kernel.name == "blur"
    assert kernel.source == "file"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param("", ["m.mat", "empty"], id="empty"),
        pytest.param("# only\n\n", ["m.mat", "empty"], id="only-comments"),
        pytest.param("3\n1 1 1\n", ["line 1", "width height"], id="one-header-value"),
        pytest.param("3 1 1 0 5\n1 1 1\n", ["line 1", "width height"], id="five-header-values"),
        pytest.param("3.5 1\n1 1 1\n", ["line 1", "whole-number"], id="fractional-width"),
        pytest.param("0 1\n\n", ["line 1", "whole-number"], id="zero-width"),
        pytest.param("3 -1\n1 1 1\n", ["line 1", "whole-number"], id="negative-height"),
        pytest.param("a 1\n1\n", ["line 1", "'a' is not a number"], id="word-header"),
        pytest.param("3 1 0\n1 1 1\n", ["line 1", "scale", "must not be 0"], id="scale-zero"),
        pytest.param("3 1 0/1\n1 1 1\n", ["line 1", "must not be 0"], id="scale-zero-fraction"),
        pytest.param("3 1 1 nan\n1 1 1\n", ["line 1", "finite"], id="nan-offset"),
        pytest.param("3 3\n1 1 1\n1 1 1\n", ["promises 3 rows", "has 2"], id="missing-row"),
        pytest.param("3 1\n1 1 1\n1 1 1\n", ["promises 1 rows", "has 2"], id="extra-row"),
        pytest.param("3 2\n1 1 1\n1 1\n", ["line 3", "expected 3", "got 2"], id="short-row"),
        pytest.param("2 1\n1 x\n", ["line 2", "'x' is not a number"], id="word-weight"),
        pytest.param("2 1\n1 inf\n", ["line 2", "finite"], id="inf-weight"),
        pytest.param("2000 1\n1\n", [str(MAX_KERNEL_SIDE)], id="absurd-width"),
        pytest.param("1 100000\n", [str(MAX_KERNEL_SIDE)], id="absurd-height"),
        pytest.param("1e300 1\n1\n", [str(MAX_KERNEL_SIDE)], id="astronomical-width"),
    ],
)
def test_vips_matrix_errors(
    text: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """A malformed .mat file raises a one-line KernelError naming the file, line and problem."""
    started = time.perf_counter()
    raises_kernel_error(lambda: parse_vips_matrix(text, "m.mat"), "m.mat", *fragments)
    assert time.perf_counter() - started < 2


# --- NumPy .npy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        pytest.param(np.array([[1, 2], [3, 4]], dtype=np.int16), [[1, 2], [3, 4]], id="int16"),
        pytest.param(np.array([[0.5, -0.25]], dtype=np.float32), [[0.5, -0.25]], id="float32"),
        pytest.param(np.array([1.0, 2.0, 1.0]), [[1, 2, 1]], id="1-d-is-a-row"),
        pytest.param(np.array([[True, False]]), [[1, 0]], id="bool"),
        pytest.param(np.asfortranarray([[1.0, 2.0], [3.0, 4.0]]), [[1, 2], [3, 4]], id="fortran"),
    ],
)
def test_npy_files_hold_exact_weights(
    tmp_path: Path, array: np.ndarray, expected: list[list[float]]
) -> None:
    """A .npy array of numbers becomes a float64 kernel named after the file."""
    path = tmp_path / "saved.npy"
    np.save(path, array)
    kernel = kernel_at(path)
    assert kernel.weights.dtype == np.float64
    np.testing.assert_array_equal(kernel.weights, expected)
    assert kernel.name == "saved"
    assert kernel.source == "file"


def _npy_header_only(shape: tuple[int, ...]) -> bytes:
    """A .npy header promising ``shape`` of float64, with no data after it."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        stream, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return stream.getvalue()


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        pytest.param(np.zeros((2, 2, 2)), ["2×2×2", "2-D"], id="3-d"),
        pytest.param(np.array([[1 + 1j]]), ["numbers"], id="complex"),
        pytest.param(np.array([["a"]]), ["numbers"], id="strings"),
        pytest.param(np.array([[1, "a"]], dtype=object), ["readable"], id="object"),
        pytest.param(np.array([[np.nan, 1.0]]), ["finite"], id="nan"),
        pytest.param(np.zeros((0, 3)), ["empty"], id="empty"),
        pytest.param(np.array(3.0), ["2-D"], id="0-d"),
        pytest.param(b"hello", ["readable"], id="not-npy"),
        pytest.param(_npy_header_only((2, 2)), ["readable"], id="truncated"),
        pytest.param(_npy_header_only((100_000, 1)), [str(MAX_KERNEL_SIDE)], id="absurd-rows"),
        pytest.param(_npy_header_only((10**12, 10**12)), [str(MAX_KERNEL_SIDE)], id="astronomical"),
    ],
)
def test_npy_errors(
    tmp_path: Path,
    content: np.ndarray | bytes,
    fragments: list[str],
    raises_kernel_error: Callable[..., str],
) -> None:
    """A .npy file that is not a small finite 2-D number array is refused, before allocating."""
    path = tmp_path / "bad.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content, allow_pickle=True)
    started = time.perf_counter()
    raises_kernel_error(lambda: resolve_kernel(str(path)), "bad.npy", *fragments)
    assert time.perf_counter() - started < 2
