"""The convolution engine: pure NumPy arrays in, float arrays out; no files, no terminals."""

from convcli.engine.api import convolve, correlate
from convcli.engine.borders import BORDER_ALIASES, BORDERS, Border, canonical_border
from convcli.engine.geometry import PADDINGS, Padding

__all__ = [
    "BORDERS",
    "BORDER_ALIASES",
    "PADDINGS",
    "Border",
    "Padding",
    "canonical_border",
    "convolve",
    "correlate",
]
