"""The planner's calibration for this process: how much faster or slower than the cost model
each strategy runs on this machine. NumPy-free, so a command line can say where a calibration
comes from (a cache file, a measurement) before anything heavy is imported; the source is asked
once, when the first plan is made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    """Measured time over the model's estimate, per strategy (1: the model as it is)."""

    direct: float = 1.0
    separable: float = 1.0
    fft: float = 1.0


class _Setting:
    def __init__(self) -> None:
        self._value: Calibration | None = None
        self._source: Callable[[], Calibration] | None = None

    def get(self) -> Calibration:
        """The calibration in force: set, or from the source (asked once), or the model's."""
        if self._value is None:
            source, self._source = self._source, None  # plans made while measuring: the model
            try:
                self._value = source() if source is not None else Calibration()
            finally:
                self._source = source
        return self._value

    def set(self, value: Calibration | None) -> None:
        """Use ``value`` from now on (None: ask the source again at the next plan)."""
        self._value = value

    @contextmanager
    def fixed(self, value: Calibration) -> Iterator[None]:
        """``value`` while the block runs, then what was there (even nothing yet)."""
        previous, self._value = self._value, value
        try:
            yield
        finally:
            self._value = previous

    def source(self, loader: Callable[[], Calibration] | None) -> None:
        """Where the calibration comes from when a plan first needs it (None: the model)."""
        self._source, self._value = loader, None


CALIBRATION = _Setting()
