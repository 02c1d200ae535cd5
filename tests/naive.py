"""A naive reference for the engine, written from the spec with plain loops: the specification.

Nothing here uses the engine, ``np.pad`` or a modulo formula. Every output sample is a sum over
the kernel's taps of the sample each tap reads; which sample a tap reads is worked out one axis
at a time:

* correlate reads ``x_ext[i + j*d - shift]`` and convolve reads ``x_ext[i - j*d + shift]``,
  where ``i`` is the stride-1 output index, ``j`` the tap, ``d`` the dilation and ``shift``::

      padding   correlate   convolve
      same      a           a          (a = span // 2, span = d*(k-1) + 1, the anchor)
      valid     0           span - 1
      full      span - 1    0

* the stride-1 output has ``n`` (same), ``n - span + 1`` (valid) or ``n + span - 1`` (full)
  samples, of which stride ``s`` keeps ``0, s, 2s, ...``;
* an index outside ``0..n-1`` is brought back by the border rule (``bounce``), walking it
  back step by step, so a pad wider than the image simply bounces again.
"""

from __future__ import annotations

import numpy as np

FILL = None  # what ``bounce`` returns for a constant border outside the image


def bounce(i: int, n: int, border: str) -> int | None:
    """The index in ``0..n-1`` that extended position ``i`` reads, or None for the fill."""
    if border == "constant":
        return i if 0 <= i < n else FILL
    if border == "nearest":  # a a a | a b c d | d d d
        return min(max(i, 0), n - 1)
    while not 0 <= i < n:
        if border == "wrap":  # a b c d | a b c d | a b c d: step a whole image
            i = i + n if i < 0 else i - n
        elif border == "reflect":  # d c b a | a b c d | d c b a: mirror about the edge itself
            i = -1 - i if i < 0 else 2 * n - 1 - i
        elif border == "mirror":  # d c b | a b c d | c b a: mirror about the edge sample
            if n == 1:
                return 0
            i = -i if i < 0 else 2 * (n - 1) - i
        else:
            raise ValueError(f"unknown border {border!r}")
    return i


def axis_reads(
    n: int, k: int, *, padding: str, stride: int, dilation: int, turned: bool, border: str
) -> list[list[int | None]]:
    """For each output sample of one axis, the input index each tap reads (None = fill)."""
    span = dilation * (k - 1) + 1
    anchor = span // 2
    if padding == "same":
        length, shift = n, anchor
    elif padding == "valid":
        length, shift = n - span + 1, (span - 1 if turned else 0)
    elif padding == "full":
        length, shift = n + span - 1, (0 if turned else span - 1)
    else:
        raise ValueError(f"unknown padding {padding!r}")
    if length < 1:
        raise ValueError("the kernel does not fit")
    reads = []
    for i in range(0, length, stride):
        if turned:
            positions = [i - j * dilation + shift for j in range(k)]
        else:
            positions = [i + j * dilation - shift for j in range(k)]
        reads.append([bounce(p, n, border) for p in positions])
    return reads


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def naive_filter(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    border: str = "reflect",
    fill: float = 0.0,
    padding: str = "same",
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
    turned: bool = False,
) -> np.ndarray:
    """correlate (``turned=False``) or convolve (``turned=True``), in float64.

    ``image`` is 1-D (with a 1-D kernel), 2-D or 3-D (H, W, C); a 1-D kernel on an image is a
    row. Strides and dilations are ints, or (rows, cols) pairs for 2-D and 3-D images.
    """
    x = np.asarray(image, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if x.ndim == 1:
        return naive_filter(
            x[None, :], w.reshape(1, -1), border=border, fill=fill, padding=padding,
            stride=stride, dilation=dilation, turned=turned,
        )[0]  # fmt: skip
    if x.ndim == 3:
        channels = [
            naive_filter(
                x[:, :, c], w, border=border, fill=fill, padding=padding,
                stride=stride, dilation=dilation, turned=turned,
            )
            for c in range(x.shape[2])
        ]  # fmt: skip
        return np.stack(channels, axis=-1)
    w = w.reshape(1, -1) if w.ndim == 1 else w
    (s_rows, s_cols), (d_rows, d_cols) = _pair(stride), _pair(dilation)
    common = {"padding": padding, "turned": turned, "border": border}
    rows = axis_reads(x.shape[0], w.shape[0], stride=s_rows, dilation=d_rows, **common)
    cols = axis_reads(x.shape[1], w.shape[1], stride=s_cols, dilation=d_cols, **common)
    xs, ws = x.tolist(), w.tolist()  # plain floats: the loops below stay Python arithmetic
    out = np.zeros((len(rows), len(cols)), dtype=np.float64)
    for m, row_reads in enumerate(rows):
        for q, col_reads in enumerate(cols):
            total = 0.0
            for p, r in enumerate(row_reads):
                for t, c in enumerate(col_reads):
                    sample = fill if r is FILL or c is FILL else xs[r][c]
                    total += ws[p][t] * sample
            out[m, q] = total
    return out


def naive_correlate(image: np.ndarray, weights: np.ndarray, **options: object) -> np.ndarray:
    """The engine's ``correlate``, by the definition."""
    return naive_filter(image, weights, turned=False, **options)  # type: ignore[arg-type]


def naive_convolve(image: np.ndarray, weights: np.ndarray, **options: object) -> np.ndarray:
    """The engine's ``convolve``, by the definition."""
    return naive_filter(image, weights, turned=True, **options)  # type: ignore[arg-type]


def assert_close(
    got: np.ndarray, expected: np.ndarray, tolerance: float = 1e-5, *, where: str = ""
) -> None:
    """The spec's accuracy rule: same shape, and within ``tolerance`` of ``expected`` relative
    to its scale (its largest absolute value, or 1 if that is smaller)."""
    got, expected = np.asarray(got), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{where} shape {got.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance * scale, err_msg=where)
