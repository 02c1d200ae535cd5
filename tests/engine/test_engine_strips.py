"""Bands of output rows on threads: every band once, and none started after an interrupt."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from convcli.engine.strips import run_bands


def rows(total: int) -> Any:
    """The one thing ``run_bands`` reads from a request: how many output rows there are."""
    return SimpleNamespace(rows=SimpleNamespace(length=total))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_band_is_computed_once(threads: int) -> None:
    """Bands cover the rows exactly, whatever the thread count."""
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(first: int, last: int) -> None:
        with lock:
            seen.append((first, last))

    run_bands(rows(1000), 64, threads, work)
    assert sorted(seen) == [(first, min(first + 64, 1000)) for first in range(0, 1000, 64)]


def test_an_interrupt_drops_the_bands_not_yet_started() -> None:
    """Ctrl-C during a threaded run stops it after the bands already running, not after all
    of them (which made an interrupted 4000×3000 Gaussian take 2 s more to exit)."""
    started: list[int] = []
    lock = threading.Lock()

    def work(first: int, last: int) -> None:
        with lock:
            started.append(first)
        if first == 0:
            raise KeyboardInterrupt
        time.sleep(0.002)  # a band takes a while, as real ones do

    with pytest.raises(KeyboardInterrupt):
        run_bands(rows(2_000), 10, 2, work)
    assert len(started) < 20, f"{len(started)} of 200 bands ran after the interrupt"
