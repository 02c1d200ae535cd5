"""The root command class: usage errors as one line instead of Typer's framed panel.

``convcli apply sharpen in.png --stride 0`` prints ``Error: Invalid value for '--stride': ...``
and exits 2, so scripts and people both get a single, greppable line.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from typer import Abort, Exit

# Typer vendors Click; its usage errors derive from this class, its commands get this context.
from typer._click.core import Context
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from convcli.cli.console import EXIT_FAILURE, EXIT_INTERRUPTED, err_console


class ConvcliGroup(TyperGroup):
    """A TyperGroup that reports Click's usage errors in convcli's one-line form."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except ClickException as exc:
            if type(exc).__name__ != "NoArgsIsHelpError":  # the help is already printed
                _print_usage_error(exc)
            code = exc.exit_code
        except Abort:
            err_console.print("Aborted.")
            code = EXIT_FAILURE
        if standalone_mode:
            sys.exit(code)
        return code

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        """The command, its help paragraphs joined into flowing lines (Typer keeps a
        docstring's line breaks, so a 100-column source line broke the terminal's lines)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None and command.help:
            command.help = reflowed(command.help)
        return command

    def invoke(self, ctx: Context) -> Any:
        """Run the command; a Ctrl-C that lands outside a command's own guard (while Click
        parses or returns) still prints "Interrupted." and exits 130, as one inside does."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err_console.print("Interrupted.")
            raise Exit(EXIT_INTERRUPTED) from None


def reflowed(text: str) -> str:
    """``text`` with the line breaks inside each paragraph made spaces."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(paragraph.split("\n")) for paragraph in paragraphs)


def _print_usage_error(exc: ClickException) -> None:
    context = getattr(exc, "ctx", None)
    hint = f" (see '{context.command_path} --help')" if context is not None else ""
    message = " ".join(exc.format_message().split())
    err_console.print(
        Text.assemble(("Error: ", "red bold"), message, (hint, "dim")), soft_wrap=True
    )
