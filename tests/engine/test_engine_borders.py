"""Border modes pinned on tiny arrays whose answers can be checked by hand, and their aliases."""

from __future__ import annotations

import numpy as np
import pytest
from naive import assert_close, naive_correlate

from convcli import convolve, correlate
from convcli.engine import BORDER_ALIASES, BORDERS, canonical_border
from convcli.errors import EngineArgumentError

# --- two taps on three samples (scipy's test_extend01) -----------------------------------------
#
# With weights [1, 0] the anchor is the second tap, so out[i] = x[i - 1]: the output is the
# sample just left of each position, and out[0] is the border's value left of the image.


@pytest.mark.parametrize(
    ("border", "expected"),
    [
        ("nearest", [1, 1, 2]),  # 1 1 | 1 2 3
        ("wrap", [3, 1, 2]),  # 2 3 | 1 2 3
        ("reflect", [1, 1, 2]),  # 2 1 | 1 2 3
        ("mirror", [2, 1, 2]),  # 3 2 | 1 2 3
        ("constant", [0, 1, 2]),  # 0 0 | 1 2 3
    ],
)
def test_two_taps_read_the_sample_left_of_each_position(border, expected):
    """correlate([1, 2, 3], [1, 0]) is the signal moved right by one, with the border at out[0]."""
    assert_close(correlate(np.array([1, 2, 3]), [1, 0], border=border), expected)


# --- a 5-tap box on a ramp -------------------------------------------------------------------
#
# The mean of five samples centred on each position of [0, 85, 170, 255]; two samples of border
# on each side (L2 L1 | 0 85 170 255 | R1 R2):
#   reflect   85   0 | ... | 255 170   ->  340/5 510/5 765/5 935/5
#   nearest    0   0 | ... | 255 255   ->  255/5 510/5 765/5 1020/5
#   mirror   170  85 | ... | 170  85   ->  510/5 595/5 680/5 765/5
#   wrap     170 255 | ... |   0  85   ->  680/5 765/5 510/5 595/5
#   constant   0   0 | ... |   0   0   ->  255/5 510/5 510/5 510/5
# (Replicate is nearest, not reflect: 51 .. 204. Only the inner sample agrees with reflect.)


@pytest.mark.parametrize(
    ("border", "also_known_as", "expected"),
    [
        ("reflect", "symmetric", [68, 102, 153, 187]),
        ("nearest", "replicate", [51, 102, 153, 204]),
        ("mirror", "reflect101", [102, 119, 136, 153]),
        ("wrap", "periodic", [136, 153, 102, 119]),
        ("constant", "zero", [51, 102, 102, 102]),
    ],
)
def test_five_tap_box_on_a_ramp(border, also_known_as, expected):
    """The 5-tap mean of [0, 85, 170, 255] under each border, worked out above."""
    ramp = np.array([0, 85, 170, 255], dtype=np.uint8)
    box = np.full(5, 1 / 5)
    np.testing.assert_allclose(naive_correlate(ramp, box, border=border), expected)
    for name in (border, also_known_as):
        assert_close(correlate(ramp, box, border=name), expected)


# --- corners: the border applies to each axis in turn ----------------------------------------
#
# A one-hot kernel at the top-left tap reads x_ext[i - 1, j - 1]: the top-left output is the
# sample diagonally outside the corner of [[1, 2], [3, 4]].

