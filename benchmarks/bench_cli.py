"""`convcli apply` end to end on a 4K picture, against `vips conv` and ImageMagick's `convert`.

    python benchmarks/bench_cli.py [--runs 3] [--formats png,jpg,tif] [--photo FILE]

For each format, every tool reads the same 3840×2160 RGB file, applies the same 3×3 sharpening
kernel and writes the same format; the runs are taken in turn (convcli, vips, ImageMagick,
convcli ...) and each table gives median wall times (process start to exit), the ratio to
convcli, and the output sizes. Tools that are not installed are skipped with a note (`apt install
libvips-tools imagemagick`). The picture is benchmarks/bench_engine.py's synthetic stand-in
photograph, or with ``--photo FILE`` one cut from a real photograph (converted to RGB): its
centre 3840×2160 when it is at least that large, else first resized up with LANCZOS (keeping its
aspect, just enough to cover 3840×2160), which the header then says. For example Debian's
mate-backgrounds package has a 5640×3172 one:

    apt-get download mate-backgrounds && dpkg-deb -x mate-backgrounds_*.deb x
    python benchmarks/bench_cli.py \\
        --photo x/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg
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
from typing import Any

from bench_engine import HEIGHT, WIDTH, photo
from PIL import Image

SHARPEN = "0 -1 0; -1 5 -1; 0 -1 0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="png,jpg,tif", help="comma-separated extensions")
    parser.add_argument(
        "--photo",
        type=Path,
        metavar="FILE",
        help="cut the 3840×2160 picture from this photograph instead of the synthetic one",
    )
    args = parser.parse_args()
    if args.photo is not None:
        picture, origin = from_photograph(args.photo)
    else:
        picture, origin = Image.fromarray(photo()), ""
    folder = Path(tempfile.mkdtemp(prefix="convcli-bench-"))
    (folder / "sharpen.mat").write_text("3 3 1 0\n0 -1 0\n-1 5 -1\n0 -1 0\n")
    tools = _tools(folder)
    for extension in args.formats.split(","):
        source = folder / f"photo.{extension}"
        picture.save(source, **SAVE_OPTIONS.get(extension, {}))
        print(
            f"\n{WIDTH}×{HEIGHT} RGB {extension.upper()} ({source.stat().st_size / 1e6:.1f} MB)"
            f"{origin}, 3×3 sharpen, median of {args.runs} runs taken in turn"
            f"{f', JPEG quality {JPEG_QUALITY} from every tool' if extension == 'jpg' else ''}\n"
        )
        print("| tool | seconds | convcli / tool | output MB |")
        print("|---|---|---|---|")
        commands = {
            name: _at_quality(
                name,
                [_fill(part, source, _out(folder, name, extension)) for part in template],
                extension,
            )
            for name, template in tools.items()
        }
        times = interleaved_seconds(commands, args.runs)
        ours = times["convcli apply"]
        for name, seconds in times.items():
            size = _out(folder, name, extension).stat().st_size / 1e6
            print(f"| {name} | {seconds:.3f} | {ours / seconds:.2f} | {size:.1f} |")
    shutil.rmtree(folder)


def from_photograph(path: Path) -> tuple[Image.Image, str]:
    """The centre 3840×2160 of a photograph in RGB (resized up first if it is smaller), and
    words for the header saying where it came from."""
    with Image.open(path) as image:
        picture = image.convert("RGB")
    width, height = picture.size
    scale = max(WIDTH / width, HEIGHT / height)
    words = f", centre crop of {path.name} ({width}×{height})"
    if scale > 1:
        size = (max(WIDTH, round(width * scale)), max(HEIGHT, round(height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
        words = (
            f", {path.name} ({width}×{height}) resized up ×{scale:.3f} with LANCZOS to "
            f"{size[0]}×{size[1]}, then centre-cropped"
        )
    left, top = (picture.width - WIDTH) // 2, (picture.height - HEIGHT) // 2
    return picture.crop((left, top, left + WIDTH, top + HEIGHT)), words


SAVE_OPTIONS: dict[str, dict[str, Any]] = {"png": {"compress_level": 6}, "jpg": {"quality": 95}}


def _tools(folder: Path) -> dict[str, list[str]]:
    convcli = str(Path(sys.executable).with_name("convcli"))
    tools = {"convcli apply": [convcli, "-q", "apply", SHARPEN, "{in}", "-o", "{out}"]}
    if shutil.which("vips"):
        mat = str(folder / "sharpen.mat")
        tools["vips conv"] = ["vips", "conv", "{in}", "{out}", mat, "--precision", "integer"]
    else:
        print("note: vips is not installed (apt install libvips-tools); skipped")
    if shutil.which("convert"):
        tools["ImageMagick convert -convolve"] = [
            "convert", "{in}", "-convolve", "0,-1,0,-1,5,-1,0,-1,0", "{out}"
        ]  # fmt: skip
    else:
        print("note: ImageMagick is not installed (apt install imagemagick); skipped")
    return tools


#: JPEG out at convcli's default quality from every tool (vips writes 75 and ImageMagick the
#: input's estimate otherwise), so that times and sizes compare like for like.
JPEG_QUALITY = 95


def _at_quality(name: str, command: list[str], extension: str) -> list[str]:
    if extension != "jpg":
        return command
    if name == "vips conv":
        command[3] += f"[Q={JPEG_QUALITY}]"
    elif name.startswith("ImageMagick"):
        command[-1:-1] = ["-quality", str(JPEG_QUALITY)]
    return command


def _fill(part: str, source: Path, out: Path) -> str:
    return part.replace("{in}", str(source)).replace("{out}", str(out))


def _out(folder: Path, tool: str, extension: str) -> Path:
    return folder / f"{tool.split()[0]}.{extension}"


def interleaved_seconds(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Each command's median wall time, the runs taken in turn after one warm-up each."""
    for command in commands.values():
        subprocess.run(command, check=True, capture_output=True)  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


if __name__ == "__main__":
    main()
