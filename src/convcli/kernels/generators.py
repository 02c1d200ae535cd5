"""Parametric kernels, ``NAME:key=value,...``: gaussian, box, motion, log, dog, unsharp, disk.

Each generator computes the kernel's size from its parameters and refuses sizes above
``MAX_KERNEL_SIDE`` before allocating anything. Blurs come out normalised (their sum is 1),
which is what the parameters define; nothing is normalised behind the user's back afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.errors import KernelError
from convcli.kernels.model import MAX_KERNEL_SIDE, Kernel
from convcli.kernels.numbers import parse_number

Weights = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Generator:
    """A parametric kernel family."""

    build: Callable[..., tuple[Weights, float]]  #: returns (weights, scale)
    required: tuple[str, ...]
    optional: tuple[str, ...]
    summary: str

    @property
    def usage(self) -> str:
        params = [f"{key}=…" for key in self.required] + [f"[{key}=…]" for key in self.optional]
        return ",".join(params)


def generate(spec: str) -> Kernel:
    """Build the kernel ``spec`` names: ``gaussian:sigma=2``, ``motion:length=9,angle=45`` ..."""
    name, _, arguments = spec.partition(":")
    key = name.strip().lower()
    generator = GENERATORS.get(key)
    if generator is None:
        raise KernelError(
            f"unknown kernel generator {name!r}; generators: {', '.join(sorted(GENERATORS))}"
        )
    params = _parse_arguments(arguments, spec, generator)
    weights, scale = generator.build(**params)
    return Kernel(
        name=spec.strip(),
        description=generator.summary,
        weights=weights,
        scale=scale,
        source="generator",
    )


def generator_help() -> list[str]:
    """One ``name:params — summary`` line per generator."""
    return [f"{name}:{g.usage} — {g.summary}" for name, g in sorted(GENERATORS.items())]


def _parse_arguments(arguments: str, spec: str, generator: Generator) -> dict[str, float]:
    allowed = generator.required + generator.optional
    params: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in arguments.split(","))):
        key, equals, text = item.partition("=")
        key = key.strip().lower()
        if not equals or key not in allowed:
            raise KernelError(
                f"{spec!r}: {item!r} is not a parameter of {spec.split(':')[0].strip()}; "
                f"write {spec.split(':')[0].strip()}:{generator.usage}"
            )
        value = parse_number(text)
        if value is None or not math.isfinite(value):
            raise KernelError(f"{spec!r}: {key}={text.strip()!r} is not a finite number")
        params[key] = value
    missing = [key for key in generator.required if key not in params]
    if missing:
        raise KernelError(
            f"{spec!r}: missing {', '.join(missing)}; write "
            f"{spec.split(':')[0].strip()}:{generator.usage}"
        )
    return params


#: Below this a sigma or radius is numerically a single tap; say so instead of dividing by 0.
_SMALLEST = 1e-3
#: Above this a sigma, radius or length is wider than any kernel by far (and its powers would
#: overflow floats): refused with a message instead of an OverflowError.
_LARGEST = 1e6


def _positive(value: float, what: str) -> float:
    if value <= 0:
        raise KernelError(f"{what} must be greater than 0, not {value:g}")
    if value < _SMALLEST:
        raise KernelError(
            f"{what} of {value:g} is below {_SMALLEST:g}: the kernel would be a single tap "
            "(use 'identity')"
        )
    if value > _LARGEST:
        raise KernelError(
            f"{what} of {value:g} is above {_LARGEST:g}: far wider than the largest kernel "
            f"convcli builds ({MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE})"
        )
    return value


def _side(size: float | None, radius: float, what: str, *, odd: bool = True) -> int:
    """A kernel side: ``size`` if given, else ``2*ceil(radius)+1``; checked against the limit.

    Symmetric generators insist on odd sizes so that their centre is a sample.
    """
    if size is None:
        if not radius <= MAX_KERNEL_SIDE:
            raise KernelError(
                f"{what} would need a kernel wider than {MAX_KERNEL_SIDE}; "
                f"the largest convcli builds is {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}"
            )
        side = 2 * math.ceil(radius - 1e-9) + 1
    else:
        if size != int(size) or size < 1 or (odd and int(size) % 2 == 0):
            kind = "an odd whole number" if odd else "a whole number of at least 1"
            raise KernelError(f"{what}: size must be {kind}, not {size:g}")
        side = int(size)
    if side > MAX_KERNEL_SIDE:
        raise KernelError(
            f"{what} would need a {side}×{side} kernel; "
            f"the largest convcli builds is {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}"
        )
    return side


def _grid(side: int) -> tuple[Weights, Weights]:
    """Row and column offsets from the centre of a side×side kernel."""
    r = np.arange(side, dtype=np.float64) - side // 2
    return r[:, np.newaxis], r[np.newaxis, :]


def _gaussian(sigma: float, side: int) -> Weights:
    y, x = _grid(side)
    g: Weights = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    return g / float(g.sum())


def gaussian(sigma: float, size: float | None = None) -> tuple[Weights, float]:
    """Gaussian blur, truncated at 3 sigma unless ``size`` says otherwise; sums to 1."""
    sigma = _positive(sigma, "gaussian sigma")
    return _gaussian(sigma, _side(size, 3 * sigma, f"gaussian:sigma={sigma:g}")), 1.0


def box(size: float) -> tuple[Weights, float]:
    """Mean of a size×size square: weights 1, scale 1/size²."""
    side = _side(size, 0, "box", odd=False)
    return np.ones((side, side)), 1.0 / side**2


def disk(radius: float) -> tuple[Weights, float]:
    """Mean over a disk (pillbox): weights 1 inside the radius, scale 1/count."""
    radius = _positive(radius, "disk radius")
    side = _side(None, math.floor(radius + 1e-9), f"disk:radius={radius:g}")
    y, x = _grid(side)
    inside = (x**2 + y**2 <= radius**2 + 1e-9).astype(np.float64)
    return inside, 1.0 / inside.sum()


def motion(length: float, angle: float = 0.0) -> tuple[Weights, float]:
    """A line ``length`` pixels long through the centre, ``angle`` degrees anticlockwise from +x.

    Each cell's weight is the length of the line inside it, so a horizontal line gives
    equal weights; the weights sum to 1.
    """
    length = _positive(length, "motion length")
    theta = math.radians(angle)
    dx, dy = math.cos(theta) * length, -math.sin(theta) * length  # rows grow downwards
    reach = max(abs(dx), abs(dy)) / 2  # how far the line extends from the centre
    side = _side(None, max(0.0, reach - 0.5), f"motion:length={length:g}")
    y, x = _grid(side)
    # Liang-Barsky: the part t0..t1 of the segment P(t) = -D/2 + t*D inside each cell.
    t0, t1 = np.zeros_like(x * y), np.ones_like(x * y)
    for start, delta, centre in ((-dx / 2, dx, x), (-dy / 2, dy, y)):
        if abs(delta) < 1e-12:
            outside = np.abs(start - centre) > 0.5
            t1 = np.where(outside, 0.0, t1)
            continue
        a = (centre - 0.5 - start) / delta
        b = (centre + 0.5 - start) / delta
        t0 = np.maximum(t0, np.minimum(a, b))
        t1 = np.minimum(t1, np.maximum(a, b))
    weights = np.clip(t1 - t0, 0.0, None)
    weights[np.abs(weights) < 1e-12] = 0.0
    return weights / weights.sum(), 1.0


def log(sigma: float, size: float | None = None) -> tuple[Weights, float]:
    """Laplacian of Gaussian (negative centre, as the mathematical Laplacian), summing to 0."""
    sigma = _positive(sigma, "log sigma")
    side = _side(size, 4 * sigma, f"log:sigma={sigma:g}")
    y, x = _grid(side)
    r2 = x**2 + y**2
    weights = (r2 - 2 * sigma**2) / (2 * math.pi * sigma**6) * np.exp(-r2 / (2 * sigma**2))
    return weights - weights.mean(), 1.0


def dog(sigma1: float, sigma2: float, size: float | None = None) -> tuple[Weights, float]:
    """Difference of Gaussians G(sigma1) - G(sigma2), each summing to 1 on the same grid."""
    sigma1 = _positive(sigma1, "dog sigma1")
    sigma2 = _positive(sigma2, "dog sigma2")
    if sigma1 == sigma2:
        raise KernelError("dog: sigma1 and sigma2 must differ (their difference would be 0)")
    side = _side(size, 3 * max(sigma1, sigma2), f"dog:sigma1={sigma1:g},sigma2={sigma2:g}")
    return _gaussian(sigma1, side) - _gaussian(sigma2, side), 1.0


def unsharp(sigma: float, amount: float = 1.0, size: float | None = None) -> tuple[Weights, float]:
    """Unsharp mask: the image plus ``amount`` times (image - gaussian blur); sums to 1."""
    sigma = _positive(sigma, "unsharp sigma")
    side = _side(size, 3 * sigma, f"unsharp:sigma={sigma:g}")
    weights = -amount * _gaussian(sigma, side)
    weights[side // 2, side // 2] += 1 + amount
    return weights, 1.0


GENERATORS: dict[str, Generator] = {
    "gaussian": Generator(gaussian, ("sigma",), ("size",), "Gaussian blur (sum 1)"),
    "box": Generator(box, ("size",), (), "mean of a size×size square"),
    "disk": Generator(disk, ("radius",), (), "mean over a disk (pillbox blur)"),
    "motion": Generator(motion, ("length",), ("angle",), "motion blur along a line"),
    "log": Generator(log, ("sigma",), ("size",), "Laplacian of Gaussian (sum 0)"),
    "dog": Generator(dog, ("sigma1", "sigma2"), ("size",), "difference of Gaussians (sum 0)"),
    "unsharp": Generator(unsharp, ("sigma",), ("amount", "size"), "unsharp mask (sum 1)"),
}