TOP_LEFT_TAP = [
    [1, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
]


@pytest.mark.parametrize(
    ("border", "expected"),
    [
        ("reflect", [[1, 1], [1, 1]]),
        ("nearest", [[1, 1], [1, 1]]),
        ("mirror", [[4, 3], [2, 1]]),
        ("wrap", [[4, 3], [2, 1]]),
        ("constant", [[9, 9], [9, 1]]),
    ],
)
def test_corners_extend_axis_by_axis(border, expected):
    """Outside a corner both axes are extended: reflect/nearest repeat 1, mirror/wrap reach 4."""
    image = np.array([[1, 2], [3, 4]])
    assert_close(correlate(image, TOP_LEFT_TAP, border=border, fill=9), expected)


# --- padding wider than the image ------------------------------------------------------------
#
# Full padding with a one-hot kernel at one end lists the extended signal itself: with the
# hot tap first, output m reads x_ext[m - 7] (the 7 samples left, then the image); with it last,
# output m reads x_ext[m] (the image, then the 7 samples right).


def _extended(signal, border, width, fill=0.0):
    """The signal with ``width`` border samples each side, as the engine sees it."""
    first, last = np.zeros(width + 1), np.zeros(width + 1)
    first[0], last[-1] = 1, 1
    options = {"border": border, "fill": fill, "padding": "full"}
    left = correlate(signal, first, **options)[:width]
    rest = correlate(signal, last, **options)
    return left.tolist() + rest.tolist()


def _samples(picture):
    """'2 1 | 1 2 3 | 3 2' -> [2, 1, 1, 2, 3, 3, 2]."""
    return [float(s) for s in picture.replace("|", " ").split()]


@pytest.mark.parametrize(
    ("border", "picture"),
    [
        ("reflect", "1 1 2 3 3 2 1 | 1 2 3 | 3 2 1 1 2 3 3"),  # period 6 = 2N
        ("mirror", "2 3 2 1 2 3 2 | 1 2 3 | 2 1 2 3 2 1 2"),  # period 4 = 2N - 2
        ("wrap", "3 1 2 3 1 2 3 | 1 2 3 | 1 2 3 1 2 3 1"),  # period 3 = N
        ("nearest", "1 1 1 1 1 1 1 | 1 2 3 | 3 3 3 3 3 3 3"),
        ("constant", "9 9 9 9 9 9 9 | 1 2 3 | 9 9 9 9 9 9 9"),
    ],
)
def test_padding_wider_than_the_image_continues_the_pattern(border, picture):
    """Seven samples of border around three: the pattern repeats with the mode's period."""
    assert_close(_extended([1, 2, 3], border, 7, fill=9), _samples(picture))


@pytest.mark.parametrize(
    ("border", "picture"),
    [
        ("reflect", "5 5 5 5 | 5 | 5 5 5 5"),
        ("mirror", "5 5 5 5 | 5 | 5 5 5 5"),  # a single sample has nothing else to mirror
        ("wrap", "5 5 5 5 | 5 | 5 5 5 5"),
        ("nearest", "5 5 5 5 | 5 | 5 5 5 5"),
        ("constant", "0 0 0 0 | 5 | 0 0 0 0"),
    ],
)
def test_a_one_sample_axis_repeats_its_sample(border, picture):
    """An axis of one sample extends to that sample in every mode but constant."""
    assert_close(_extended([5], border, 4), _samples(picture))


def test_wide_padding_matches_scipy():
    """A kernel far larger than the image extends exactly as scipy.ndimage does."""
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(11)
    weights = rng.normal(size=(9, 13))
    for shape in [(1, 1), (1, 2), (2, 3), (3, 2), (4, 5)]:
        image = rng.normal(size=shape)
        for border in BORDERS:
            for engine, oracle in [(correlate, ndimage.correlate), (convolve, ndimage.convolve)]:
                assert_close(
                    engine(image, weights, border=border, fill=0.5),
                    oracle(image, weights, mode=border, cval=0.5),
                    1e-10,
                    where=f"{engine.__name__} {border} {shape}",
                )


# --- aliases ---------------------------------------------------------------------------------

SPEC_ALIASES = {
    "reflect": ["symmetric", "half-symmetric", "grid-mirror"],
    "mirror": ["reflect101", "reflect-101", "whole-symmetric"],
    "nearest": ["replicate", "edge", "clamp", "extend", "neumann"],
    "wrap": ["periodic", "circular", "tile", "loop", "grid-wrap"],
    "constant": ["zero", "zeros", "dirichlet", "fill", "pad", "grid-constant"],
}
ALIAS_CASES = [(alias, mode) for mode, aliases in SPEC_ALIASES.items() for alias in aliases]


def _spellings(name):
    """The name as written, shouted, title-cased and with underscores for hyphens."""
    return {
        name,
        name.upper(),
        name.title(),
        name.replace("-", "_"),
        name.upper().replace("-", "_"),
    }


@pytest.mark.parametrize(("alias", "mode"), ALIAS_CASES, ids=[a for a, _ in ALIAS_CASES])
def test_alias_means_its_mode(alias, mode):
    """Every alias from the spec, in any case and with _ or -, filters exactly as its mode."""
    assert BORDER_ALIASES[alias] == mode
    rng = np.random.default_rng(0)
    image, weights = rng.normal(size=(4, 5)), rng.normal(size=(3, 4))
    expected = correlate(image, weights, border=mode, padding="full")
    for spelling in _spellings(alias):
        assert canonical_border(spelling) == mode
        got = correlate(image, weights, border=spelling, padding="full")
        np.testing.assert_array_equal(got, expected, err_msg=spelling)


@pytest.mark.parametrize("mode", BORDERS)
def test_mode_names_are_case_insensitive(mode):
    """The five scipy names are accepted in any case."""
    for spelling in _spellings(mode):
        assert canonical_border(spelling) == mode


def test_every_alias_names_one_of_the_five_modes():
    """The alias table only points at the five modes, and no alias shadows a mode name."""
    assert set(BORDER_ALIASES.values()) <= set(BORDERS)
    assert not set(BORDER_ALIASES) & set(BORDERS)


@pytest.mark.parametrize("alias", ["zero", "zeros", "dirichlet"])
def test_zero_aliases_mean_a_zero_fill(alias):
    """zero/zeros/dirichlet are constant with fill 0, and any other fill is refused."""
    got = correlate([1.0, 2.0, 3.0], [1, 1, 1], border=alias)
    assert_close(got, [3, 6, 5])
    assert_close(correlate([1.0, 2.0, 3.0], [1, 1, 1], border=alias, fill=0), [3, 6, 5])
    with pytest.raises(EngineArgumentError, match="fill"):
        correlate([1.0, 2.0, 3.0], [1, 1, 1], border=alias, fill=7)


@pytest.mark.parametrize("alias", ["constant", "fill", "pad", "grid-constant"])
def test_constant_aliases_use_the_fill(alias):
    """constant and its fill-taking aliases put ``fill`` outside the image."""
    assert_close(correlate([1.0, 2.0, 3.0], [1, 1, 1], border=alias, fill=10), [13, 6, 15])


def test_fill_is_ignored_by_other_borders():
    """fill only matters for constant borders."""
    for border in ["reflect", "mirror", "nearest", "wrap"]:
        np.testing.assert_array_equal(
            correlate([1.0, 2.0, 3.0], [1, 1, 1], border=border, fill=100),
            correlate([1.0, 2.0, 3.0], [1, 1, 1], border=border),
        )


def test_default_border_is_reflect():
    """Without a border the engine reflects (d c b a | a b c d), as scipy.ndimage does."""
    signal = [1.0, 2.0, 4.0, 8.0]
    np.testing.assert_array_equal(
        correlate(signal, [1, 1, 1]), correlate(signal, [1, 1, 1], border="reflect")
    )
    assert_close(correlate(signal, [1, 1, 1]), [4, 7, 14, 20])
