"""Normalised cross-correlation: OpenCV's TM_CCOEFF_NORMED, by FFT and running sums.

The reference is written here from the definition, with loops over positions; OpenCV is a
second witness where it is installed. Scores agree to 1e-9 with the reference and to 1e-4 with
OpenCV (which computes in float32) on windows that are not flat.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcli.engine.ncc import match_scores
from convcli.errors import EngineArgumentError


def naive_scores(image, template, mask=None) -> np.ndarray:
    """The score at each top-left position, from the definition: both zero-mean per channel
    over the masked-in samples, every channel one vector, 0 where a norm is 0."""
    image = np.atleast_3d(np.asarray(image, dtype=np.float64))
    template = np.atleast_3d(np.asarray(template, dtype=np.float64))
    rows, cols = template.shape[:2]
    inside = np.ones((rows, cols), bool) if mask is None else np.asarray(mask) != 0
    pattern = template[inside] - template[inside].mean(axis=0)
    out = np.zeros((image.shape[0] - rows + 1, image.shape[1] - cols + 1))
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            window = image[y : y + rows, x : x + cols][inside]
            window = window - window.mean(axis=0)
            norm = np.sqrt((window**2).sum() * (pattern**2).sum())
            out[y, x] = 0.0 if norm == 0 else (window * pattern).sum() / norm
    return out


def photo(shape, seed=0, dtype=np.uint8) -> np.ndarray:
    """Smooth shading, an edge and noise: windows of every kind but flat."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = 100 + 60 * np.sin(rows / 5.0) * np.cos(cols / 7.0)
    base[shape[0] // 3 :, : shape[1] // 2] += 50
    values = base[..., None] + rng.normal(0, 12, (*shape[:2], shape[2] if len(shape) > 2 else 1))
    top = np.iinfo(dtype).max if np.dtype(dtype).kind == "u" else 255
    values = np.clip(values * (top / 255), 0, top).astype(dtype)
    return values if len(shape) > 2 else values[..., 0]


@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("size", [(1, 2), (5, 5), (6, 9), (12, 7)])
def test_scores_equal_the_definition(channels, dtype, size):
    shape = (30, 34) if channels == 0 else (30, 34, channels)
    image = photo(shape, seed=1, dtype=dtype)
    template = image[9 : 9 + size[0], 13 : 13 + size[1]]
    got = match_scores(image, template)
    assert got.shape == (30 - size[0] + 1, 34 - size[1] + 1)
    np.testing.assert_allclose(got, naive_scores(image, template), atol=1e-9)
    assert got[9, 13] == pytest.approx(1.0)


@pytest.mark.parametrize("channels", [1, 3])
def test_a_mask_counts_only_the_samples_it_covers(channels):
    image = photo((28, 31, channels), seed=2)
    template = image[5:16, 8:20].copy()
    mask = np.random.default_rng(3).random(template.shape[:2]) > 0.4
    template[~mask] = 0  # what lies outside the mask changes nothing
    got = match_scores(image, template, mask)
    np.testing.assert_allclose(got, naive_scores(image, template, mask), atol=1e-9)
    assert got[5, 8] == pytest.approx(1.0)


def test_wide_sums_take_the_exact_quotient_path(monkeypatch):
    """16-bit windows large enough to overflow n·Σx² are split as Σx = q·n + r, still exact."""
    from convcli.engine import ncc

    image = photo((40, 44, 3), seed=11, dtype=np.uint16)
    template = image[8:20, 10:25]
    image[25:, 25:] = 300  # a flat corner: its windows must still score exactly 0
    expected = naive_scores(image, template)
    monkeypatch.setattr(ncc, "EXACT_PRODUCT", 0)
    got = match_scores(image, template)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert (got[25:, 25:] == 0).all()


def test_boolean_images_are_matched_as_zeros_and_ones():
    image = photo((20, 20), seed=12) > 128
    np.testing.assert_allclose(
        match_scores(image, image[3:9, 4:11]), naive_scores(image, image[3:9, 4:11]), atol=1e-9
    )


def test_a_brighter_higher_contrast_copy_still_scores_one():
    image = photo((40, 40), seed=4).astype(np.float64)
    template = image[10:22, 12:30] * 0.5 + 40
    assert match_scores(image, template)[10, 12] == pytest.approx(1.0)


def test_flat_windows_score_zero_never_nan():
    image = photo((30, 30), seed=5)
    image[:15, :15] = 77  # a flat corner, larger than the template
    template = photo((30, 30), seed=6)[:6, :6]
    for dtype in (np.uint8, np.float32):
        got = match_scores(image.astype(dtype), template)
        assert np.isfinite(got).all()
        assert (got[:10, :10] == 0).all()
        assert (got[10:, 10:] != 0).all()


def test_scores_stay_within_minus_one_and_one():
    image = np.tile(photo((8, 8), seed=7), (4, 4))
    got = match_scores(image, image[:8, :8])
    assert got.max() <= 1.0 and got.min() >= -1.0
    assert (got[::8, ::8] == 1.0).all()


@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.uint8, np.uint16]),
)
@settings(max_examples=40, deadline=None)
def test_any_small_case_equals_the_definition(rows, cols, seed, dtype):
    assume(rows * cols >= 2)  # one sample, made zero-mean, is always flat
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    image = rng.integers(0, top + 1, (rows + 6, cols + 5, 2)).astype(dtype)
    image[: rows + 2, : cols + 2] = rng.integers(0, 3)  # flat and nearly flat windows too
    template = rng.integers(0, top + 1, (rows, cols, 2)).astype(dtype)
    if not np.ptp(template.reshape(-1, 2), axis=0).any():
        template[0, 0, 0] ^= 1
    np.testing.assert_allclose(
        match_scores(image, template), naive_scores(image, template), atol=1e-9
    )


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(8, 8), (23, 17)])
def test_scores_agree_with_opencv(channels, size):
    cv2 = pytest.importorskip("cv2")
    image = photo((96, 120, channels), seed=8)
    template = image[30 : 30 + size[0], 50 : 50 + size[1]].copy()
    template = np.clip(
        template.astype(int) + np.random.default_rng(9).integers(-9, 9, template.shape), 0, 255
    ).astype(np.uint8)
    ours = match_scores(image, template)
    theirs = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_masked_scores_agree_with_opencv():
    cv2 = pytest.importorskip("cv2")
    image = photo((80, 90, 3), seed=10)
    template = image[20:41, 30:51].copy()
    rows, cols = np.mgrid[0:21, 0:21]
    mask = ((rows - 10) ** 2 + (cols - 10) ** 2 <= 100).astype(np.uint8)
    ours = match_scores(image, template, mask)
    theirs = cv2.matchTemplate(
        image.astype(np.float32),
        template.astype(np.float32),
        cv2.TM_CCOEFF_NORMED,
        mask=mask.astype(np.float32),
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize(
    ("image", "template", "mask", "message"),
    [
        (np.zeros((5, 5)), np.zeros((6, 2)), None, "larger than the image"),
        (np.zeros((5, 5, 3)), np.zeros((2, 2)), None, "1 channel(s) and the image 3"),
        (photo((9, 9)), np.full((3, 3), 4), None, "template is flat"),
        (photo((9, 9)), photo((3, 3)), np.zeros((3, 3)), "mask is empty"),
        (photo((9, 9)), photo((3, 3)), np.ones((2, 3)), "must match"),
        (np.full((5, 5), np.nan), np.eye(2), None, "NaN"),
        (np.zeros((0, 5)), np.eye(2), None, "non-empty"),
    ],
)
def test_impossible_requests_are_one_line_errors(image, template, mask, message):
    with pytest.raises(EngineArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        match_scores(image, template, mask)
