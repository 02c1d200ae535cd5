"""The best positions of a score map, each object counted once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.engine import peaks as peaks_module
from convcli.engine.peaks import Peak, best_peaks
from convcli.errors import EngineArgumentError


def naive_peaks(scores, top, threshold, distance):
    """Greedy suppression from the definition: every position in order of score (row-major on
    ties), kept unless a kept one lies closer than ``distance`` along both axes."""
    order = sorted(np.ndindex(scores.shape), key=lambda p: (-scores[p], p))
    kept = []
    for row, col in order:
        if threshold is not None and scores[row, col] < threshold:
            break
        if all(max(abs(row - r), abs(col - c)) >= distance for r, c, _ in kept):
            kept.append((row, col, float(scores[row, col])))
        if top is not None and len(kept) == top:
            break
    return [Peak(*k) for k in kept]


def test_the_best_score_comes_first_and_its_neighbours_are_suppressed():
    scores = np.zeros((20, 20))
    scores[5, 5], scores[5, 6], scores[15, 12] = 0.9, 0.8, 0.7
    assert best_peaks(scores, top=2, min_distance=3) == [Peak(5, 5, 0.9), Peak(15, 12, 0.7)]
    assert best_peaks(scores, top=2, min_distance=1) == [Peak(5, 5, 0.9), Peak(5, 6, 0.8)]


def test_the_threshold_stops_the_list():
    scores = np.zeros((10, 10))
    scores[1, 1], scores[8, 8] = 0.95, 0.5
    assert best_peaks(scores, top=None, threshold=0.6, min_distance=2) == [Peak(1, 1, 0.95)]


def test_every_peak_when_top_is_none_across_several_rounds(monkeypatch):
    monkeypatch.setattr(peaks_module, "BATCH", 7)
    scores = np.random.default_rng(0).random((30, 40))
    assert best_peaks(scores, top=None, min_distance=4) == naive_peaks(scores, None, None, 4)


@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(1, 6)),
    st.one_of(st.none(), st.floats(0, 1)),
    st.integers(0, 2**32 - 1),
    st.sampled_from([3, 4096]),
)
@settings(max_examples=80, deadline=None)
def test_any_map_gives_the_greedy_definition(rows, cols, distance, top, threshold, seed, batch):
    scores = np.round(np.random.default_rng(seed).random((rows, cols)), 1)  # with ties
    peaks_module.BATCH, saved = batch, peaks_module.BATCH
    try:
        got = best_peaks(scores, top=top, threshold=threshold, min_distance=distance)
    finally:
        peaks_module.BATCH = saved
    assert got == naive_peaks(scores, top, threshold, distance)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"top": 0}, "`top`"), ({"min_distance": 0}, "`min_distance`")],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(EngineArgumentError, match=message):
        best_peaks(np.zeros((3, 3)), **kwargs)
