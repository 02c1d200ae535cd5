"""Pictures made for looking at: resized templates, score maps as images, boxes drawn on a photo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.images.imageio import display_rgb
from convcli.images.picture import Picture

#: The box colour of an annotation, and the colour of the label behind its text.
BOX_COLOUR = (255, 48, 48)
LABEL_TEXT = (255, 255, 255)


@dataclass(frozen=True)
class Box:
    """A rectangle to draw (top-left x, y, width, height) and the label written on it."""

    x: int
    y: int
    width: int
    height: int
    label: str


def resize_area(
    pixels: npt.NDArray[np.generic], width: int, height: int
) -> npt.NDArray[np.float32]:
    """``pixels`` (h, w, C) resized to width × height by Pillow's area (box) filter, as float32:
    every output sample the mean of the input area it covers, nothing rounded."""
    from PIL import Image

    planes = [
        np.asarray(
            Image.fromarray(
                np.ascontiguousarray(pixels[:, :, c], dtype=np.float32), mode="F"
            ).resize((width, height), Image.Resampling.BOX)
        )
        for c in range(pixels.shape[2])
    ]
    return np.stack(planes, axis=2)


def score_picture(scores: npt.NDArray[np.floating]) -> Picture:
    """A score map in -1..1 as an 8-bit gray picture: -1 black, 0 mid-gray (128), 1 white,
    ``rint((score + 1) / 2 × 255)``."""
    gray = np.rint((np.clip(scores, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return Picture(gray[:, :, np.newaxis], "L")


def annotate(picture: Picture, boxes: Sequence[Box]) -> Picture:
    """``picture`` as 8-bit RGB with each box outlined and its label written at its top-left."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(display_rgb(picture))
    draw = ImageDraw.Draw(image)
    line = max(1, round(min(picture.width, picture.height) / 400))
    font = ImageFont.load_default(size=max(10, round(min(picture.width, picture.height) / 50)))
    for box in boxes:
        right, bottom = box.x + box.width - 1, box.y + box.height - 1
        draw.rectangle((box.x, box.y, right, bottom), outline=BOX_COLOUR, width=line)
        left, top, text_right, text_bottom = draw.textbbox((box.x, box.y), box.label, font=font)
        above = max(0, box.y - (text_bottom - top) - 2 * line)
        draw.rectangle(
            (left, above, text_right + 2, above + text_bottom - top + 2), fill=BOX_COLOUR
        )
        draw.text((box.x + 1, above + 1 - (top - box.y)), box.label, fill=LABEL_TEXT, font=font)
    return Picture(np.asarray(image), "RGB")
