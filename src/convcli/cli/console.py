"""The two consoles and the one place where failures become messages and exit codes.

stdout carries only data (images, arrays, tables asked for); everything else goes to stderr.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text

from convcli.errors import ConvcliError, UsageError

out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

#: The exit codes, defined once: 0 success, 1 failure while working, 2 bad usage.
EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: The library names its parameters in backquotes (`max_pixels`); the command line says which
#: option sets each one.
FLAGS = {
    "abs": "--abs",
    "channel": "--channel",
    "channels": "--channels",
    "depth": "--depth",
    "fill": "--fill",
    "format": "--format",
    "gray": "--gray",
    "annotate": "--annotate",
    "at": "--at",
    "heatmap": "--heatmap",
    "kernels": "--kernels",
    "tag": "--tag",
    "mask": "--mask",
    "min_distance": "--min-distance",
    "scales": "--scales",
    "threshold": "--threshold",
    "top": "--top",
    "max_pixels": "--max-pixels",
    "name": "--name",
    "normalize": "--normalize",
    "offset": "--offset",
    "output": "-o",
    "premultiply": "--premultiply",
    "region": "--region",
    "repeat": "--repeat",
    "retries": "--retries",
    "scale": "--scale",
    "suffix": "--suffix",
    "tiled": "--tiled",
    "stride": "--stride",
    "dilation": "--dilation",
    "padding": "--padding",
    "padding_mode": "--padding-mode",
    "groups": "--groups",
    "activation": "--activation",
    "pool": "--pool",
    "normalize_input": "--normalize-input",
    "maps": "--maps",
}
_PARAMETER = re.compile(r"`([a-z_]+)`")


class RunState:
    """Options of the root command that every command needs."""

    debug = False
    quiet = False

    @classmethod
    def set(cls, *, debug: bool, quiet: bool) -> None:
        """The state of this run only (an embedding program may run several)."""
        cls.debug = debug or os.environ.get("CONVCLI_DEBUG", "") not in ("", "0")
        cls.quiet = quiet


def in_options(message: str) -> str:
    """A library message in the command line's words: each `parameter` becomes its option."""
    return _PARAMETER.sub(lambda match: FLAGS.get(match[1], match[1]), message)


def warn(message: str) -> None:
    """A one-line warning on stderr (silenced by --quiet)."""
    if not RunState.quiet:
        text = Text.assemble(("warning: ", "yellow bold"), in_options(message))
        err_console.print(text, soft_wrap=True)


def note(message: str) -> None:
    """A one-line remark on stderr (silenced by --quiet)."""
    if not RunState.quiet:
        err_console.print(Text(in_options(message), style="dim"), soft_wrap=True)


def one_line(message: str) -> str:
    """A message on one line, whatever the file names in it hold."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def error(message: str) -> None:
    """Print ``Error: message`` on stderr, on one line, in the command line's words."""
    text = Text.assemble(("Error: ", "red bold"), one_line(in_options(message)))
    err_console.print(text, soft_wrap=True)


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print ``Error: message`` on stderr and return the Exit to raise."""
    error(message)
    return typer.Exit(code)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn every failure into one line on stderr and an exit code; tracebacks only with --debug."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if RunState.debug:
            raise
        raise fail(*_describe(exc)) from None


def _describe(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, UsageError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, ConvcliError):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, MemoryError):
        return "not enough memory for this image and kernel", EXIT_FAILURE
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), 1
    reason = str(exc).splitlines()[0] if str(exc) else ""
    return (
        f"unexpected {type(exc).__name__}{': ' + reason if reason else ''} "
        "(run with --debug for the traceback, and please report it)",
        EXIT_FAILURE,
    )
