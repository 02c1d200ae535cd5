"""A decoded image as convcli works on it: an (H, W, C) array plus what must survive a round trip.

Pure data, no Pillow: the image layer builds Pictures, the filter layer transforms them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

#: Channel letters of each layout; "A" is alpha wherever it appears.
LAYOUTS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True)
class Picture:
    """Pixels as (H, W, C): uint8 (8-bit), uint16 (16-bit) or float32 (float) samples."""

    pixels: npt.NDArray[Any]
    #: One letter per channel: "L", "LA", "RGB", "RGBA" or "CMYK".
    layout: str
    #: The Pillow mode or file kind the picture was read from ("P", "I;16", "npy" ...).
    source_mode: str = ""
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    #: Things the reader had to do that a user should hear about (one line each).
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3 or self.pixels.shape[2] != len(self.layout):
            raise ValueError(f"pixels of shape {self.pixels.shape} do not fit layout {self.layout}")

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def is_float(self) -> bool:
        return self.pixels.dtype.kind == "f"

    @property
    def bit_depth(self) -> int:
        """Bits per sample: 8, 16, or 32 for float."""
        return int(self.pixels.dtype.itemsize * 8)

    @property
    def depth_name(self) -> str:
        return "float" if self.is_float else f"{self.bit_depth}-bit"

    @property
    def full_range(self) -> float:
        """The value of full intensity: 255, 65535, or 1.0 for float samples."""
        return 1.0 if self.is_float else float(np.iinfo(self.pixels.dtype).max)

    def with_pixels(self, pixels: npt.NDArray[Any], layout: str | None = None) -> Picture:
        """A copy with new pixels (and layout), keeping the metadata."""
        return replace(self, pixels=pixels, layout=layout or self.layout, notes=())
