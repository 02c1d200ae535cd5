"""Kernels: the Kernel values, their file formats, the library and the resolver.

Nothing here reads images or talks to a terminal; YAML is imported only to read YAML files.
"""

from convcli.kernels.generators import GENERATORS, generate, generator_help
from convcli.kernels.library import LibraryEntry, builtin_folder, entries, normalise_name
from convcli.kernels.model import (
    COMBINES,
    MAX_KERNEL_SIDE,
    AnyKernel,
    CombinedKernel,
    Kernel,
    KernelInfo,
)
from convcli.kernels.resolver import resolve_chain, resolve_kernel

__all__ = [
    "COMBINES",
    "GENERATORS",
    "MAX_KERNEL_SIDE",
    "AnyKernel",
    "CombinedKernel",
    "Kernel",
    "KernelInfo",
    "LibraryEntry",
    "builtin_folder",
    "entries",
    "generate",
    "generator_help",
    "library_entries",
    "library_names",
    "normalise_name",
    "resolve_chain",
    "resolve_kernel",
    "source_files",
]


def source_files(kernels: list[AnyKernel]) -> list[str]:
    """The files the kernels (and their parts) were read from: outputs must not overwrite them."""
    files: list[str] = []
    for kernel in kernels:
        if kernel.path:
            files.append(kernel.path)
        if isinstance(kernel, CombinedKernel):
            files.extend(source_files(list(kernel.parts)))
    return files


def library_entries() -> list[LibraryEntry]:
    """Every kernel the resolver can find by name, in search order."""
    return list(entries(resolve_kernel))


def library_names() -> list[str]:
    """Every name the resolver accepts from the library, sorted."""
    from convcli.kernels.library import names

    return names(resolve_kernel)
