"""The best positions of a score map, each object once: greedy non-maximum suppression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.errors import EngineArgumentError

#: Candidates sorted per round: enough that one round usually finds every peak asked for,
#: few enough that sorting them costs nothing beside the partition over the whole map.
BATCH = 4096


@dataclass(frozen=True)
class Peak:
    """One position of a score map (row, column) and its score."""

    row: int
    col: int
    score: float


def best_peaks(
    scores: npt.NDArray[np.floating],
    *,
    top: int | None = 1,
    threshold: float | None = None,
    min_distance: int = 1,
) -> list[Peak]:
    """The highest scores first; each one taken suppresses every position closer to it than
    ``min_distance`` along both axes (Chebyshev distance), so hits on one object count once.

    ``top`` peaks at most (None: no limit), none below ``threshold``; equal scores are taken in
    row-major order.
    """
    if scores.ndim != 2 or scores.size == 0:
        raise EngineArgumentError("scores must be a non-empty 2-D array")
    if top is not None and top < 1:
        raise EngineArgumentError("`top` must be at least 1")
    if min_distance < 1:
        raise EngineArgumentError("`min_distance` must be at least 1")
    work = scores.astype(np.float64)  # a copy: taken and suppressed positions become -inf
    flat = work.reshape(-1)
    floor = -np.inf if threshold is None else float(threshold)
    reach = min_distance - 1
    peaks: list[Peak] = []
    while top is None or len(peaks) < top:
        count = min(BATCH, flat.size)
        batch = np.argpartition(flat, flat.size - count)[flat.size - count :]
        lowest = flat[batch].min()
        above = batch[flat[batch] > lowest]
        above = above[np.lexsort((above, -flat[above]))]
        # Every sample equal to the round's lowest score joins it, in row-major order, so ties
        # are broken by position whatever the partition chose.
        candidates = np.concatenate([above, np.flatnonzero(flat == lowest)])
        for index, value in zip(candidates.tolist(), flat[candidates].tolist(), strict=True):
            if value == -np.inf or value < floor:
                return peaks  # sorted: every later candidate is lower
            if flat[index] == -np.inf:
                continue  # suppressed by a peak taken in this round
            row, col = divmod(index, work.shape[1])
            peaks.append(Peak(row, col, float(scores[row, col])))
            work[
                max(row - reach, 0) : row + reach + 1, max(col - reach, 0) : col + reach + 1
            ] = -np.inf
            if top is not None and len(peaks) == top:
                return peaks
        flat[candidates] = -np.inf
    return peaks
