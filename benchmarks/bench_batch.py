"""A batch of 512×512 PNGs: `convcli apply` with --jobs 1 and 2 against ImageMagick and vips loops.

    python benchmarks/bench_batch.py [--images 500] [--runs 3] [--photos DIR]

Makes N different 512×512 RGB PNGs (compression level 6) in a temporary folder: by default crops
of benchmarks/bench_engine.py's synthetic stand-in photograph (3840×2160); with ``--photos DIR``,
crops of the real photographs in DIR (*.jpg, *.jpeg, *.png, *.tif, *.tiff, converted to RGB),
crop i taken from photo i mod K (K photos, sorted by name) at a position drawn from a seeded RNG,
so the same DIR always gives the same inputs. Photographs to use, e.g. the twelve 1920×1280 to
2560×1920 JPEGs of Debian's mate-backgrounds package:

    apt-get download mate-backgrounds && dpkg-deb -x mate-backgrounds_*.deb x
    python benchmarks/bench_batch.py --photos x/usr/share/backgrounds/mate/nature

Then times, each over the whole batch, wall time from the first process's start to the last
one's exit (the output folder emptied before each run, the inputs' decoding and the outputs'
encoding and writing included), the 3×3 sharpen kernel 0,-1,0,-1,5,-1,0,-1,0:

- `convcli -q apply sharpen IN -o OUT --jobs 1`, and the same with `--jobs 2` (median of --runs);
- `cd IN && for f in *.png; do convert "$f" -convolve 0,-1,0,-1,5,-1,0,-1,0 "OUT/$f"; done`, one
  ImageMagick process per image in turn (median of --runs minus one, at least one run), when a
  real ImageMagick `convert` is on PATH (a stand-in that cannot convolve is passed over);
- `cd IN && ls *.png | xargs -P2 -I{} vips conv {} OUT/{} sharpen.mat --precision integer`, one
  vips process per image, two at a time (median of --runs), when vips is installed. The matrix
  file is `3 3 1 0` (width, height, scale, offset) and the kernel's rows; integer precision
  keeps uchar samples, rounded and clipped to 0-255, as convcli writes them.

Prints which inputs were used, then images per second (N over the median seconds), each run's
speed-up against the ImageMagick loop and against the vips loop (its images/s over theirs:
above 1 is faster), and the outputs' total size. Last, it checks that the tools agree: it
filters the first input once more with each and prints the largest difference from convcli's
output. Output sizes differ by encoder settings (convcli writes PNG level 1 by default).
"""

from __future__ import annotations

import argparse
import os
import shlex
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
KERNEL = "0,-1,0,-1,5,-1,0,-1,0"
MATRIX = "3 3 1 0\n0 -1 0\n-1 5 -1\n0 -1 0\n"  # vips: width height scale offset, then rows
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
IMAGEMAGICK = "ImageMagick shell loop"
VIPS = "vips conv, xargs -P2"


def make_inputs(folder: Path, count: int) -> None:
    """N crops of the synthetic stand-in photograph."""
    picture = photo()
    rng = np.random.default_rng(42)
    folder.mkdir(parents=True)
    for index in range(count):
        top = int(rng.integers(0, picture.shape[0] - SIZE))
        left = int(rng.integers(0, picture.shape[1] - SIZE))
        crop = picture[top : top + SIZE, left : left + SIZE]
        Image.fromarray(crop).save(folder / f"img{index:04d}.png", compress_level=6)


def photo_files(directory: Path) -> list[Path]:
    """The photographs in ``directory`` (not its subfolders) large enough for a crop, by name."""
    found = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() not in PHOTO_SUFFIXES:
            continue
        with Image.open(path) as image:
            width, height = image.size
        if width < SIZE or height < SIZE:
            print(f"note: {path.name} ({width}×{height}) is smaller than {SIZE}×{SIZE}; skipped")
            continue
        found.append(path)
    if not found:
        sys.exit(f"error: no photographs of at least {SIZE}×{SIZE} in {directory}")
    return found


