"""Typer's start-up costs taken away (convcli.cli.typer_startup): the help a user sees is the
same byte for byte, and anything that does want Rich's Markdown or Traceback gets the real one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from convcli.cli.typer_startup import _callbacks

pytestmark = pytest.mark.slow

_RUN_HELP = (
    "import sys\n"
    "{before}\n"
    "sys.argv = ['convcli', *{args!r}]\n"
    "import convcli.cli\n"
    "try:\n    convcli.cli.main()\nexcept SystemExit:\n    pass\n"
)


def _help(args: list[str], before: str = "") -> str:
    environment = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color", "FORCE_COLOR": "1"}
    finished = subprocess.run(
        [sys.executable, "-c", _RUN_HELP.format(before=before, args=args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


@pytest.mark.parametrize("args", [["--help"], ["apply", "--help"], ["kernels", "show", "-h"]])
def test_help_is_the_same_with_the_rich_modules_deferred_or_loaded(args):
    """With ``rich.markdown`` and ``rich.traceback`` already imported the deferral has nothing
    to do: the help printed then, in colour, is the help printed with the stand-ins."""
    deferred = _help(args)
    assert "Usage" in deferred and "\x1b[" in deferred
    assert _help(args, before="import rich.markdown, rich.traceback") == deferred


def _passes(probe: str) -> None:
    """Run ``probe`` in a fresh interpreter; its assertions must hold."""
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr


def test_the_stand_in_makes_a_real_markdown_and_leaves_the_real_module_importable():
    """Typer only makes a Markdown in "markdown" markup mode; if anything does, it is Rich's
    own, and a later ``import rich.markdown`` is the real module, not the stand-in."""
    probe = (
        "import sys\n"
        "import convcli.cli\n"
        "import typer.rich_utils\n"
        "assert 'rich.markdown' not in sys.modules\n"
        "made = typer.rich_utils.Markdown('*x*')\n"
        "import rich.markdown\n"
        "assert type(made) is rich.markdown.Markdown, type(made)\n"
        "assert hasattr(rich.markdown, 'MarkdownContext')\n"
    )
    _passes(probe)


def test_the_traceback_stand_in_gives_rich_s_own_traceback_for_debug_runs():
    """``--debug`` shows Typer's pretty traceback: ``Traceback.from_exception`` reaches the real
    class, and a later ``import rich.traceback`` is the real module."""
    probe = (
        "import sys\n"
        "import convcli.cli\n"
        "import typer.rich_utils\n"
        "assert 'rich.traceback' not in sys.modules and 'pygments' not in sys.modules\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError as exc:\n"
        "    made = typer.rich_utils.Traceback.from_exception(type(exc), exc, exc.__traceback__)\n"
        "import rich.traceback\n"
        "assert type(made) is rich.traceback.Traceback, type(made)\n"
        "assert hasattr(rich.traceback, 'install')\n"
    )
    _passes(probe)


def test_every_command_reaches_typer_with_its_annotations_evaluated():
    """No command or callback still holds a string annotation for Typer to evaluate."""
    from convcli.cli import app

    functions = list(_callbacks(app))
    assert len(functions) >= 12  # root, 7 commands, the kernels group and its 4 commands
    for function in functions:
        strings = {k: v for k, v in function.__annotations__.items() if isinstance(v, str)}
        assert not strings, (function.__qualname__, strings)
