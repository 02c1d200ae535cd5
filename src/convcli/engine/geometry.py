"""Where each output sample reads its input: the size, anchor, stride and dilation of one axis.

For one axis, output sample ``m`` (after striding) is::

    out[m] = sum_j  w[j] * x_extended[m * stride + start + j * dilation]

``start`` depends on the padding mode and on the anchor, the centre of the dilated kernel
(index ``span // 2``, with ``span = dilation * (k - 1) + 1``). ``convolve`` turns the kernel 180°
first, which moves the anchor to ``span - 1 - span // 2`` of the turned kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

from convcli.engine.modes import Padding
from convcli.errors import EngineArgumentError


@dataclass(frozen=True)
class AxisPlan:
    """How one image axis maps to one output axis."""

    taps: int  #: kernel size along this axis
    stride: int
    dilation: int
    start: int  #: input index (may be negative) read by tap 0 of output sample 0
    length: int  #: number of output samples, after striding
    turned: bool = False  #: the kernel was turned 180° (``convolve``)

    @property
    def span(self) -> int:
        """Input samples one output sample reads, from first tap to last."""
        return dilated_span(self.taps, self.dilation)

    @property
    def centre(self) -> int:
        """The input index output sample 0 is centred on (its anchor tap's position)."""
        return self.start + anchor(self.span, self.turned)

    @property
    def extent(self) -> int:
        """Input samples, from the first one read to the last, that all outputs read."""
        return (self.length - 1) * self.stride + self.span


def dilated_span(taps: int, dilation: int) -> int:
    """The samples a kernel of ``taps`` covers when its taps are ``dilation`` apart."""
    return dilation * (taps - 1) + 1


def anchor(span: int, turned: bool) -> int:
    """The anchor's offset in a dilated span: its centre, ``span // 2``, as written; the same
    tap, ``span - 1 - span // 2`` from the start, once the kernel is turned 180°."""
    return span - 1 - span // 2 if turned else span // 2


def plan_axis(
    n: int, taps: int, *, padding: Padding, stride: int, dilation: int, turned: bool
) -> AxisPlan:
    """Plan one axis of length ``n`` for a kernel of ``taps`` samples."""
    span = dilated_span(taps, dilation)
    if padding == "same":
        start = -anchor(span, turned)
        full_length = n
    elif padding == "valid":
        if span > n:
            raise EngineArgumentError(
                f"padding 'valid' needs the kernel to fit inside the image, but the kernel spans "
                f"{span} samples along an axis of {n}; use padding 'same' or 'full'"
            )
        start, full_length = 0, n - span + 1
    else:
        start, full_length = -(span - 1), n + span - 1
    length = -(-full_length // stride)
    return AxisPlan(
        taps=taps, stride=stride, dilation=dilation, start=start, length=length, turned=turned
    )