def make_photo_inputs(folder: Path, count: int, photos: list[Path]) -> None:
    """N crops of real photographs: crop i from photo i mod K, at a seeded random position.

    Every position is drawn first, in crop order, so each photograph is decoded only once."""
    rng = np.random.default_rng(42)
    sizes = []
    for path in photos:
        with Image.open(path) as image:
            sizes.append(image.size)
    positions: dict[int, list[tuple[int, int, int]]] = {k: [] for k in range(len(photos))}
    for index in range(count):
        which = index % len(photos)
        width, height = sizes[which]
        top = int(rng.integers(0, height - SIZE + 1))
        left = int(rng.integers(0, width - SIZE + 1))
        positions[which].append((index, top, left))
    folder.mkdir(parents=True)
    for which, crops in positions.items():
        if not crops:
            continue
        with Image.open(photos[which]) as image:
            picture = image.convert("RGB")
        for index, top, left in crops:
            crop = picture.crop((left, top, left + SIZE, top + SIZE))
            crop.save(folder / f"img{index:04d}.png", compress_level=6)


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
    parser.add_argument(
        "--photos",
        type=Path,
        metavar="DIR",
        help="cut the inputs from the photographs in DIR instead of the synthetic picture",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="convcli-batch-"))
    inputs, outputs = root / "in", root / "out"
    if args.photos is not None:
        photos = photo_files(args.photos)
        make_photo_inputs(inputs, args.images, photos)
        used = min(len(photos), args.images)
        source = f"{args.images} crops from {used} photos in {args.photos}"
    else:
        make_inputs(inputs, args.images)
        source = "synthetic (crops of bench_engine.photo(), a 3840×2160 stand-in)"
    matrix = root / "sharpen.mat"
    matrix.write_text(MATRIX)
    convcli = str(Path(sys.executable).with_name("convcli"))
    rows = {}
    for jobs in (1, 2):
        command = [convcli, "-q", "apply", "sharpen", str(inputs), "-o", str(outputs)]
        rows[f"convcli --jobs {jobs}"] = timed([*command, "--jobs", str(jobs)], outputs, args.runs)
    convert = _imagemagick()
    if convert:
        loop = (
            f"cd {shlex.quote(str(inputs))} && for f in *.png; do "
            f'{shlex.quote(convert)} "$f" -convolve {KERNEL} {shlex.quote(str(outputs))}/"$f"; done'
        )
        rows[IMAGEMAGICK] = timed(loop, outputs, max(1, args.runs - 1))
    else:
        print("note: ImageMagick is not installed (apt install imagemagick); skipped")
    vips = shutil.which("vips")
    if vips:
        loop = (
            f"cd {shlex.quote(str(inputs))} && ls *.png | xargs -P2 -I{{}} "
            f"{shlex.quote(vips)} conv {{}} {shlex.quote(str(outputs))}/{{}} "
            f"{shlex.quote(str(matrix))} --precision integer"
        )
        rows[VIPS] = timed(loop, outputs, args.runs)
    else:
        print("note: vips is not installed (apt install libvips-tools); skipped")
    print(f"\ninputs: {source}")
    print(f"{args.images} PNGs of {SIZE}×{SIZE} RGB, 3×3 sharpen, median of {args.runs} runs")
    print("(× a loop = this run's images/s ÷ that loop's images/s: above 1 is faster)\n")
    print(f"| run | images/s | × {IMAGEMAGICK} | × {VIPS} | output MB |")
    print("|---|---|---|---|---|")
    for name, (seconds, size) in rows.items():
        rate = args.images / seconds
        ratios = [
            f"{rate / (args.images / rows[reference][0]):.2f}" if reference in rows else "–"
            for reference in (IMAGEMAGICK, VIPS)
        ]
        print(f"| {name} | {rate:.1f} | {ratios[0]} | {ratios[1]} | {size:.1f} |")
    _agreement(root, inputs / "img0000.png", convcli, convert, vips, matrix)
    shutil.rmtree(root)


def _agreement(
    root: Path, first: Path, convcli: str, convert: str | None, vips: str | None, matrix: Path
) -> None:
    """Filter the first input once more with each tool; print the largest difference."""
    check = root / "check"
    check.mkdir()
    src, mat = str(first), str(matrix)
    outs = {name: check / f"{name}.png" for name in ("convcli", "ImageMagick", "vips")}
    commands = {"convcli": [convcli, "-q", "apply", "sharpen", src, "-o", str(outs["convcli"])]}
    if convert:
        commands["ImageMagick"] = [convert, src, "-convolve", KERNEL, str(outs["ImageMagick"])]
    if vips:
        vips_out = str(outs["vips"])
        commands["vips"] = [vips, "conv", src, vips_out, mat, "--precision", "integer"]
    for command in commands.values():
        subprocess.run(command, check=True, capture_output=True)
    with Image.open(outs["convcli"]) as image:
        expected = np.asarray(image).astype(np.int16)
    print(f"\nagreement with convcli on {first.name} (|difference| in 8-bit levels):")
    for name in [name for name in commands if name != "convcli"]:
        with Image.open(outs[name]) as image:
            mode, got = image.mode, np.asarray(image).astype(np.int16)
        if got.shape != expected.shape:
            print(f"- {name}: {mode} {got.shape}, not convcli's {expected.shape}")
            continue
        difference = np.abs(got - expected)
        print(
            f"- {name}: {mode}, max {difference.max()} ({np.count_nonzero(difference)} samples "
            f"differ), inside the 1-pixel border max {difference[1:-1, 1:-1].max()}"
        )


def _imagemagick() -> str | None:
    """The first ImageMagick `convert` on PATH that is not a stand-in which cannot convolve."""
    for folder in os.get_exec_path():
        candidate = Path(folder) / "convert"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            if not _is_stand_in(str(candidate)):
                return str(candidate)
    return None


def _is_stand_in(path: str | None) -> bool:
    """Some machines carry a tiny Python stand-in named convert; it cannot convolve."""
    try:
        with open(path or "", "rb") as file:
            return b"Stands in for ImageMagick" in file.read(400)
    except OSError:
        return False


if __name__ == "__main__":
    main()
