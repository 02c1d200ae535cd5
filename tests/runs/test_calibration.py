"""The planner fitted to the machine: measured once, cached per machine, switched off by
CONVCLI_CALIBRATION=off or --no-calibration; the factors change plans, never the integer
results."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from convcli.engine import plan_for, round_samples
from convcli.engine.api import EngineOptions
from convcli.engine.samples import Finish
from convcli.engine.tuning import CALIBRATION, Calibration
from convcli.runs import calibration


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A calibration that may measure, into an empty cache folder; the model's afterwards."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv(calibration.SWITCH, "on")
    yield tmp_path
    CALIBRATION.source(None)


def test_the_first_plan_measures_and_caches_and_later_runs_read_the_cache(cache, monkeypatch):
    calibration.install()
    factors = CALIBRATION.get()
    assert all(0.25 <= value <= 4 for value in (factors.direct, factors.separable, factors.fft))
    (path,) = (cache / "convcli").glob("calibration-*.json")
    stored = json.loads(path.read_text())
    assert stored == {"direct": factors.direct, "separable": factors.separable, "fft": factors.fft}
    path.write_text(json.dumps({"direct": 2.0, "separable": 1.0, "fft": 0.5}))

    def no_measuring() -> Calibration:
        raise AssertionError("measured again although the cache holds a calibration")

    monkeypatch.setattr("convcli.engine.calibration.measure", no_measuring)
    calibration.install()
    assert CALIBRATION.get() == Calibration(2.0, 1.0, 0.5)


def test_off_means_the_models_constants_and_no_file(cache, monkeypatch):
    monkeypatch.setenv(calibration.SWITCH, "off")
    calibration.install()
    assert CALIBRATION.get() == Calibration()
    assert not (cache / "convcli").exists()


def test_an_unwritable_cache_only_costs_a_measurement(cache, monkeypatch):
    (cache / "convcli").write_text("a file where the folder should be")
    calibration.install()
    assert isinstance(CALIBRATION.get(), Calibration)


def test_factors_move_the_choice_but_integer_results_stay_byte_identical():
    image = np.random.default_rng(3).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    kernel = np.random.default_rng(4).integers(-3, 4, (7, 7)).astype(float)
    chosen, pixels = set(), []
    try:
        for factors in (Calibration(0.25, 4, 4), Calibration(4, 4, 0.25), Calibration(4, 0.25, 4)):
            CALIBRATION.set(factors)
            chosen.add(plan_for(image, kernel).method)
            pixels.append(round_samples(image, kernel, Finish(), np.uint8, EngineOptions()).pixels)
    finally:
        CALIBRATION.source(None)
    assert chosen == {"direct", "fft", "separable"}
    assert all(np.array_equal(pixels[0], other) for other in pixels[1:])


def test_the_root_option_switches_it_off_for_the_process_and_its_workers(cli, monkeypatch):
    monkeypatch.setenv(calibration.SWITCH, "on")
    result = cli("--no-calibration", "kernels", "show", "box-3")
    assert result.exit_code == 0, result.stderr
    assert os.environ[calibration.SWITCH] == "off"
    assert CALIBRATION.get() == Calibration()
