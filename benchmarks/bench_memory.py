"""Peak memory of `convcli apply` on a 10000×10000 RGB image, against the decoded image's size.

    python benchmarks/bench_memory.py [--size 10000] [--kernel gaussian-5]

Writes a SIZE×SIZE RGB PNG (smooth shapes and mild noise), then runs `convcli apply KERNEL
big.png -o out.png` in a child process and reads its peak resident memory (ru_maxrss), with
and without the work: the baseline is `convcli apply` on a 16×16 image, i.e. the interpreter
and its libraries. Prints the peak, the peak above the baseline, and both as multiples of the
decoded image (SIZE·SIZE·3 bytes). The target: peak under 3× the decoded image.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from convcli.images.pngwrite import write_png


def picture(size: int) -> np.ndarray:
    """A large, PNG-compressible picture, made a band at a time."""
    image = np.empty((size, size, 3), dtype=np.uint8)
    rng = np.random.default_rng(1)
    x = np.arange(size, dtype=np.float32)
    for top in range(0, size, 500):
        y = np.arange(top, min(top + 500, size), dtype=np.float32)[:, None]
        base = 128 + 60 * np.sin(x / 400)[None, :] * np.cos(y / 300)
        noise = rng.normal(0, 3, (len(y), size)).astype(np.float32)
        band = np.clip(base + noise, 0, 255)
        image[top : top + len(y)] = np.stack([band, band * 0.9, band * 0.8], axis=2)
    return image


def peak_of(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of a child process."""
    start = time.perf_counter()
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *command], check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--kernel", default="gaussian-5")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="convcli-memory-"))
    big, small = folder / "big.png", folder / "small.png"
    image = picture(args.size)
    big.write_bytes(write_png(image, "RGB", compress_level=1))
    small.write_bytes(write_png(image[:16, :16], "RGB"))
    decoded_mib = image.nbytes / 2**20
    del image
    convcli = str(Path(sys.executable).with_name("convcli"))
    limit = str(args.size * args.size + 1)
    base, _ = peak_of(
        [convcli, "-q", "apply", args.kernel, str(small), "-o", str(folder / "s.png")]
    )
    peak, seconds = peak_of(
        [
            convcli,
            "-q",
            "apply",
            args.kernel,
            str(big),
            "-o",
            str(folder / "out.png"),
            "--max-pixels",
            limit,
        ]
    )
    print(
        f"\n{args.size}×{args.size} RGB ({decoded_mib:.0f} MiB decoded, "
        f"PNG {big.stat().st_size / 2**20:.0f} MiB), kernel {args.kernel}, {seconds:.1f} s\n"
    )
    print("| measure | MiB | × decoded image |")
    print("|---|---|---|")
    print(f"| peak RSS | {peak:.0f} | {peak / decoded_mib:.2f} |")
    print(
        f"| peak above the interpreter ({base:.0f} MiB) | {peak - base:.0f} | "
        f"{(peak - base) / decoded_mib:.2f} |"
    )
    for path in folder.iterdir():
        path.unlink()
    os.rmdir(folder)


if __name__ == "__main__":
    main()
