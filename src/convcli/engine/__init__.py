"""The convolution engine: pure NumPy arrays in, float arrays out; no files, no terminals."""

from convcli.engine.api import convolve, correlate
from convcli.modes import BORDER_ALIASES, BORDERS, PADDINGS, Border, Padding, canonical_border

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
