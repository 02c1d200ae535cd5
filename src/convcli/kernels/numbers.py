"""Numbers as people write them in kernel files: ``-2``, ``0.25``, ``1e-3``, ``1/16``, ``50%``."""

from __future__ import annotations

import math
import re

_FRACTION = re.compile(r"^\s*([+-]?[0-9.eE+-]+)\s*/\s*([+-]?[0-9.eE+-]+)\s*$")


def parse_number(text: str) -> float | None:
    """The value of ``text``, a decimal or a fraction ``a/b``; ``None`` if it is not a number.

    NaN and infinities parse (so the caller can say where they are); ``a/0`` does not.
    """
    text = text.strip()
    match = _FRACTION.match(text)
    if match:
        numerator, denominator = (_float(part) for part in match.groups())
        if numerator is None or denominator is None or denominator == 0:
            return None
        return numerator / denominator
    return _float(text)


def parse_offset(text: str) -> tuple[float, bool] | None:
    """An offset: a number in image units, or ``NN%`` of the full range (returned as a fraction)."""
    text = text.strip()
    relative = text.endswith("%")
    value = parse_number(text[:-1] if relative else text)
    if value is None or not math.isfinite(value):
        return None
    return (value / 100, True) if relative else (value, False)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
