"""Past one machine: a huge TIFF in tiles against in memory, and a batch on a pool vs Dask.

    python benchmarks/bench_scale.py [--size 20000] [--images 2000]

1. Writes a SIZE×SIZE single-channel uint8 TIFF tile by tile (never whole in memory), then runs
   `convcli apply gaussian-5 big.tif -o out.tif` in a child process twice: `--tiled`, and in
   memory (`--max-pixels` raised). Reports wall time and the child's peak resident memory.
2. Makes N small PNGs and filters them with the local process pool (`--jobs 2`) and through a
   2-process Dask `LocalCluster` on 127.0.0.1 (`--scheduler`), reporting images per second.

Needs the Dask extra (`pip install 'convcli[dask]'`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

CONVCLI = str(Path(sys.executable).with_name("convcli"))
DASK = str(Path(sys.executable).with_name("dask"))


def write_big_tiff(path: Path, size: int, tile: int = 512) -> None:
    """A smooth picture with mild noise, written one tile at a time."""
    rng = np.random.default_rng(3)

    def tiles():
        for top in range(0, size, tile):
            for left in range(0, size, tile):
                y = np.arange(top, top + tile, dtype=np.float32)[:, None]
                x = np.arange(left, left + tile, dtype=np.float32)[None, :]
                base = 128 + 60 * np.sin(x / 300) * np.cos(y / 200)
                noise = rng.normal(0, 3, (tile, tile))
                yield np.clip(base + noise, 0, 255).astype(np.uint8)

    with tifffile.TiffWriter(path, bigtiff=True) as writer:
        writer.write(tiles(), shape=(size, size), dtype=np.uint8, tile=(tile, tile))


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of a child process."""
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *command], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, int(done.stdout.split()[-1]) / 1024


def huge_image(folder: Path, size: int) -> None:
    source = folder / "big.tif"
    write_big_tiff(source, size)
    decoded = size * size / 2**20
    limit = str(size * size + 1)
    rows = {
        "tiled (threads, 2048² tiles, 1 band at a time)": [
            CONVCLI,
            "-q",
            "apply",
            "gaussian-5",
            str(source),
            "-o",
            str(folder / "t.tif"),
            "--tiled",
        ],
        "in memory": [
            CONVCLI,
            "-q",
            "apply",
            "gaussian-5",
            str(source),
            "-o",
            str(folder / "m.tif"),
            "--max-pixels",
            limit,
        ],
    }
    print(f"\n{size}×{size} uint8 TIFF ({decoded:.0f} MiB decoded), gaussian-5\n")
    print("| run | seconds | peak RSS MiB | × decoded image |")
    print("|---|---|---|---|")
    for name, command in rows.items():
        seconds, peak = measured(command)
        print(f"| {name} | {seconds:.1f} | {peak:.0f} | {peak / decoded:.2f} |")
    same = np.array_equal(tifffile.imread(folder / "t.tif"), tifffile.imread(folder / "m.tif"))
    print(f"\ntiled output identical to in-memory output: {same}")


def many_images(folder: Path, count: int) -> None:
    source = folder / "small"
    source.mkdir()
    rng = np.random.default_rng(4)
    for index in range(count):
        pixels = rng.integers(0, 256, size=(128, 128, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(source / f"i{index:05d}.png", compress_level=1)
    scheduler_file = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
        ],
        **quiet,
    )
    worker = None
    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        time.sleep(0.5)
        worker = subprocess.Popen(
            [
                DASK,
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                "127.0.0.1:0",
            ],
            **quiet,
        )
        time.sleep(3)
        address = json.loads(scheduler_file.read_text())["address"]
        runs = {
            "local process pool, --jobs 2": ["--jobs", "2"],
            "Dask, 2 worker processes on 127.0.0.1": ["--scheduler", address],
        }
        print(f"\n{count} PNGs of 128×128 RGB, box-3\n")
        print("| run | seconds | images/s |")
        print("|---|---|---|")
        for name, extra in runs.items():
            out = folder / "out"
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            subprocess.run(
                [CONVCLI, "-q", "apply", "box-3", str(source), "-o", str(out), *extra],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - start
            print(f"| {name} | {seconds:.1f} | {count / seconds:.0f} |")
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--images", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="convcli-scale-"))
    try:
        huge_image(folder, args.size)
        many_images(folder, args.images)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
