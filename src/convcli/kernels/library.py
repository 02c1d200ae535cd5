"""The kernel library: user folders first, then the built-ins shipped with convcli.

A kernel's library name is its ``name:`` (YAML) or its file's stem (other formats). Names are
matched without regard to case, and ``_`` or spaces count as ``-``. A user folder listed earlier
shadows later ones and the built-ins, so dropping ``sharpen.yaml`` into
``~/.config/convcli/kernels/`` replaces the built-in ``sharpen``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from convcli.errors import KernelError
from convcli.kernels.files import (
    YAML_SUFFIXES,
    is_kernel_file,
    kernel_path_from_env,
    load_kernel_file,
)
from convcli.kernels.model import AnyKernel, Source
from convcli.kernels.yamlfile import Resolve


def normalise_name(name: str) -> str:
    """The form names are compared in: lower case, with ``_`` and spaces as ``-``."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def builtin_folder() -> Path:
    """The built-in kernels: inside the installed package, or the repository's ``kernels/``."""
    package = Path(__file__).resolve().parents[1]  # importlib.resources would cost 4 ms to import
    packaged = package / "builtin_kernels"
    if packaged.is_dir():
        return packaged
    checkout = package.parents[1] / "kernels"  # src/convcli/ -> the repository
    if checkout.is_dir():
        return checkout
    raise KernelError("the built-in kernel library is missing from this installation")


def search_path() -> list[tuple[Path, Source]]:
    """The folders searched for library names, first match wins."""
    folders: list[tuple[Path, Source]] = [(p, "user library") for p in kernel_path_from_env()]
    folders.append((builtin_folder(), "built-in"))
    return folders


@dataclass(frozen=True)
class LibraryEntry:
    """One name in the library: the kernel, or why its file could not be read."""

    name: str
    source: Source
    path: Path
    kernel: AnyKernel | None
    error: str | None = None
    shadowed: bool = False  #: an earlier folder defines the same name


def find(name: str, resolve: Resolve) -> AnyKernel | None:
    """The kernel called ``name`` in the library, or ``None``."""
    wanted = normalise_name(name)
    for folder, source in search_path():
        files = _kernel_files(folder)
        # A file named after the kernel is the usual case; other files may hold lists.
        named = [f for f in files if normalise_name(f.stem) == wanted]
        for path in named + [f for f in files if f not in named and _may_hold_many(f)]:
            try:
                kernels = _load(path, source, resolve)
            except KernelError:
                if path in named:
                    raise
                continue  # a broken file elsewhere must not hide a good kernel
            for kernel in kernels:
                if normalise_name(kernel.name) == wanted:
                    return kernel
    return None


def entries(resolve: Resolve) -> Iterator[LibraryEntry]:
    """Every kernel in the library, in search order, marking names shadowed by earlier folders."""
    seen: set[str] = set()
    for folder, source in search_path():
        for path in _kernel_files(folder):
            try:
                kernels = _load(path, source, resolve)
            except KernelError as exc:
                yield LibraryEntry(normalise_name(path.stem), source, path, None, str(exc))
                continue
            for kernel in kernels:
                key = normalise_name(kernel.name)
                yield LibraryEntry(key, source, path, kernel, shadowed=key in seen)
                seen.add(key)


def names(resolve: Resolve) -> list[str]:
    """The library's names, each once, sorted: for suggestions and shell completion."""
    return sorted({entry.name for entry in entries(resolve) if entry.kernel is not None})


def _load(path: Path, source: Source, resolve: Resolve) -> list[AnyKernel]:
    """A library file's kernels; YAML files are kept parsed between runs (kernels/cache.py)."""
    if path.suffix.lower() in YAML_SUFFIXES:
        from convcli.kernels.cache import library_yaml

        return library_yaml(path, source, resolve)
    return load_kernel_file(path, source=source, resolve=resolve)


def _kernel_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if is_kernel_file(p) and p.is_file())
    except OSError:
        return []  # a missing or unreadable user folder is simply empty


def _may_hold_many(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")
