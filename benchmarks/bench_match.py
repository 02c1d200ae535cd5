"""Template matching: convcli's NCC against OpenCV matchTemplate and ImageMagick compare.

Times `convcli.filtering.matching.match_picture` (score map and best hit: what `convcli match`
computes) against `cv2.matchTemplate(TM_CCOEFF_NORMED)` + `cv2.minMaxLoc` on a 3840×2160 RGB
photo for 32×32, 128×128 and 512×512 templates, medians of interleaved runs, and reports the
largest score difference. ImageMagick's `compare -subimage-search` takes minutes even on a
small image, so it runs once, on a 160×120 crop with a 32×32 template, against convcli on the
same files.

    python benchmarks/bench_match.py [--runs 5] [--no-imagemagick]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_engine import photo
from PIL import Image

from convcli.filtering.matching import MatchOptions, match_picture
from convcli.images.picture import Picture

SIZES = (32, 128, 512)


def template_from(image: np.ndarray, size: int) -> np.ndarray:
    """A crop of the photo with a little noise of its own, as a template taken elsewhere."""
    top, left = image.shape[0] // 3, image.shape[1] // 2
    crop = image[top : top + size, left : left + size].astype(np.int16)
    noise = np.random.default_rng(size).integers(-3, 4, crop.shape)
    return np.clip(crop + noise, 0, 255).astype(np.uint8)


def convcli_match(image: np.ndarray, template: np.ndarray) -> tuple[int, int, np.ndarray]:
    found = match_picture(Picture(image, "RGB"), Picture(template, "RGB"), MatchOptions())
    return found.hits[0].x, found.hits[0].y, found.scores


def interleaved(functions: dict[str, object], runs: int) -> dict[str, float]:
    """Median seconds of each function, run in turn so load changes hit all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            start = time.perf_counter()
            function()  # type: ignore[operator]
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def engine_table(runs: int) -> None:
    try:
        import cv2
    except ImportError:
        print("note: OpenCV is not installed (pip install opencv-python-headless); skipped")
        cv2 = None
    image = photo()
    print(f"3840×2160 RGB, medians of {runs} interleaved runs")
    print("| template | convcli ms | cv2.matchTemplate ms | convcli / cv2 | max |Δscore| |")
    print("|---|---|---|---|---|")
    for size in SIZES:
        template = template_from(image, size)
        functions: dict[str, object] = {"convcli": lambda t=template: convcli_match(image, t)}
        if cv2 is not None:

            def opencv(t: np.ndarray = template) -> object:
                scores = cv2.matchTemplate(image, t, cv2.TM_CCOEFF_NORMED)
                return scores, cv2.minMaxLoc(scores)

            functions["cv2"] = opencv
        medians = interleaved(functions, runs)
        ours = convcli_match(image, template)
        if cv2 is None:
            print(f"| {size}×{size} | {medians['convcli'] * 1000:.0f} | – | – | – |")
            continue
        theirs = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)
        same = ours[:2] == cv2.minMaxLoc(theirs)[3]
        print(
            f"| {size}×{size} | {medians['convcli'] * 1000:.0f} | {medians['cv2'] * 1000:.0f} | "
            f"{medians['convcli'] / medians['cv2']:.2f} | "
            f"{float(np.abs(ours[2] - theirs).max()):.1e}{'' if same else ' (other best hit)'} |"
        )


def imagemagick_row() -> None:
    if shutil.which("compare") is None:
        print("note: ImageMagick's compare is not installed; skipped")
        return
    image = photo()[:120, :160]
    template = template_from(photo(), 32)
    with tempfile.TemporaryDirectory() as folder:
        image_path, template_path = Path(folder, "image.png"), Path(folder, "template.png")
        Image.fromarray(image).save(image_path)
        Image.fromarray(template).save(template_path)
        start = time.perf_counter()
        subprocess.run(
            ["compare", "-metric", "NCC", "-subimage-search", image_path, template_path, "null:"],
            capture_output=True,
            check=False,
        )
        theirs = time.perf_counter() - start
    ours = interleaved({"convcli": lambda: convcli_match(image, template)}, 5)["convcli"]
    print()
    print("160×120 RGB, 32×32 template, ImageMagick timed once")
    print("| convcli ms | compare -subimage-search s | compare / convcli |")
    print("|---|---|---|")
    print(f"| {ours * 1000:.1f} | {theirs:.1f} | {theirs / ours:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--no-imagemagick", action="store_true", help="skip the slow peer")
    arguments = parser.parse_args()
    print(f"Python {platform.python_version()}, NumPy {np.__version__}")
    engine_table(arguments.runs)
    if not arguments.no_imagemagick:
        imagemagick_row()


if __name__ == "__main__":
    main()
