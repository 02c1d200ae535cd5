"""Template matching on pictures: which channels count, the template's mask, scales, the best hits.

The score is the engine's normalised cross-correlation (:mod:`convcli.engine.ncc`); this module
decides what it is computed on. Alpha is never matched: the image's alpha is dropped, and the
template's alpha (or an explicit mask) says which template samples count (alpha > 0). Colour
images are matched on every colour channel at once (OpenCV's rule for 3-channel input), or on
luminance with ``gray``; a gray template against a colour image is matched on luminance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.errors import UsageError
from convcli.filtering.pipeline import LUMA
from convcli.images.picture import Picture


@dataclass(frozen=True)
class MatchOptions:
    """How to search: channels, scales of the template, and which hits to keep."""

    gray: bool = False
    #: Template sizes to try, as factors of its own size.
    scales: tuple[float, ...] = (1.0,)
    top: int | None = 1  #: hits at most (None: every one above the threshold)
    threshold: float | None = None  #: no hit below this score
    #: Hits closer than this along both axes count once (None: half the template's smaller side).
    min_distance: int | None = None
    threads: int | None = None


@dataclass(frozen=True)
class Hit:
    """One match: the top-left corner of the template in the image, its size there, its score."""

    x: int
    y: int
    width: int
    height: int
    score: float
    scale: float = 1.0


@dataclass(frozen=True)
class Matches:
    """The hits, best first, the score map of the scale of the best hit, and notes for a user."""

    hits: list[Hit]
    scores: npt.NDArray[np.float64]
    scale: float
    notes: tuple[str, ...] = ()


def match_picture(
    image: Picture,
    template: Picture,
    options: MatchOptions = MatchOptions(),
    mask: Picture | None = None,
) -> Matches:
    """Find ``template`` in ``image``: the NCC score map at each scale, then the best hits."""
    from convcli.engine.ncc import match_scores
    from convcli.images.drawing import resize_area

    notes: list[str] = []
    pixels, pattern, gray = _comparable(image, template, options.gray, notes)
    inside = _template_mask(template, mask)
    found: list[tuple[Hit, int]] = []
    maps: dict[float, npt.NDArray[np.float64]] = {}
    for scale in options.scales:
        size = _scaled_size(template, scale)
        if size[0] > image.width or size[1] > image.height:
            continue
        scaled = pattern if scale == 1.0 else resize_area(pattern, *size)
        scaled_mask = None
        if inside is not None:
            cover = inside if scale == 1.0 else resize_area(inside[..., None], *size)[..., 0]
            scaled_mask = cover >= 0.5
        scores = match_scores(pixels, scaled, scaled_mask, threads=options.threads)
        maps[scale] = scores
        found.extend(_hits_at(scores, size, scale, options))
    if not maps:
        raise UsageError(
            f"the template ({template.width}×{template.height}"
            f"{'' if options.scales == (1.0,) else ' at every scale asked for'}) is larger "
            f"than the image ({image.width}×{image.height})"
        )
    skipped = len(options.scales) - len(maps)
    if skipped:
        notes.append(f"{skipped} scale(s) skipped: the template would be larger than the image")
    hits = _merge(found, options.top)
    best = hits[0].scale if hits else next(iter(maps))
    if gray:
        notes.append("matched on luminance")
    return Matches(hits, maps[best], best, tuple(notes))


def _comparable(
    image: Picture, template: Picture, gray: bool, notes: list[str]
) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.generic], bool]:
    """The image's and the template's samples to compare, alpha dropped, on the same channels."""
    image_colour, template_colour = _colour(image), _colour(template)
    if not gray and image_colour.shape[2] != template_colour.shape[2]:
        if {image.layout.replace("A", ""), template.layout.replace("A", "")} != {"L", "RGB"}:
            raise UsageError(
                f"the image is {image.layout} and the template {template.layout}: "
                "they cannot be compared channel by channel"
            )
        gray = True
    if gray:
        return _luminance(image_colour), _luminance(template_colour), True
    return image_colour, template_colour, False


def _colour(picture: Picture) -> npt.NDArray[np.generic]:
    keep = [index for index, letter in enumerate(picture.layout) if letter != "A"]
    if not keep:
        raise UsageError("a picture of only alpha has nothing to match")
    return picture.pixels[:, :, keep]


def _luminance(pixels: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    if pixels.shape[2] == 1:
        return pixels
    if pixels.shape[2] != 3:
        raise UsageError("luminance needs gray or RGB samples")
    luma: npt.NDArray[np.float64] = pixels.astype(np.float64) @ np.asarray(LUMA)
    return luma[:, :, np.newaxis]


def _template_mask(template: Picture, mask: Picture | None) -> npt.NDArray[np.float32] | None:
    """Which template samples count (1) or not (0): the mask's first channel (its alpha when it
    has one) or the template's own alpha; None when every sample counts."""
    if mask is not None:
        if (mask.width, mask.height) != (template.width, template.height):
            raise UsageError(
                f"the mask is {mask.width}×{mask.height} and the template "
                f"{template.width}×{template.height}: they must be the same size"
            )
        channel = mask.layout.index("A") if "A" in mask.layout else 0
        return (mask.pixels[:, :, channel] > 0).astype(np.float32)
    if "A" in template.layout:
        alpha = template.pixels[:, :, template.layout.index("A")]
        if alpha.min() == alpha.max() and alpha.max() > 0:
            return None  # opaque everywhere: no mask to apply
        return (alpha > 0).astype(np.float32)
    return None


def _scaled_size(template: Picture, scale: float) -> tuple[int, int]:
    return max(1, round(template.width * scale)), max(1, round(template.height * scale))


def _hits_at(
    scores: npt.NDArray[np.float64], size: tuple[int, int], scale: float, options: MatchOptions
) -> list[tuple[Hit, int]]:
    from convcli.engine.peaks import best_peaks

    width, height = size
    distance = options.min_distance or max(1, min(width, height) // 2)
    peaks = best_peaks(scores, top=options.top, threshold=options.threshold, min_distance=distance)
    return [(Hit(p.col, p.row, width, height, p.score, scale), distance) for p in peaks]


def _merge(found: Sequence[tuple[Hit, int]], top: int | None) -> list[Hit]:
    """Hits of every scale, best first; one whose centre lies within another better hit's
    distance along both axes is the same object seen at another scale."""
    kept: list[tuple[Hit, int]] = []
    for hit, distance in sorted(found, key=lambda pair: -pair[0].score):
        centre = (hit.x + hit.width / 2, hit.y + hit.height / 2)
        if all(
            max(abs(centre[0] - (k.x + k.width / 2)), abs(centre[1] - (k.y + k.height / 2)))
            >= reach
            for k, reach in kept
        ):
            kept.append((hit, distance))
        if top is not None and len(kept) == top:
            break
    return [hit for hit, _ in kept]
