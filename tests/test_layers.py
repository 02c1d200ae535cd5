"""The layers contract: every module of convcli imports only from its own layer or those below.

    engine < kernels < images < filtering < runs < cli

``convcli.errors``, ``convcli.places`` (the user's config and cache folders) and the top-level
package (``__version__``) may be imported from anywhere; ``errors`` and ``places`` import
nothing of convcli. The package's ``__init__`` is the library facade:
it may reach every layer except ``cli`` (so library users never load Typer), and ``__main__``
only starts the CLI. A name the facade loads lazily (``from convcli import apply_kernel``)
counts as an import of the module it comes from, so it cannot hide an upward import.

Imports are read with :mod:`ast` from the source, absolute and relative, at module level and
inside functions or ``TYPE_CHECKING`` blocks alike. See docs/architecture.md.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "convcli"
LAYERS = ("engine", "kernels", "images", "filtering", "runs", "cli")
RANK = {layer: rank for rank, layer in enumerate(LAYERS)}
#: Top-level modules besides the layer folders.
TOP_LEVEL = {"__init__", "__main__", "errors", "places"}
#: Top-level modules every layer may import.
SHARED = {"errors", "places"}
#: What the special top-level modules may import (besides errors and the package itself).
ALLOWED_FROM_TOP = {
    "convcli": set(LAYERS) - {"cli"},
    "convcli.__main__": {"cli"},
    "convcli.errors": set(),
    "convcli.places": set(),
}
#: Third-party libraries only the command line layer may import.
CLI_ONLY = {"typer", "rich", "click"}


def module_name(path: Path) -> str:
    """``src/convcli/images/imageio.py`` -> ``convcli.images.imageio`` (a package: its name)."""
    parts = ["convcli", *path.relative_to(SOURCE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def lazy_names() -> dict[str, str]:
    """The facade's ``_LAZY`` table: public name -> the module it is loaded from."""
    tree = ast.parse((SOURCE / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "_LAZY" for target in node.targets
        ):
            table = ast.literal_eval(node.value)
            assert isinstance(table, dict)
            return table
    raise AssertionError("convcli/__init__.py has no _LAZY table")


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every ``convcli`` module that ``source`` (the text of ``module``) imports, with its line.

    Relative imports are resolved against ``module``; ``from convcli import name`` is the
    submodule ``convcli.name`` when that is a layer or ``errors``, the module a lazy name comes
    from, or else the package itself (``__version__``).
    """
    package = module if is_package else module.rpartition(".")[0]
    lazy = lazy_names()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target != "convcli":
                found.append((node.lineno, target))
                continue
            for alias in node.names:
                if alias.name in (*LAYERS, *SHARED):
                    found.append((node.lineno, f"convcli.{alias.name}"))
                else:
                    found.append((node.lineno, lazy.get(alias.name, "convcli")))
    return [(line, name) for line, name in found if name.split(".")[0] == "convcli"]


def layer_of(module: str) -> str | None:
    """The layer a ``convcli`` module belongs to, ``"top"`` for the top-level ones, else None."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in TOP_LEVEL):
        return "top"
    return parts[1] if parts[1] in RANK else None


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Each import in ``source`` that breaks the contract, as ``module:line -> target``."""
    here = layer_of(module)
    problems = []
    for line, target in imported_modules(source, module, is_package):
        there = layer_of(target)
        shared = {"convcli", *(f"convcli.{name}" for name in SHARED)}
        if target in shared and module not in shared - {"convcli"}:
            continue
        if there is None:
            ok = False  # not a module of any layer (a stale top-level path, say)
        elif here == "top":
            ok = there in ALLOWED_FROM_TOP.get(module, set()) or target == module
        elif here is None:
            ok = False
        else:
            ok = there != "top" and RANK[there] <= RANK[here]
        if not ok:
            problems.append(f"{module}:{line} -> {target}")
    return problems


def third_party(source: str) -> set[str]:
    """The top-level names of every module ``source`` imports absolutely."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted(SOURCE.rglob("*.py"))


def test_the_top_level_holds_only_the_package_files_and_the_layers():
    """Everything else lives in a layer folder."""
    files = {path.stem for path in SOURCE.glob("*.py")}
    folders = {path.name for path in SOURCE.iterdir() if (path / "__init__.py").is_file()}
    assert files == TOP_LEVEL
    assert folders == set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_every_module_imports_only_its_own_layer_or_those_below(path: Path):
    source = path.read_text(encoding="utf-8")
    assert violations(source, module_name(path), path.name == "__init__.py") == []


def test_the_checker_reads_real_imports():
    """A guard against a checker that finds nothing: the known imports are seen."""
    source = (SOURCE / "filtering" / "pipeline.py").read_text(encoding="utf-8")
    seen = {name for _, name in imported_modules(source, "convcli.filtering.pipeline")}
    assert {"convcli.engine", "convcli.filtering.filters", "convcli.images.picture"} <= seen


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("convcli.engine.fake", "from convcli.cli import app\n"),
        ("convcli.engine.fake", "import convcli.runs.batch\n"),
        ("convcli.engine.fake", "from ..cli import console\n"),
        ("convcli.engine.fake", "from .. import cli\n"),
        ("convcli.engine.fake", "def later():\n    from convcli.kernels import Kernel\n"),
        ("convcli.engine.fake", "from convcli import apply_kernel\n"),
        ("convcli.images.fake", "if TYPE_CHECKING:\n    from convcli.filtering import pipeline\n"),
        ("convcli.filtering.fake", "from convcli.runs.jobs import OutputOptions\n"),
        ("convcli.runs.fake", "from convcli.cli.render import picture_table\n"),
        ("convcli.kernels.fake", "from convcli.pipeline import FilterOptions\n"),
        ("convcli.errors", "from convcli.engine.modes import BORDERS\n"),
        ("convcli.places", "from convcli.kernels import Kernel\n"),
        ("convcli", "from convcli.cli import app\n"),
        ("convcli.__main__", "from convcli.runs import batch\n"),
    ],
    ids=[
        "engine->cli",
        "import engine->runs",
        "relative engine->cli",
        "relative package engine->cli",
        "in a function engine->kernels",
        "lazy name engine->filtering",
        "type checking images->filtering",
        "filtering->runs",
        "runs->cli",
        "stale top-level path",
        "errors->engine",
        "places->kernels",
        "facade->cli",
        "__main__->runs",
    ],
)
def test_an_upward_import_is_reported(module: str, source: str):
    """Negative controls: synthetic modules that break the contract are caught."""
    assert len(violations(source, module)) == 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("convcli.kernels.fake", "from convcli.engine import correlate\n"),
        ("convcli.cli.fake", "from convcli.runs import batch\nfrom convcli import __version__\n"),
        ("convcli.runs.fake", "from ..images.outputs import atomic_write\n"),
        ("convcli.engine.fake", "from . import modes\nfrom convcli.errors import KernelError\n"),
        ("convcli.images.fake", "from convcli import errors\nimport numpy\n"),
        ("convcli.engine.fake", "from convcli.places import cache_folder\n"),
    ],
    ids=["kernels->engine", "cli->runs", "relative runs->images", "same layer", "errors", "places"],
)
def test_a_downward_import_is_allowed(module: str, source: str):
    assert violations(source, module) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_only_the_cli_imports_typer_and_rich(path: Path):
    """Typer and Rich (and Click, vendored by Typer) belong to cli/ alone."""
    if layer_of(module_name(path)) == "cli":
        return
    assert third_party(path.read_text(encoding="utf-8")) & CLI_ONLY == set()


