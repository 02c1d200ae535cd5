"""The convolution engine: pure NumPy arrays in, float arrays or samples out; no files, no
terminals.

Strategies (direct, separable, FFT) sit behind :func:`correlate` and :func:`convolve`; a cost
model picks one (``method="auto"``) and :func:`explain` says which and why. On integer samples
every strategy sums the kernel's whole-number form exactly, and :mod:`convcli.engine.samples`
holds the one rule that turns those sums into output samples.
"""

from convcli.engine.api import (
    EngineOptions,
    Rounded,
    convolve,
    correlate,
    explain,
    plan_for,
    respond,
    round_samples,
)
from convcli.engine.plan import METHODS, Plan
from convcli.engine.samples import Finish
from convcli.modes import BORDER_ALIASES, BORDERS, PADDINGS, Border, Padding, canonical_border

__all__ = [
    "BORDERS",
    "BORDER_ALIASES",
    "METHODS",
    "PADDINGS",
    "Border",
    "EngineOptions",
    "Finish",
    "Padding",
    "Plan",
    "Rounded",
    "canonical_border",
    "convolve",
    "correlate",
    "explain",
    "plan_for",
    "respond",
    "round_samples",
]
