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


def reduced(picture: Picture, largest: int) -> Picture:
    """``picture`` shrunk by the area filter so its longer side is at most ``largest``, samples
    rounded back to their own depth (a picture that fits is returned as it is)."""
    scale = largest / max(picture.width, picture.height)
    if scale >= 1:
        return picture
    size = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
    values = resize_area(picture.pixels, *size)
    if not picture.is_float:
        values = np.clip(np.rint(values), 0, picture.full_range)
    return picture.with_pixels(values.astype(picture.pixels.dtype))


def contact_sheet(tiles: Sequence[tuple[Picture, str]], columns: int) -> Picture:
    """Pictures side by side, ``columns`` a row, each with its label underneath (one line per
    line of the label), on white."""
    from PIL import Image, ImageDraw, ImageFont

    width = max(tile.width for tile, _ in tiles)
    height = max(tile.height for tile, _ in tiles)
    font_size = max(10, min(16, width // 12))
    font = ImageFont.load_default(size=font_size)
    lines = max(label.count("\n") + 1 for _, label in tiles)
    label_height = lines * (font_size + 4) + 2
    gap = 4
    rows = -(-len(tiles) // columns)
    sheet = Image.new(
        "RGB",
        (columns * (width + gap) + gap, rows * (height + label_height + gap) + gap),
        "white",
    )
    draw = ImageDraw.Draw(sheet)
    for number, (tile, label) in enumerate(tiles):
        left = gap + (number % columns) * (width + gap)
        top = gap + (number // columns) * (height + label_height + gap)
        sheet.paste(Image.fromarray(display_rgb(tile)), (left, top))
        for line_number, line in enumerate(label.split("\n")):
            text = line
            while text and draw.textlength(text, font=font) > width:
                text = text[:-2] + "…"
            where = (left, top + height + 2 + line_number * (font_size + 4))
            draw.text(where, text, fill=(0, 0, 0), font=font)
    return Picture(np.asarray(sheet), "RGB")
