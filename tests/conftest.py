"""Shared test settings: every test runs with an empty user kernel library and plain colours."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from pictures import TERMINAL

#: The default run sees the same examples every time; ``-m fuzz`` (or HYPOTHESIS_PROFILE=fuzz)
#: explores at random, and what it finds becomes a fixed regression test.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None)
settings.register_profile("fuzz", deadline=None, print_blob=True, max_examples=1_000)


def pytest_configure(config: pytest.Config) -> None:
    """Load the Hypothesis profile before any test module builds its ``settings``."""
    marks = str(config.getoption("markexpr", "") or "")
    exploring = "fuzz" in marks and "not fuzz" not in marks
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("fuzz" if exploring else "ci"))


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's own kernels, config, cache and colour settings out of every test,
    and plan with the engine's cost model as it is (a machine's calibration would make plans
    vary)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("CONVCLI_CALIBRATION", "off")
    for name in ("CONVCLI_KERNEL_PATH", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def user_kernels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder on CONVCLI_KERNEL_PATH, for tests that add kernels to the library."""
    folder = tmp_path / "user-kernels"
    folder.mkdir()
    monkeypatch.setenv("CONVCLI_KERNEL_PATH", str(folder))
    return folder


# -- running the command line -----------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """Run ``convcli ARGS`` in this process through Typer's CliRunner; returns its Result.

    ``--debug``/``--quiet`` are process-wide settings, so they are reset for every test, and the
    consoles (built at import) are kept plain even if the tests were started from a terminal.
    """
    from typer.testing import CliRunner

    from convcli.cli import app
    from convcli.cli import console as consoles

    monkeypatch.setattr(consoles.RunState, "debug", False)
    monkeypatch.setattr(consoles.RunState, "quiet", False)
    for console in (consoles.out_console, consoles.err_console):
        if getattr(console, "_color_system", None) is not None:  # started from a terminal
            monkeypatch.setattr(console, "_color_system", None)
        # Rich fixes the size if COLUMNS or LINES was set when the console was made (as under
        # pytest-xdist); each invocation's own environment must decide it.
        monkeypatch.setattr(console, "_width", None)
        monkeypatch.setattr(console, "_height", None)
    runner = CliRunner()

    def invoke(*args: object, input: bytes | None = None, env: dict[str, str] | None = None):
        return runner.invoke(
            app,
            [str(arg) for arg in args],
            input=input,
            env={**TERMINAL, **(env or {})},
            prog_name="convcli",
        )

    return invoke


@pytest.fixture
def run_convcli():
    """Run the installed ``convcli`` in a subprocess: ``python -m convcli`` or the script."""
    import os
    import subprocess
    import sys

    def run(
        *args: object,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        script: bool = False,
        cwd: Path | None = None,
        **options: object,
    ) -> subprocess.CompletedProcess[bytes]:
        command = (
            [str(Path(sys.executable).with_name("convcli"))]
            if script
            else [sys.executable, "-m", "convcli"]
        )
        environment = {**os.environ, **TERMINAL, **(env or {})}
        return subprocess.run(
            [*command, *(str(arg) for arg in args)],
            input=input,
            capture_output="stdout" not in options,
            env=environment,
            cwd=cwd,
            timeout=60,
            check=False,
            **options,  # type: ignore[call-overload]
        )

    return run


@pytest.fixture
def gray_png(tmp_path: Path) -> Path:
    """A 9×12 8-bit gray PNG of noise (every value different enough to show any mistake)."""
    from pictures import ramp, save

    return save(tmp_path / "gray.png", ramp(9, 12))


@pytest.fixture
def rgb_png(tmp_path: Path) -> Path:
    """A 7×10 8-bit RGB PNG of noise."""
    from pictures import ramp, save

    return save(tmp_path / "rgb.png", ramp(7, 10, 3, seed=1))


@pytest.fixture
def rgba_png(tmp_path: Path) -> Path:
    """A 7×10 8-bit RGBA PNG of noise, alpha included."""
    from pictures import ramp, save

    return save(tmp_path / "rgba.png", ramp(7, 10, 4, seed=2))
