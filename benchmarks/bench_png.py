"""PNG encoding speed and size: Pillow against convcli's pngwrite, on a 4K and a 512×512 picture.

Why: PNG encoding dominates convcli's batch throughput, and the choice of default level and
filter should rest on numbers from this machine. Run from the repository root::

    .venv/bin/python benchmarks/bench_png.py [--runs 5]

The pictures are synthetic but photo-like (smooth gradients, flat and shaded shapes, mild sensor
noise), made from a fixed seed, so every run encodes the same pixels. Every configuration is
timed ``--runs`` times, the runs interleaved so that a burst of load elsewhere on the machine
hits all of them alike, and the median is reported; CPU time (all threads) is reported beside
wall time, since on a shared machine the wall time of a parallel run depends on the neighbours.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from convcli.images.pngwrite import write_png

Pixels = npt.NDArray[np.uint8]


def make_picture(height: int, width: int, seed: int = 2024) -> Pixels:
    """A photo-like RGB picture: smooth colour gradients, translucent discs, shaded rectangles,
    then Gaussian noise of sigma 2 (a clean camera at low ISO), rounded to uint8."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y /= height
    x /= width
    image = np.empty((height, width, 3), np.float32)
    image[..., 0] = 40 + 170 * x + 30 * np.sin(6 * y)
    image[..., 1] = 60 + 120 * y + 40 * np.cos(5 * x + 3 * y)
    image[..., 2] = 200 - 150 * x * y
    scale = min(height, width)
    for _ in range(40):  # translucent discs
        cy, cx = rng.random() * height, rng.random() * width
        radius = (0.02 + 0.12 * rng.random()) * scale
        colour = rng.integers(0, 256, 3).astype(np.float32)
        top, bottom = max(0, int(cy - radius)), min(height, int(cy + radius) + 1)
        left, right = max(0, int(cx - radius)), min(width, int(cx + radius) + 1)
        yy, xx = np.ogrid[top:bottom, left:right]
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
        patch = image[top:bottom, left:right]
        patch[inside] = 0.6 * colour + 0.4 * patch[inside]
    for _ in range(30):  # rectangles with a soft horizontal shading
        top, left = int(rng.random() * height), int(rng.random() * width)
        bottom = min(height, top + int((0.02 + 0.2 * rng.random()) * height))
        right = min(width, left + int((0.02 + 0.2 * rng.random()) * width))
        colour = rng.integers(0, 256, 3).astype(np.float32)
        shade = 20 * np.sin(40 * x[top:bottom, left:right])[..., None]
        image[top:bottom, left:right] = colour + shade
    image += rng.normal(0.0, 2.0, image.shape).astype(np.float32)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def pillow_png(pixels: Pixels, level: int) -> bytes:
    stream = io.BytesIO()
    Image.fromarray(pixels).save(stream, "PNG", compress_level=level)
    return stream.getvalue()


@dataclass
class Case:
    name: str
    encode: Callable[[Pixels], bytes]
    wall: list[float]
    cpu: list[float]
    size: int = 0


def cases() -> list[Case]:
    """Pillow at 1, 3, 6; write_png at 1, 2, 3, 6 (adaptive) on 1 and 2 threads; and at level 1
    the fixed filters, to show what the adaptive choice buys."""

    def pillow(level: int) -> Callable[[Pixels], bytes]:
        return lambda pixels: pillow_png(pixels, level)

    def ours(level: int, threads: int, strategy: str = "adaptive") -> Callable[[Pixels], bytes]:
        return lambda pixels: write_png(
            pixels, "RGB", compress_level=level, threads=threads, filter_strategy=strategy
        )

    found = [Case(f"Pillow level {level}", pillow(level), [], []) for level in (1, 3, 6)]
    for level in (1, 2, 3, 6):
        for threads in (1, 2):
            name = f"write_png level {level}, adaptive, {threads} thread{'s' * (threads > 1)}"
            found.append(Case(name, ours(level, threads), [], []))
    for strategy in ("none", "sub", "up", "paeth"):
        found.append(
            Case(f"write_png level 1, {strategy}, 2 threads", ours(1, 2, strategy), [], [])
        )
    return found


def measure(pictures: list[Pixels], runs: int) -> list[Case]:
    """Median wall and CPU seconds per picture over ``runs`` interleaved rounds."""
    found = cases()
    for _ in range(runs):
        for case in found:
            wall, cpu = time.perf_counter(), time.process_time()
            for pixels in pictures:
                data = case.encode(pixels)
            case.wall.append((time.perf_counter() - wall) / len(pictures))
            case.cpu.append((time.process_time() - cpu) / len(pictures))
            case.size = len(data)
    check = np.asarray(Image.open(io.BytesIO(write_png(pictures[-1], "RGB", threads=2))))
    assert np.array_equal(check, pictures[-1]), "write_png did not round-trip"
    return found


def batch_throughput(pictures: list[Pixels], runs: int) -> list[tuple[str, float]]:
    """Pictures per second when a batch is spread over 2 threads, one encode per thread."""
    rows = []
    for name, encode in [
        ("Pillow level 1", lambda p: pillow_png(p, 1)),
        ("Pillow level 6", lambda p: pillow_png(p, 6)),
        ("write_png level 1, adaptive", lambda p: write_png(p, "RGB", compress_level=1, threads=1)),
        ("write_png level 2, adaptive", lambda p: write_png(p, "RGB", compress_level=2, threads=1)),
        ("write_png level 6, adaptive", lambda p: write_png(p, "RGB", compress_level=6, threads=1)),
    ]:
        rates = []
        for _ in range(runs):
            started = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(encode, pictures))
            rates.append(len(pictures) / (time.perf_counter() - started))
        rows.append((name, statistics.median(rates)))
    return rows


def table(title: str, found: list[Case]) -> str:
    reference = next(case for case in found if case.name == "Pillow level 6")
    ref_wall, ref_size = statistics.median(reference.wall), reference.size
    lines = [
        f"### {title}",
        "",
        "| encoder | wall (median) | CPU | size | time vs Pillow 6 | size vs Pillow 6 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in found:
        wall, cpu = statistics.median(case.wall), statistics.median(case.cpu)
        lines.append(
            f"| {case.name} | {_seconds(wall)} | {_seconds(cpu)} | {_size(case.size)} "
            f"| {wall / ref_wall:.2f}× | {case.size / ref_size:.2f}× |"
        )
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"


def _size(value: int) -> str:
    return f"{value / 1e6:.2f} MB" if value >= 1e6 else f"{value / 1e3:.0f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds per case (median)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} usable cores; load average {os.getloadavg()[0]:.2f} at the start\n")
    large = make_picture(2160, 3840)
    print(table(f"3840×2160 RGB ({large.nbytes / 1e6:.1f} MB raw)", measure([large], args.runs)))
    small = [make_picture(512, 512, seed=seed) for seed in range(8)]
    print()
    print(table("512×512 RGB (per picture, 8 different pictures)", measure(small, args.runs)))
    print()
    print("### Batch of 32 pictures of 512×512 on 2 threads, one encode per thread (threads=1)")
    print()
    print("| encoder | pictures per second |\n| --- | ---: |")
    for name, rate in batch_throughput(small * 4, args.runs):
        print(f"| {name} | {rate:.1f} |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
