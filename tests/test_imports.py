"""What importing convcli costs: the engine never loads the CLI's or the image layer's libraries.

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY_FOR_THE_ENGINE = ["PIL", "rich", "typer", "yaml"]


def _modules_loaded_by(code: str, candidates: list[str]) -> list[str]:
    """Run ``code`` in a new interpreter; return which of ``candidates`` it left in sys.modules."""
    report = f"import json, sys\nprint(json.dumps([m for m in {candidates!r} if m in sys.modules]))"
    probe = f"{code}\n{report}"
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import convcli",
        "import convcli.engine",
        "from convcli import correlate, convolve",
        "from convcli import correlate\ncorrelate([[1, 2], [3, 4]], [[1, 0], [0, 1]])",
        "from convcli.engine import convolve\nconvolve([1.0, 2.0], [1, 2], padding='full')",
    ],
    ids=["import convcli", "import engine", "from convcli import", "correlate", "convolve"],
)
def test_the_engine_does_not_load_the_cli_or_image_libraries(code):
    """Using the engine never imports Pillow, Rich, Typer or PyYAML."""
    assert _modules_loaded_by(code, HEAVY_FOR_THE_ENGINE) == []


def test_importing_convcli_does_not_import_numpy():
    """``import convcli`` alone stays light (``convcli --help`` depends on it): no NumPy yet."""
    assert _modules_loaded_by("import convcli", ["numpy", *HEAVY_FOR_THE_ENGINE]) == []


def test_the_mode_names_do_not_import_numpy():
    """The CLI checks border and padding names through convcli.engine.modes: no NumPy needed."""
    pytest.importorskip("convcli.engine.modes")
    code = "from convcli.engine.modes import BORDERS, canonical_border\ncanonical_border('edge')"
    assert _modules_loaded_by(code, ["numpy", *HEAVY_FOR_THE_ENGINE]) == []


def test_the_engine_is_reached_lazily_from_the_package():
    """The package's correlate/convolve are the engine's, loaded on first use."""
    import convcli
    import convcli.engine

    assert convcli.correlate is convcli.engine.correlate
    assert convcli.convolve is convcli.engine.convolve
