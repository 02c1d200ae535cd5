"""The convcli command line: a thin Typer layer over the library.

Importing this package must stay cheap: NumPy, Pillow and the engine are imported inside the
commands, so ``convcli --help`` and ``--version`` never load them.
"""

from convcli.cli.app import app, main

__all__ = ["app", "main"]