# -- the library speaks its own words --------------------------------------------------------

OPTION = re.compile(r"(^|[\s\"'(`])(--[a-z]|-[a-z]\b)")  # --repeat, or -o


def flags_named(source: str) -> list[str]:
    """String constants (docstrings aside) that name a command-line option such as --repeat."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and ast.get_docstring(node) is not None
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and OPTION.search(node.value)
    ]


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(SOURCE.rglob("*.py")) if "cli" not in p.relative_to(SOURCE).parts],
    ids=lambda p: str(p.relative_to(SOURCE)),
)
def test_library_messages_name_parameters_not_options(path: Path):
    """Outside cli/, messages say `repeat`; the command line turns that into --repeat."""
    assert flags_named(path.read_text()) == []


def test_the_option_check_sees_an_option_in_a_message():
    """Negative control: a message naming --repeat is caught, a docstring is not."""
    source = '"""Set with --repeat."""\nraise ValueError("--repeat must be at least 1")\n'
    assert flags_named(source) == ["--repeat must be at least 1"]
    assert flags_named('raise ValueError("choose another -o")\n') == ["choose another -o"]
    assert flags_named('raise ValueError("read from - or a file; -1 is a number")\n') == []


def test_the_command_line_translates_parameters_to_options():
    from convcli.cli.console import in_options

    assert in_options("`repeat` must be at least 1") == "--repeat must be at least 1"
    assert in_options("raise `max_pixels` or use `tiled`") == "raise --max-pixels or use --tiled"
