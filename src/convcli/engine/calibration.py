"""The planner fitted to the running machine: each strategy timed once on a small picture and
compared with what the cost model predicted for it.

The model's constants were measured on one machine; on another, FFT or plain ufunc passes can
be twice as fast or slow relative to each other (on a 2-core AMD EPYC the model put a random
7×7 on FFT at 949 ms when direct took 567 ms). Measuring takes about 0.2 s; where to keep the
result between runs is for the caller (:mod:`convcli.runs.calibration`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from convcli.engine.api import EngineOptions, correlate, plan_for
from convcli.engine.tuning import CALIBRATION, Calibration

#: A factor outside these bounds is a disturbed measurement, not a machine.
LIMITS = (0.25, 4.0)
RUNS = 5


def measure() -> Calibration:
    """Time direct and FFT on a random 7×7 and separable on a 9×9 Gaussian over a 1024×384 RGB
    float32 picture, one thread, fastest of a few runs; each over the model's estimate."""
    rng = np.random.default_rng(0)
    image = rng.random((384, 1024, 3), dtype=np.float32)
    dense = rng.normal(size=(7, 7))
    taps = np.exp(-((np.arange(9) - 4.0) ** 2) / 4.5)
    smooth = np.outer(taps, taps) / np.outer(taps, taps).sum()
    cases = (("direct", dense), ("separable", smooth), ("fft", dense))
    with CALIBRATION.fixed(Calibration()):  # estimates by the model itself
        for method, kernel in cases:  # first runs pay for buffers, FFT plans and page faults
            correlate(image, kernel, method=method, threads=1)
        factors = {method: _factor(image, kernel, method) for method, kernel in cases}
    return Calibration(**factors)


def _factor(image: np.ndarray, kernel: np.ndarray, method: str) -> float:
    options = EngineOptions(method=method, threads=1)
    estimate_ms = plan_for(image, kernel, options).costs[method]
    seconds = _fastest(lambda: correlate(image, kernel, method=method, threads=1))
    low, high = LIMITS
    return float(min(max(seconds * 1000 / estimate_ms, low), high))


def _fastest(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best
