"""The names of border and padding modes, without NumPy, so the CLI can check options cheaply.

The five border modes and their meanings are scipy.ndimage's (left edge of ``a b c d``)::

    reflect   d c b a | a b c d | d c b a  half-sample symmetric: OpenCV REFLECT, np "symmetric"
    mirror      d c b | a b c d | c b a    whole-sample symmetric: OpenCV REFLECT_101, np "reflect"
    nearest   a a a a | a b c d | d d d d  replicate the edge: OpenCV REPLICATE, np "edge"
    wrap      a b c d | a b c d | a b c d  periodic: OpenCV WRAP, np "wrap"
    constant  k k k k | a b c d | k k k k  k = fill: OpenCV CONSTANT, np "constant"

The trap: NumPy's ``np.pad(mode="reflect")`` is scipy's (and convcli's) ``mirror``.
"""

from __future__ import annotations

from typing import Literal

from convcli.errors import EngineArgumentError

Border = Literal["reflect", "mirror", "nearest", "wrap", "constant"]
BORDERS: tuple[Border, ...] = ("reflect", "mirror", "nearest", "wrap", "constant")

#: Other tools' names for the same five behaviours. Deliberately absent: "reflect" in NumPy's
#: sense and ImageMagick's "mirror", which would contradict the scipy names above.
BORDER_ALIASES: dict[str, Border] = {
    "symmetric": "reflect",
    "half-symmetric": "reflect",
    "grid-mirror": "reflect",
    "reflect101": "mirror",
    "reflect-101": "mirror",
    "whole-symmetric": "mirror",
    "replicate": "nearest",
    "edge": "nearest",
    "clamp": "nearest",
    "extend": "nearest",
    "neumann": "nearest",
    "periodic": "wrap",
    "circular": "wrap",
    "tile": "wrap",
    "loop": "wrap",
    "grid-wrap": "wrap",
    "zero": "constant",
    "zeros": "constant",
    "fill": "constant",
    "pad": "constant",
    "dirichlet": "constant",
    "grid-constant": "constant",
}

#: Aliases that pin the fill value as well as the mode.
_ZERO_FILL_ALIASES = frozenset({"zero", "zeros", "dirichlet"})

Padding = Literal["same", "valid", "full"]
PADDINGS: tuple[Padding, ...] = ("same", "valid", "full")


def canonical_border(name: str, fill: float = 0.0) -> Border:
    """Return the scipy name for ``name`` (any case, ``_`` or ``-``), or raise a clear error."""
    if not isinstance(name, str):
        raise EngineArgumentError(f"border must be a name such as 'reflect', not {name!r}")
    key = name.strip().lower().replace("_", "-")
    if key in BORDERS:
        return key
    if key in BORDER_ALIASES:
        if key in _ZERO_FILL_ALIASES and fill != 0:
            raise EngineArgumentError(
                f"border {name!r} means a fill of 0; use border='constant' with fill={fill:g}"
            )
        return BORDER_ALIASES[key]
    raise EngineArgumentError(
        f"unknown border {name!r}; choose one of {', '.join(BORDERS)} "
        "(other tools' names such as replicate, symmetric, reflect101 or periodic work too)"
    )


def canonical_padding(name: str) -> Padding:
    """Return the padding mode ``name`` in canonical form, or raise a clear error."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in PADDINGS:
        raise EngineArgumentError(f"unknown padding {name!r}; choose one of {', '.join(PADDINGS)}")
    return key
