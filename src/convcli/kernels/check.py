"""Checking a kernel file: errors with their line, and warnings about kernels that read but
would surprise (a brightness change nobody asked for, clipped negatives, a turned asymmetry)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convcli.errors import KernelError
from convcli.kernels.model import AnyKernel, CombinedKernel, Kernel

#: Words in a kernel's name that promise a kernel equal to itself turned 180°.
SYMMETRIC_NAMES = ("gaussian", "box", "blur", "mean", "average", "smooth", "laplacian", "sharpen")
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Finding:
    """One problem: ``error`` (the file cannot be used) or ``warning``."""

    severity: str
    message: str


def check_kernel_file(path: Path) -> list[Finding]:
    """Every error and warning for the kernel file at ``path`` (empty: nothing to say)."""
    from convcli.kernels.files import load_kernel_file
    from convcli.kernels.resolver import resolve_kernel

    try:
        kernels = load_kernel_file(path, resolve=resolve_kernel)
    except KernelError as exc:
        return [Finding("error", str(exc))]
    return [finding for kernel in kernels for finding in kernel_warnings(kernel)]


def kernel_warnings(kernel: AnyKernel) -> list[Finding]:
    """What a careful reader of this kernel would point out."""
    if isinstance(kernel, CombinedKernel):
        return [finding for part in kernel.parts for finding in kernel_warnings(part)]
    assert isinstance(kernel, Kernel)
    findings = []
    total = float(kernel.weights.sum())
    name = kernel.name
    if kernel.scale == 1 and abs(total) > TOLERANCE and abs(total - 1) > TOLERANCE:
        effect = "brighter" if total > 1 else "darker"
        findings.append(
            Finding(
                "warning",
                f"kernel {name!r}: the weights sum to {total:g}, not 0 or 1, and no scale is "
                f"set: images get {effect} (scale: 1/{total:g} keeps their brightness)",
            )
        )
    if abs(total) <= TOLERANCE and not kernel.offset:
        findings.append(
            Finding(
                "warning",
                f"kernel {name!r}: the weights sum to 0 and there is no offset: negative "
                "results clip to 0 in 8- and 16-bit outputs (offset: 50% or `abs` keeps them)",
            )
        )
    turned = kernel.weights[::-1, ::-1]
    if any(word in name.lower() for word in SYMMETRIC_NAMES) and not np.allclose(
        kernel.weights, turned, rtol=0, atol=TOLERANCE
    ):
        findings.append(
            Finding(
                "warning",
                f"kernel {name!r}: its name says symmetric, but it changes when turned 180°, "
                "so convolution and correlation give different results",
            )
        )
    return findings
