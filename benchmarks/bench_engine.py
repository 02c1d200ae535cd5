"""The engine against scipy.ndimage.correlate and cv2.filter2D on a 3840×2160 RGB picture.

    python benchmarks/bench_engine.py [--runs 5] [--threads 1] [--quick]
                                       [--dtype uint8|uint16|float32] [--plans]

Prints one Markdown table per input type (uint8 → uint8, uint16 → uint16, float32 → float32;
the integer ones by the rounding rule, ``round_samples``, the path ``convcli apply`` takes):
the minimum of interleaved runs (convcli, then each peer, then convcli again ...), so a noisy
neighbour slows one run of everyone rather than one contestant; every contestant on
``--threads`` threads (OpenCV's ``setNumThreads``, convcli's ``threads``; scipy has one); the
ratios against OpenCV and scipy.ndimage side by side, the strategy convcli chose, and convcli's
peak memory above its input and output. ``--plans`` times every strategy instead and says
whether the planner's choice is within 10 % of the fastest. Peers that are not installed are
skipped with a note (`pip install scipy opencv-python-headless` to include them); they are
never runtime dependencies. Timings on a shared machine vary by 10-25 %: compare ratios, not
absolute times.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from convcli.engine import EngineOptions, Finish, correlate, explain, plan_for, round_samples
from convcli.errors import EngineArgumentError

HEIGHT, WIDTH = 2160, 3840
SLOW_SECONDS = 2.0  # a peer slower than this is timed once


def photo(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """A deterministic stand-in for a photograph: smooth light, edges, texture and noise."""
    rng = np.random.default_rng(2026)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.5 + 0.35 * np.sin(x / 700) * np.cos(y / 500)
    shapes = ((x - width * 0.6) ** 2 + (y - height * 0.45) ** 2 < (height * 0.25) ** 2) * 0.3
    stripes = 0.08 * np.sign(np.sin(x / 9 + y / 31))
    base = light + shapes + stripes
    rgb = np.stack([base, base * 0.9 + 0.05, base * 0.7 + 0.1], axis=2)
    rgb += rng.normal(0, 0.01, rgb.shape).astype(np.float32)  # sensor noise, ~2.5 levels
    return np.clip(rgb * 255, 0, 255).astype(np.uint8)


def kernels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    binomial = np.array([1, 4, 6, 4, 1], dtype=float)
    g31 = np.exp(-((np.arange(31) - 15) ** 2) / (2 * 5.0**2))
    g19 = np.exp(-((np.arange(19) - 9) ** 2) / (2 * 3.0**2))
    g19 = np.outer(g19, g19) / np.outer(g19, g19).sum()
    g9 = np.exp(-((np.arange(9) - 4) ** 2) / (2 * 1.5**2))
    unsharp = -1.2 * np.outer(g9, g9) / np.outer(g9, g9).sum()
    unsharp[4, 4] += 2.2
    return {
        "sharpen 3×3": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
        "Sobel-x 3×3": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
        "Gaussian 5×5": np.outer(binomial, binomial) / 256,
        "box 15×15": np.ones((15, 15)) / 225,
        "Gaussian 31×31": np.outer(g31, g31) / np.outer(g31, g31).sum(),
        "random 31×31": rng.random((31, 31)) / 480,
        "Gaussian σ=3 19×19": g19,
        "unsharp σ=1.5 9×9": unsharp,
        "random 7×7": rng.normal(size=(7, 7)) / 12,
    }


def fastest_ms(contestants: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """Each contestant's fastest of ``runs`` runs, the runs taken in turn (after one warm-up
    each); a contestant slower than SLOW_SECONDS is timed once."""
    best: dict[str, float] = {}
    for name, function in contestants.items():
        start = time.perf_counter()
        function()
        best[name] = time.perf_counter() - start
    timed = {name: f for name, f in contestants.items() if best[name] <= SLOW_SECONDS}
    for _ in range(runs):
        for name, function in timed.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds * 1000 for name, seconds in best.items()}


def peak_extra_mib(function: Callable[[], Any]) -> float:
    """Peak NumPy memory during ``function`` beyond what it returns (tracemalloc sees NumPy)."""
    tracemalloc.start()
    result = function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = result.nbytes if isinstance(result, np.ndarray) else result.pixels.nbytes
    return (peak - kept) / 2**20


Peer = Callable[[np.ndarray, np.ndarray, "np.dtype[Any] | None"], Any]


def peers(threads: int) -> dict[str, Peer]:
    """The peers installed; each takes (image, kernel, integer output dtype or None for float)."""
    found: dict[str, Peer] = {}
    try:
        import cv2

        cv2.setNumThreads(threads)

        def opencv(image: np.ndarray, kernel: np.ndarray, rounded: np.dtype[Any] | None) -> Any:
            return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)

        found["cv2.filter2D"] = opencv
    except ImportError:
        print("note: OpenCV is not installed (pip install opencv-python-headless); skipped")
    try:
        from scipy import ndimage

        def scipy_ndimage(
            image: np.ndarray, kernel: np.ndarray, rounded: np.dtype[Any] | None
        ) -> Any:
            result = ndimage.correlate(
                image, kernel[:, :, np.newaxis], output=np.float32, mode="reflect"
            )
            if rounded is not None:
                return np.clip(np.rint(result), 0, np.iinfo(rounded).max).astype(rounded)
            return result

        found["scipy.ndimage"] = scipy_ndimage
    except ImportError:
        print("note: SciPy is not installed (pip install scipy); skipped")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--threads", type=int, default=1, help="threads for every contestant")
    parser.add_argument(
        "--plans",
        action="store_true",
        help="instead of peers: time every strategy and compare the planner's choice with the best",
    )
    parser.add_argument(
        "--no-calibration",
        action="store_true",
        help="plan with the cost model's constants, not this machine's calibration",
    )
    parser.add_argument("--quick", action="store_true", help="skip the 31×31 kernels for peers")
    parser.add_argument(
        "--dtype", choices=["uint8", "uint16", "float32"], help="time one input type only"
    )
    args = parser.parse_args()
    calibration = "the cost model's constants"
    if not args.no_calibration:
        from convcli.engine.tuning import CALIBRATION
        from convcli.runs.calibration import install

        install()
        factors = CALIBRATION.get()
        calibration = (
            f"calibrated: direct ×{factors.direct:.2f}, separable ×{factors.separable:.2f}, "
            f"fft ×{factors.fft:.2f}"
        )
    image8 = photo()
    low_bits = np.random.default_rng(16).integers(0, 256, image8.shape, dtype=np.uint16)
    image16 = image8.astype(np.uint16) << 8 | low_bits  # 16-bit detail, not 8-bit steps
    image32 = image8.astype(np.float32) / 255
    others = peers(args.threads)
    machine = platform.processor() or platform.machine()
    print(
        f"\n{WIDTH}×{HEIGHT} RGB, {os.cpu_count()} cores, {machine}, "
        f"{args.threads} thread(s), minimum of {args.runs} interleaved runs, "
        f"planner: {calibration}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
        + "".join(f", {name} {_version(name)}" for name in others)
    )
    tables: tuple[tuple[str, np.ndarray, np.dtype[Any] | None], ...] = (
        ("uint8 → uint8", image8, np.dtype(np.uint8)),
        ("uint16 → uint16", image16, np.dtype(np.uint16)),
        ("float32 → float32", image32, None),
    )
    for label, image, rounded in tables:
        if args.dtype and label.split()[0] != args.dtype:
            continue
        if args.plans:
            _plan_table(label, image, rounded, args.threads, args.runs)
            continue
        print(f"\n### {label}\n")
        header = ["kernel", "convcli ms", "plan"]
        for name in others:
            header += [f"{name} ms", f"convcli / {name}"]
        header.append("convcli extra MiB")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        ratios: dict[str, list[float]] = {name: [] for name in others}
        for kernel_name, kernel in kernels().items():
            if rounded is not None:
                ours = partial(
                    round_samples,
                    image,
                    kernel,
                    Finish(),
                    rounded,
                    EngineOptions(threads=args.threads),
                )
            else:
                ours = partial(correlate, image, kernel, threads=args.threads)
            contestants: dict[str, Callable[[], Any]] = {"convcli": ours}
            for name, peer in others.items():
                if not (args.quick and "31" in kernel_name):
                    contestants[name] = partial(peer, image, kernel, rounded)
            times = fastest_ms(contestants, args.runs)
            plan = explain(image, kernel, threads=args.threads)
            row = [kernel_name, f"{times['convcli']:.1f}", f"{plan.method} ({plan.accumulator})"]
            for name in others:
                if name not in times:
                    row += ["–", "–"]
                    continue
                ratio = times["convcli"] / times[name]
                ratios[name].append(ratio)
                row += [f"{times[name]:.1f}", f"{ratio:.2f}"]
            row.append(f"{peak_extra_mib(ours):.0f}")
            print("| " + " | ".join(row) + " |")
        for name, values in ratios.items():
            if values:
                geometric = math.exp(statistics.mean(math.log(v) for v in values))
                print(
                    f"\nconvcli / {name}: geometric mean {geometric:.2f}, "
                    f"worst {max(values):.2f}, best {min(values):.2f}"
                )


def _plan_table(
    label: str, image: np.ndarray, rounded: np.dtype[Any] | None, threads: int, runs: int
) -> None:
    """Every strategy timed on every kernel: is the planner's choice within 10 % of the best?"""
    print(f"\n### {label}: the planner's choice against every strategy\n")
    methods = ("direct", "separable", "fft")
    print(
        "| kernel | "
        + " | ".join(f"{m} ms" for m in methods)
        + " | chosen | best | chosen / best |"
    )
    print("|" + "---|" * (len(methods) + 4))
    misses = 0
    for kernel_name, kernel in kernels().items():
        contestants: dict[str, Callable[[], Any]] = {}
        for method in methods:
            options = EngineOptions(threads=threads, method=method)
            try:
                plan_for(image, kernel, options)
            except EngineArgumentError:  # e.g. separable on an exact kernel of high rank
                continue
            if rounded is not None:
                contestants[method] = partial(
                    round_samples, image, kernel, Finish(), rounded, options
                )
            else:
                contestants[method] = partial(
                    correlate, image, kernel, threads=threads, method=method
                )
        times = fastest_ms(contestants, runs)
        chosen = explain(image, kernel, threads=threads).method
        best = min(times, key=times.__getitem__)
        ratio = times[chosen] / times[best]
        misses += ratio > 1.1
        cells = [f"{times[m]:.0f}" if m in times else "–" for m in methods]
        print(f"| {kernel_name} | " + " | ".join(cells) + f" | {chosen} | {best} | {ratio:.2f} |")
    print(f"\nchoices more than 10 % slower than the best: {misses} of {len(kernels())}")


def _version(peer: str) -> str:
    if peer.startswith("cv2"):
        import cv2

        return str(cv2.__version__)
    import scipy

    return str(scipy.__version__)


if __name__ == "__main__":
    main()
