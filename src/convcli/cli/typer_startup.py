"""Two costs Typer adds to every start, taken away without changing what it prints.

- Typer builds every command's options on each run and reads each command function's
  annotations twice (``inspect.signature(eval_str=True)``, then ``get_type_hints``): with
  ``from __future__ import annotations`` each string is compiled and evaluated both times.
  :func:`resolve_annotations` evaluates them once, when the app is built.
- ``typer.rich_utils``, which formats help and errors, imports ``rich.markdown`` (and with it
  markdown-it) for the "markdown" markup mode, which convcli never uses, and ``rich.traceback``
  (with ``rich.pretty``, ``rich.syntax`` and Pygments) for developers' tracebacks, which
  convcli turns off. :func:`defer_unused_rich` lets it load with stand-ins that import the real
  modules the first time anything uses a ``Markdown`` or a ``Traceback``.

Measured on a 2-core VM: ``convcli --help`` 0.25 → 0.2 s with the first stand-in; importing
``rich.traceback`` after the CLI costs 27-43 ms, which the second saves (docs/performance.md).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import importlib.abc

_RICH_UTILS = "typer.rich_utils"
#: Modules typer.rich_utils imports for what convcli never shows, and the class it takes of each.
_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


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


class _StandIn(type):
    """The metaclass of a class standing in for ``module.name``: calling it, or reading any
    attribute (``Traceback.from_exception``), imports the real module and uses the real class."""

    _module: str

    def _real(cls) -> Any:
        return getattr(importlib.import_module(cls._module), cls.__name__)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)


def _stand_in_module(module: str, name: str) -> types.ModuleType:
    stand_in = types.ModuleType(module)
    setattr(stand_in, name, _StandIn(name, (), {"_module": module}))
    return stand_in


class _WithStandIns:
    """Runs ``typer.rich_utils`` with stand-ins for the deferred modules, then removes them, so
    any later import of those modules gets the real ones. (A loader and a finder need only
    their methods: importing ``importlib.abc`` for base classes would cost 2-3 ms.)"""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_code ... for tracebacks
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        # Modules already imported are paid for: nothing to save there.
        stand_ins = {
            name: _stand_in_module(name, attribute)
            for name, attribute in _DEFERRED.items()
            if name not in sys.modules
        }
        sys.modules.update(stand_ins)
        try:
            self._loader.exec_module(module)
        finally:
            for name, stand_in in stand_ins.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]


class _DeferUnusedRich:
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
            spec.loader = _WithStandIns(spec.loader)  # type: ignore[assignment]
        return spec


def defer_unused_rich() -> None:
    """Make the first import of ``typer.rich_utils`` skip ``rich.markdown`` and
    ``rich.traceback``."""
    if _RICH_UTILS in sys.modules or any(isinstance(f, _DeferUnusedRich) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _DeferUnusedRich())
