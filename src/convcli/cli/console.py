"""The two consoles and the one place where failures become messages and exit codes.

stdout carries only data (images, arrays, tables asked for); everything else goes to stderr.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text

from convcli.errors import ConvcliError, UsageError

out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class Settings:
    """Options of the root command that every command needs."""

    debug = False
    quiet = False

    @classmethod
    def set(cls, *, debug: bool, quiet: bool) -> None:
        """Settings of this run only (an embedding program may run several)."""
        cls.debug = debug or os.environ.get("CONVCLI_DEBUG", "") not in ("", "0")
        cls.quiet = quiet


def warn(message: str) -> None:
    """A one-line warning on stderr (silenced by --quiet)."""
    if not Settings.quiet:
        err_console.print(Text.assemble(("warning: ", "yellow bold"), message), soft_wrap=True)


def note(message: str) -> None:
    """A one-line remark on stderr (silenced by --quiet)."""
    if not Settings.quiet:
        err_console.print(Text(message, style="dim"), soft_wrap=True)


def one_line(message: str) -> str:
    """A message on one line, whatever the file names in it hold."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print ``Error: message`` on stderr and return the Exit to raise."""
    message = one_line(message)
    err_console.print(Text.assemble(("Error: ", "red bold"), message), soft_wrap=True)
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
        if Settings.debug:
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
