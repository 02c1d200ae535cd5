"""Convolution layers: convcli's conv2d against torch.nn.functional.conv2d on one thread.

Times `convcli.engine.conv2d.conv2d` on the test card resized to 1024×1024 RGB (float32, 0..1)
through banks of 64 kernels: 3×3×3 (stride 1, padding 1) and 7×7×3 (stride 2, padding 3, the
ResNet stem), medians of interleaved runs. Reports the multiply-adds per second
(C_out × H_out × W_out × C_in/groups × kH × kW / time) and, where `import torch` works,
torch's time on ONE thread (torch.set_num_threads(1)), the ratio convcli / torch and the
largest difference between the two. NumPy's BLAS keeps its default thread count unless
`--threads N` is given (set through OPENBLAS_NUM_THREADS and friends before NumPy is imported).

    python benchmarks/bench_layer.py [--runs 5] [--threads 1]
    PYTHONPATH=src /path/to/venv-with-torch/bin/python benchmarks/bench_layer.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: Environment variables that fix the thread count of the BLAS libraries NumPy may be built on.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _limit_blas_threads(argv: list[str]) -> None:
    """Apply `--threads N` before NumPy is imported: BLAS reads these only when it loads."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--threads", type=int)
    threads = early.parse_known_args(argv)[0].threads
    if threads is not None:
        for name in BLAS_THREAD_VARIABLES:
            os.environ[name] = str(threads)


_limit_blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from convcli.engine.conv2d import conv2d  # noqa: E402

SIZE = 1024
CARD = Path(__file__).resolve().parent.parent / "sample_images" / "test-card.png"
#: (name, kernel size, stride, padding)
CASES = (
    ("64 × 3×3×3, stride 1, pad 1", 3, 1, 1),
    ("64 × 7×7×3, stride 2, pad 3 (ResNet stem)", 7, 2, 3),
)
KERNELS = 64


def test_card(size: int = SIZE) -> np.ndarray:
    """The test card resized to size × size, as a (3, H, W) float32 array in 0..1."""
    with Image.open(CARD) as card:
        picture = card.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
    return np.ascontiguousarray(np.asarray(picture, dtype=np.float32).transpose(2, 0, 1) / 255)


def bank(taps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """64 kernels of taps × taps × 3 (He-initialised, as a trained stem's scale) and a bias."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(0, np.sqrt(2 / (3 * taps * taps)), (KERNELS, 3, taps, taps))
    return weight.astype(np.float32), rng.normal(0, 0.1, KERNELS).astype(np.float32)


def interleaved(functions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each function, run in turn so load changes hit all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()  # warm up: first-touch page faults, torch's lazy initialisation
    for _ in range(runs):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def blas_threads() -> str:
    """NumPy's BLAS library and its thread count, as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        limited = os.environ.get("OPENBLAS_NUM_THREADS")
        if limited:
            return f"numpy BLAS threads: {limited} (OPENBLAS_NUM_THREADS and friends)"
        return "numpy BLAS threads: default (pip install threadpoolctl to see how many)"
    pools = [
        f"{pool['internal_api']} {pool['num_threads']} thread(s)"
        for pool in threadpool_info()
        if pool["user_api"] == "blas" and "numpy" in pool["filepath"]
    ]
    return "numpy BLAS: " + (", ".join(pools) or "none found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--threads", type=int, help="limit NumPy's BLAS to this many threads")
    parser.add_argument("--no-torch", action="store_true", help="time convcli alone")
    arguments = parser.parse_args()
    torch = None
    if not arguments.no_torch:
        try:
            import torch
        except ImportError:
            print("note: PyTorch is not installed (pip install torch); convcli alone")
    x = test_card()
    print(f"Python {platform.python_version()}, NumPy {np.__version__}", end="")
    print(f", PyTorch {torch.__version__}" if torch is not None else "")
    print(f"{os.cpu_count()} CPUs; {blas_threads()}", end="")
    if torch is not None:
        torch.set_num_threads(1)
        print(f"; torch threads: {torch.get_num_threads()}")
    else:
        print()
    tx = torch.from_numpy(x[None]) if torch is not None else None
    print(f"{SIZE}×{SIZE} RGB test card, float32, medians of {arguments.runs} interleaved runs")
    print(
        "| layer | output | convcli ms | convcli GMAC/s | torch ms (1 thread) | torch GMAC/s "
        "| convcli / torch | max |Δ| |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for number, (name, taps, stride, padding) in enumerate(CASES):
        weight, bias = bank(taps, number)
        options = {"stride": (stride, stride), "padding": (padding, padding)}
        functions: dict[str, Callable[[], object]] = {
            "convcli": lambda w=weight, b=bias, o=options: conv2d(x, w, b, **o),
        }
        if torch is not None:
            tw, tb = torch.from_numpy(weight), torch.from_numpy(bias)

            def torch_layer(w=tw, b=tb, s=stride, p=padding) -> object:
                with torch.no_grad():
                    return torch.nn.functional.conv2d(tx, w, b, stride=s, padding=p)

            functions["torch"] = torch_layer
        medians = interleaved(functions, arguments.runs)
        ours = conv2d(x, weight, bias, **options)
        macs = ours.size * 3 * taps * taps  # C_out·H_out·W_out × C_in/groups·kH·kW
        shape = "×".join(str(n) for n in ours.shape)
        row = f"| {name} | {shape} | {medians['convcli'] * 1000:.0f} | "
        row += f"{macs / medians['convcli'] / 1e9:.1f} | "
        if torch is None:
            print(row + "– | – | – | – |")
            continue
        theirs = torch_layer()[0].numpy()
        difference = float(np.abs(ours - theirs).max())
        print(
            row + f"{medians['torch'] * 1000:.0f} | {macs / medians['torch'] / 1e9:.1f} | "
            f"{medians['convcli'] / medians['torch']:.2f} | {difference:.1e} |"
        )


if __name__ == "__main__":
    main()
