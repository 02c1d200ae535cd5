"""convcli: image convolution with an exact NumPy engine and a kernel library.

The public API is loaded lazily, so ``convcli --help`` never pays for importing NumPy::

    from convcli import correlate, convolve, resolve_kernel, apply_kernel
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "correlate": "convcli.engine",
    "convolve": "convcli.engine",
    "Kernel": "convcli.kernels",
    "CombinedKernel": "convcli.kernels",
    "resolve_kernel": "convcli.kernels",
    "apply_kernel": "convcli.filtering.filters",
}

#: The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:
    from convcli.engine import convolve as convolve
    from convcli.engine import correlate as correlate
    from convcli.filtering.filters import apply_kernel as apply_kernel
    from convcli.kernels import CombinedKernel as CombinedKernel
    from convcli.kernels import Kernel as Kernel
    from convcli.kernels import resolve_kernel as resolve_kernel


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convcli' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
