"""`convcli apply` end to end on a 4K PNG, against `vips conv` and ImageMagick's `convert`.

    python benchmarks/bench_cli.py [--runs 3]

Every tool reads the same 3840×2160 RGB PNG, applies the same 3×3 sharpening kernel and writes
a PNG; the table gives median wall times (process start to exit), the ratio to convcli, and the
output sizes. Tools that are not installed are skipped with a note (`apt install
libvips-tools imagemagick`). The picture is benchmarks/bench_engine.py's stand-in photograph.
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

from bench_engine import photo
from PIL import Image

SHARPEN = "0 -1 0; -1 5 -1; 0 -1 0"


def wall_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="convcli-bench-"))
    source = folder / "photo.png"
    Image.fromarray(photo()).save(source, compress_level=6)
    (folder / "sharpen.mat").write_text("3 3 1 0\n0 -1 0\n-1 5 -1\n0 -1 0\n")
    convcli = str(Path(sys.executable).with_name("convcli"))
    commands = {
        "convcli apply": [convcli, "-q", "apply", SHARPEN, str(source), "-o", "{out}"],
    }
    if shutil.which("vips"):
        commands["vips conv"] = [
            "vips",
            "conv",
            str(source),
            "{out}",
            str(folder / "sharpen.mat"),
            "--precision",
            "integer",
        ]
    else:
        print("note: vips is not installed (apt install libvips-tools); skipped")
    if shutil.which("convert"):
        commands["ImageMagick convert -convolve"] = [
            "convert",
            str(source),
            "-convolve",
            "0,-1,0,-1,5,-1,0,-1,0",
            "{out}",
        ]
    else:
        print("note: ImageMagick is not installed (apt install imagemagick); skipped")
    print(
        f"\n3840×2160 RGB PNG ({source.stat().st_size / 1e6:.1f} MB), 3×3 sharpen, "
        f"median of {args.runs} runs\n"
    )
    print("| tool | seconds | convcli / tool | output MB |")
    print("|---|---|---|---|")
    results = {}
    for name, template in commands.items():
        out = folder / f"{name.split()[0]}.png"
        command = [part.replace("{out}", str(out)) for part in template]
        results[name] = (wall_seconds(command, args.runs), out.stat().st_size / 1e6)
    ours = results["convcli apply"][0]
    for name, (seconds, size) in results.items():
        print(f"| {name} | {seconds:.3f} | {ours / seconds:.2f} | {size:.1f} |")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
