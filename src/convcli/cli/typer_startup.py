"""Two costs Typer adds to every start, taken away without changing what it prints.

- Typer builds every command's options on each run and reads each command function's
  annotations twice (``inspect.signature(eval_str=True)``, then ``get_type_hints``): with
  ``from __future__ import annotations`` each string is compiled and evaluated both times.
  :func:`resolve_annotations` evaluates them once, when the app is built.
- ``typer.rich_utils``, which formats help and errors, imports ``rich.markdown`` (and with it
  markdown-it and Rich's syntax highlighting) for the "markdown" markup mode, which convcli never
  uses. :func:`defer_markdown` lets it load with a stand-in that imports the real module the
  first time anything makes a ``Markdown``.

Measured on a 2-core VM: ``convcli --help`` 0.25 → 0.2 s (docs/performance.md).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import typer

_RICH_UTILS = "typer.rich_utils"
_MARKDOWN = "rich.markdown"


def resolve_annotations(app: typer.Typer) -> None:
    """Replace the string annotations of every command and callback under ``app`` with the
    objects they name, so Typer need not evaluate them (twice) on each run."""
    for function in _callbacks(app):
        function.__annotations__ = typing.get_type_hints(function, include_extras=True)


def _callbacks(app: typer.Typer) -> Iterator[Callable[..., Any]]:
    if app.registered_callback is not None and app.registered_callback.callback is not None:
        yield app.registered_callback.callback
    for command in app.registered_commands:
        if command.callback is not None:
            yield command.callback
    for group in app.registered_groups:
        if group.typer_instance is not None:
            yield from _callbacks(group.typer_instance)


class _Markdown:
    """Stands in for ``rich.markdown.Markdown`` in ``typer.rich_utils``: makes the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.markdown import Markdown

        return Markdown(*args, **kwargs)


class _WithoutMarkdown(importlib.abc.Loader):
    """Runs ``typer.rich_utils`` with the stand-in as ``rich.markdown``, then removes it, so
    any later ``import rich.markdown`` gets the real module."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_code ... for tracebacks
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if _MARKDOWN in sys.modules:  # already paid for: nothing to save
            self._loader.exec_module(module)
            return
        stand_in = types.ModuleType(_MARKDOWN)
        stand_in.Markdown = _Markdown  # type: ignore[attr-defined]
        sys.modules[_MARKDOWN] = stand_in
        try:
            self._loader.exec_module(module)
        finally:
            if sys.modules.get(_MARKDOWN) is stand_in:
                del sys.modules[_MARKDOWN]


class _DeferMarkdown(importlib.abc.MetaPathFinder):
    """Finds ``typer.rich_utils`` as usual and wraps its loader; steps aside after that."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _RICH_UTILS:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _WithoutMarkdown(spec.loader)
        return spec


def defer_markdown() -> None:
    """Make the first import of ``typer.rich_utils`` skip loading ``rich.markdown``."""
    if _RICH_UTILS in sys.modules or any(isinstance(f, _DeferMarkdown) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _DeferMarkdown())
