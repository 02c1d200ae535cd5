"""The GIF writer: frames written one at a time decode, in any reader, to the intended pictures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from convcli.images.gif import gif_frame, gif_header, gif_trailer

TRANSPARENT = 255


def _palette() -> bytes:
    rng = np.random.default_rng(7)
    return bytes(rng.integers(0, 256, 768, dtype=np.uint8))


def _patch(indices: np.ndarray, palette: bytes) -> Image.Image:
    image = Image.fromarray(indices.astype(np.uint8), "P")
    image.putpalette(palette)
    return image


def test_patches_with_transparent_pixels_build_up_the_frames_they_describe():
    palette = _palette()
    colours = np.frombuffer(palette, dtype=np.uint8).reshape(256, 3)
    rng = np.random.default_rng(1)
    width, height = 37, 23
    screen = rng.integers(0, 200, (height, width))
    parts = [gif_header(width, height, palette), gif_frame(_patch(screen, palette), (0, 0), 100)]
    expected = [screen.copy()]
    for _ in range(6):
        left, top = int(rng.integers(0, width - 5)), int(rng.integers(0, height - 4))
        w, h = int(rng.integers(1, width - left)), int(rng.integers(1, height - top))
        patch = rng.integers(0, 200, (h, w))
        patch[rng.random((h, w)) < 0.5] = TRANSPARENT
        parts.append(gif_frame(_patch(patch, palette), (left, top), 50, TRANSPARENT))
        region = screen[top : top + h, left : left + w]
        region[patch != TRANSPARENT] = patch[patch != TRANSPARENT]
        expected.append(screen.copy())
    parts.append(gif_trailer())

    gif = Image.open(io.BytesIO(b"".join(parts)))
    assert gif.n_frames == len(expected)
    assert gif.info["loop"] == 0
    for number, indices in enumerate(expected):
        gif.seek(number)
        assert np.array_equal(np.asarray(gif.convert("RGB")), colours[indices]), number


def test_durations_are_kept_in_hundredths_of_a_second():
    palette = _palette()
    one = _patch(np.zeros((4, 4)), palette)
    data = b"".join(
        [
            gif_header(4, 4, palette),
            gif_frame(one, (0, 0), 1230),
            gif_frame(_patch(np.ones((1, 1)), palette), (2, 2), 40),
            gif_trailer(),
        ]
    )
    gif = Image.open(io.BytesIO(data))
    assert gif.info["duration"] == 1230
    gif.seek(1)
    assert gif.info["duration"] == 40
