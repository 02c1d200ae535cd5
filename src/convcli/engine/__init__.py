"""The convolution engine: pure NumPy arrays in, float arrays out; no files, no terminals.

Strategies (direct, separable, FFT) sit behind :func:`correlate` and :func:`convolve`; a cost
model picks one (``method="auto"``) and :func:`explain` says which and why.
"""

from convcli.engine.api import Rounded, convolve, correlate, explain, filter_rounded
from convcli.engine.plan import METHODS, Plan
from convcli.modes import BORDER_ALIASES, BORDERS, PADDINGS, Border, Padding, canonical_border

__all__ = [
    "BORDERS",
    "BORDER_ALIASES",
    "METHODS",
    "PADDINGS",
    "Border",
    "Padding",
    "Plan",
    "Rounded",
    "canonical_border",
    "convolve",
    "correlate",
    "explain",
    "filter_rounded",
]
