"""Stacks of feature maps, (C, H, W) float arrays as network libraries hold them: read from
``.npy`` (PyTorch's layout: channels first) and written as ``.npy`` or a TIFF of one float page
per map."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.errors import ImageReadError
from convcli.images.limits import DEFAULT_MAX_PIXELS

#: The last axis of an (H, W, C) image array holds at most this many channels; a longer last
#: axis means a channels-first stack.
MAX_IMAGE_CHANNELS = 4


def load_array(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> npt.NDArray[Any]:
    """The array of a ``.npy`` file, numbers only, at most ``max_pixels`` values a plane."""
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ImageReadError(f"{name}: not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise ImageReadError(f"{name}: a .npy of numbers is expected")
    if array.ndim >= 2 and array.shape[-1] * array.shape[-2] > max_pixels:
        raise ImageReadError(f"{name}: planes of more than {max_pixels:,} values, the pixel limit")
    return array


def is_stack(array: npt.NDArray[Any]) -> bool:
    """A (C, H, W) stack rather than an (H, W, C) image: 3-D with more than four values along
    the last axis."""
    return array.ndim == 3 and array.shape[2] > MAX_IMAGE_CHANNELS


def as_stack(array: npt.NDArray[Any], name: str) -> npt.NDArray[np.float32]:
    """``array`` as a (C, H, W) float32 stack: (H, W) is one map, (C, H, W) as it is."""
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim != 3 or 0 in array.shape:
        raise ImageReadError(f"{name}: a stack is (C, H, W) or (H, W), not {array.shape}")
    stack = array.astype(np.float32)
    if not np.all(np.isfinite(stack)):
        raise ImageReadError(f"{name}: the array holds NaN or infinite values")
    return stack


def encode_stack(maps: npt.NDArray[np.float32], fmt: str) -> bytes:
    """``.npy`` (C, H, W) float32, or (``TIFF``) one 32-bit float page per map."""
    buffer = io.BytesIO()
    if fmt == "NPY":
        np.save(buffer, np.ascontiguousarray(maps, dtype=np.float32))
        return buffer.getvalue()
    from PIL import Image

    pages = [Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), "F") for plane in maps]
    pages[0].save(
        buffer, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_adobe_deflate"
    )
    return buffer.getvalue()
