"""Regenerate the sample images: ``python sample_images/make_samples.py``.

Every image here is drawn by this script from geometry and arithmetic alone, so the samples are
exactly reproducible and free of third-party rights (see LICENSE.md in this folder).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def tiny_16x16() -> np.ndarray:
    """A 16×16 gray picture small enough to print as a matrix: a bright ring on a ramp."""
    y, x = np.mgrid[0:16, 0:16]
    r = np.hypot(y - 7.5, x - 7.5)
    ring = np.clip(1 - np.abs(r - 5) / 1.5, 0, 1)
    ramp = x / 15
    return np.rint(40 + 60 * ramp + 150 * ring).astype(np.uint8)


def test_card(width: int = 320, height: int = 240) -> Image.Image:
    """An RGB test card: gradients, hard edges, fine lines and a checkerboard."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [
            255 * x / (width - 1),
            255 * y / (height - 1),
            255 * (1 - x / (width - 1)) * (1 - y / (height - 1)),
        ],
        axis=2,
    )
    checker = ((x // 16 + y // 16) % 2)[..., None]
    rgb = np.where((x < 96)[..., None] & (y > 140)[..., None], 255 * checker, rgb)
    image = Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 40, 270, 160), fill=(250, 250, 250), outline=(20, 20, 20), width=4)
    draw.rectangle((30, 30, 110, 110), fill=(20, 20, 60))
    for i in range(8):
        draw.line((120 + i * 6, 180, 120 + i * 6, 230), fill=(0, 0, 0), width=1 + i % 2)
    draw.polygon([(220, 175), (300, 230), (200, 230)], fill=(200, 30, 40))
    return image


def gradient_16bit(size: int = 128) -> np.ndarray:
    """A 16-bit gray ramp with a disk: steps finer than 8 bits can hold."""
    y, x = np.mgrid[0:size, 0:size]
    values = 65535 * (x + y) / (2 * (size - 1))
    values = np.where(np.hypot(y - size / 2, x - size / 2) < size / 5, 65535 - values, values)
    return np.rint(values).astype(np.uint16)


def transparent_logo(size: int = 96) -> Image.Image:
    """A red disk and a blue bar on a fully transparent background: for --premultiply."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, size - 30, size - 30), fill=(230, 30, 30, 255))
    draw.rectangle((size - 40, 20, size - 16, size - 12), fill=(40, 80, 230, 200))
    return image


def main() -> None:
    tiny = tiny_16x16()
    Image.fromarray(tiny, "L").save(HERE / "tiny-16x16.png")
    np.savetxt(HERE / "tiny-16x16.txt", tiny, fmt="%3d")
    card = test_card()
    card.save(HERE / "test-card.png")
    gray16 = gradient_16bit()
    Image.frombytes("I;16", gray16.shape[::-1], gray16.astype("<u2").tobytes()).save(
        HERE / "gradient-16bit.png"
    )
    logo = transparent_logo()
    logo.save(HERE / "logo-rgba.png")
    logo.quantize(16).save(HERE / "logo-palette.png")


if __name__ == "__main__":
    main()
