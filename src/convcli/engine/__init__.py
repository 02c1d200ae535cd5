"""The convolution engine: pure NumPy arrays in, float arrays or samples out; no files, no
terminals.

Strategies (direct, separable, FFT) sit behind :func:`correlate` and :func:`convolve`; a cost
model picks one (``method="auto"``) and :func:`explain` says which and why. On integer samples
every strategy sums the kernel's whole-number form exactly, and :mod:`convcli.engine.samples`
holds the one rule that turns those sums into output samples.

The border and padding names (:mod:`convcli.engine.modes`) need no NumPy, and the command line
checks options with them before any array exists, so the NumPy parts load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from convcli.engine.modes import (
    BORDER_ALIASES,
    BORDERS,
    PADDINGS,
    Border,
    Padding,
    canonical_border,
)

if TYPE_CHECKING:
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

_LAZY = {
    "EngineOptions": "convcli.engine.api",
    "Rounded": "convcli.engine.api",
    "convolve": "convcli.engine.api",
    "correlate": "convcli.engine.api",
    "explain": "convcli.engine.api",
    "plan_for": "convcli.engine.api",
    "respond": "convcli.engine.api",
    "round_samples": "convcli.engine.api",
    "Finish": "convcli.engine.samples",
    "METHODS": "convcli.engine.plan",
    "Plan": "convcli.engine.plan",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convcli.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
