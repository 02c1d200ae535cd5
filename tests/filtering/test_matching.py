"""Template matching on pictures: channels, alpha masks, scales and the hits reported."""

from __future__ import annotations

import numpy as np
import pytest

from convcli.errors import UsageError
from convcli.filtering.matching import MatchOptions, match_picture
from convcli.filtering.pipeline import LUMA
from convcli.images.picture import Picture


def scene(seed: int = 0, size: tuple[int, int] = (90, 120)) -> np.ndarray:
    """A textured background; objects are pasted into it by the tests."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : size[0], 0 : size[1]]
    base = 90 + 40 * np.sin(rows / 9.0) + 30 * np.cos(cols / 13.0)
    return np.clip(base[..., None] + rng.normal(0, 20, (*size, 3)), 0, 255).astype(np.uint8)


def stamp(seed: int = 1, size: int = 16) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3)).astype(np.uint8)


def test_the_best_hit_is_where_the_template_was_pasted():
    image, pattern = scene(), stamp()
    image[30:46, 70:86] = pattern
    found = match_picture(Picture(image, "RGB"), Picture(pattern, "RGB"))
    [hit] = found.hits
    assert (hit.x, hit.y, hit.width, hit.height) == (70, 30, 16, 16)
    assert hit.score == pytest.approx(1.0)
    assert found.scores.shape == (90 - 15, 120 - 15)


def test_several_copies_are_reported_once_each_best_first():
    image, pattern = scene(), stamp()
    places = [(5, 10), (50, 20), (60, 90)]
    for number, (y, x) in enumerate(places):
        image[y : y + 16, x : x + 16] = np.clip(pattern.astype(int) + number * 8, 0, 255)
    found = match_picture(
        Picture(image, "RGB"), Picture(pattern, "RGB"), MatchOptions(top=10, threshold=0.5)
    )
    assert sorted((hit.y, hit.x) for hit in found.hits) == sorted(places)
    scores = [hit.score for hit in found.hits]
    assert scores == sorted(scores, reverse=True)


def test_the_template_alpha_is_a_mask():
    image, pattern = scene(), stamp()
    rows, cols = np.mgrid[0:16, 0:16]
    inside = (rows - 7.5) ** 2 + (cols - 7.5) ** 2 <= 49
    image[40:56, 60:76][inside] = pattern[inside]  # only the disc is pasted
    alpha = np.where(inside, 255, 0).astype(np.uint8)[..., None]
    with_alpha = Picture(np.concatenate([pattern, alpha], axis=2), "RGBA")
    [hit] = match_picture(Picture(image, "RGB"), with_alpha).hits
    assert (hit.x, hit.y) == (60, 40) and hit.score == pytest.approx(1.0)
    [unmasked] = match_picture(Picture(image, "RGB"), Picture(pattern, "RGB")).hits
    assert unmasked.score < 0.9  # the corners outside the disc do not fit


def test_an_explicit_mask_replaces_the_alpha():
    image, pattern = scene(), stamp()
    image[20:36, 20:28] = pattern[:, :8]
    mask = np.zeros((16, 16, 1), np.uint8)
    mask[:, :8] = 1
    found = match_picture(Picture(image, "RGB"), Picture(pattern, "RGB"), mask=Picture(mask, "L"))
    assert (found.hits[0].x, found.hits[0].y) == (20, 20)


def test_gray_matches_on_luminance():
    image, pattern = scene(), stamp()
    image[10:26, 40:56] = pattern
    found = match_picture(Picture(image, "RGB"), Picture(pattern, "RGB"), MatchOptions(gray=True))
    assert (found.hits[0].x, found.hits[0].y) == (40, 10)
    luma = image.astype(float) @ np.asarray(LUMA)
    assert found.scores.shape == (luma.shape[0] - 15, luma.shape[1] - 15)
    assert "matched on luminance" in found.notes


def test_a_gray_template_in_a_colour_image_is_matched_on_luminance():
    image, pattern = scene(), stamp()
    image[10:26, 40:56] = pattern
    gray = np.rint(pattern.astype(float) @ np.asarray(LUMA)).astype(np.uint8)[..., None]
    found = match_picture(Picture(image, "RGB"), Picture(gray, "L"))
    assert (found.hits[0].x, found.hits[0].y) == (40, 10)
    assert found.hits[0].score > 0.99


def test_scales_find_a_resized_copy_and_report_its_scale():
    from PIL import Image

    image = scene(size=(120, 160))
    big = np.asarray(Image.fromarray(stamp(size=10)).resize((40, 40), Image.Resampling.BICUBIC))
    image[50:90, 70:110] = big
    small = np.asarray(Image.fromarray(big).resize((20, 20), Image.Resampling.BOX))
    options = MatchOptions(scales=(0.5, 1.0, 2.0))
    [hit] = match_picture(Picture(image, "RGB"), Picture(small, "RGB"), options).hits
    assert (hit.x, hit.y, hit.width, hit.height, hit.scale) == (70, 50, 40, 40, 2.0)
    assert hit.score > 0.9


def test_scales_that_do_not_fit_are_skipped_with_a_note():
    image, pattern = scene(), stamp()
    image[0:16, 0:16] = pattern
    found = match_picture(
        Picture(image, "RGB"), Picture(pattern, "RGB"), MatchOptions(scales=(1.0, 8.0))
    )
    assert found.hits[0].scale == 1.0
    assert any("1 scale(s) skipped" in note for note in found.notes)


def test_the_image_alpha_is_not_matched():
    image, pattern = scene(), stamp()
    image[30:46, 70:86] = pattern
    alpha = np.random.default_rng(5).integers(0, 256, (*image.shape[:2], 1)).astype(np.uint8)
    found = match_picture(
        Picture(np.concatenate([image, alpha], axis=2), "RGBA"), Picture(pattern, "RGB")
    )
    assert found.hits[0].score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("image", "template", "options", "message"),
    [
        (
            Picture(np.zeros((8, 8, 3), np.uint8), "RGB"),
            Picture(np.zeros((9, 4, 3), np.uint8), "RGB"),
            MatchOptions(),
            "larger than the image",
        ),
        (
            Picture(np.zeros((8, 8, 3), np.uint8), "RGB"),
            Picture(np.zeros((4, 4, 3), np.uint8), "RGB"),
            MatchOptions(scales=(3.0,)),
            "at every scale",
        ),
        (
            Picture(np.zeros((8, 8, 4), np.uint8), "CMYK"),
            Picture(np.zeros((4, 4, 3), np.uint8), "RGB"),
            MatchOptions(),
            "cannot be compared",
        ),
    ],
)
def test_impossible_searches_are_usage_errors(image, template, options, message):
    with pytest.raises(UsageError, match=message):
        match_picture(image, template, options)


def test_a_mask_of_another_size_is_refused():
    with pytest.raises(UsageError, match="the mask is 3×3 and the template 4×4"):
        match_picture(
            Picture(scene(), "RGB"),
            Picture(stamp(size=4), "RGB"),
            mask=Picture(np.ones((3, 3, 1), np.uint8), "L"),
        )
