"""A batch of 512×512 PNGs: `convcli apply` with --jobs 1 and 2 against an ImageMagick shell loop.

    python benchmarks/bench_batch.py [--images 500] [--runs 3]

Makes N different 512×512 RGB PNGs (crops of benchmarks/bench_engine.py's stand-in photograph),
then times, in one run: `convcli apply sharpen IN -o OUT --jobs 1`, the same with `--jobs 2`, and
`for f in IN/*.png; do convert "$f" -convolve 0,-1,0,-1,5,-1,0,-1,0 "OUT/$f"; done` when
ImageMagick is installed. Prints images per second (median of the runs), the ratio to the
ImageMagick loop and the outputs' total size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_engine import photo
from PIL import Image

SIZE = 512


def make_inputs(folder: Path, count: int) -> None:
    picture = photo()
    rng = np.random.default_rng(42)
    folder.mkdir(parents=True)
    for index in range(count):
        top = int(rng.integers(0, picture.shape[0] - SIZE))
        left = int(rng.integers(0, picture.shape[1] - SIZE))
        crop = picture[top : top + SIZE, left : left + SIZE]
        Image.fromarray(crop).save(folder / f"img{index:04d}.png", compress_level=6)


def timed(command: list[str] | str, output: Path, runs: int) -> tuple[float, float]:
    """Median seconds over ``runs`` (output folder emptied each time), and output MB."""
    times = []
    for _ in range(runs):
        shutil.rmtree(output, ignore_errors=True)
        output.mkdir()
        start = time.perf_counter()
        subprocess.run(command, check=True, shell=isinstance(command, str), capture_output=True)
        times.append(time.perf_counter() - start)
    size = sum(f.stat().st_size for f in output.rglob("*") if f.is_file()) / 1e6
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="convcli-batch-"))
    inputs, outputs = root / "in", root / "out"
    make_inputs(inputs, args.images)
    convcli = str(Path(sys.executable).with_name("convcli"))
    rows = {}
    for jobs in (1, 2):
        command = [convcli, "-q", "apply", "sharpen", str(inputs), "-o", str(outputs)]
        rows[f"convcli --jobs {jobs}"] = timed([*command, "--jobs", str(jobs)], outputs, args.runs)
    if shutil.which("convert") and not _is_stand_in(shutil.which("convert")):
        loop = (
            f'cd "{inputs}" && for f in *.png; do '
            f'convert "$f" -convolve 0,-1,0,-1,5,-1,0,-1,0 "{outputs}/$f"; done'
        )
        rows["ImageMagick shell loop"] = timed(loop, outputs, max(1, args.runs - 1))
    else:
        print("note: ImageMagick is not installed (apt install imagemagick); skipped")
    print(f"\n{args.images} PNGs of {SIZE}×{SIZE} RGB, 3×3 sharpen, median of {args.runs} runs\n")
    print("| run | images/s | × ImageMagick loop | output MB |")
    print("|---|---|---|---|")
    reference = rows.get("ImageMagick shell loop")
    for name, (seconds, size) in rows.items():
        rate = args.images / seconds
        ratio = f"{rate / (args.images / reference[0]):.2f}" if reference else "–"
        print(f"| {name} | {rate:.1f} | {ratio} | {size:.1f} |")
    shutil.rmtree(root)


def _is_stand_in(path: str | None) -> bool:
    """Some machines carry a tiny Python stand-in named convert; it cannot convolve."""
    try:
        return "Stands in for ImageMagick" in Path(path or "").read_text(errors="ignore")[:400]
    except OSError:
        return False


if __name__ == "__main__":
    main()
