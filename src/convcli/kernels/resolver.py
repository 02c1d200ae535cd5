"""One resolver for every way a user can name a kernel.

Tried in order: a file path (``edge.txt``, ``blur.yaml``, ``sharpen.mat``, ``set.yaml#name``),
an inline matrix (``"0 -1 0; -1 5 -1; 0 -1 0"``, ``"[[1,2],[3,4]]"``, ``"3x3: 1,2,..."``),
a library name (``sharpen``), a parametric generator (``gaussian:sigma=2``).
"""

from __future__ import annotations

import difflib
from contextvars import ContextVar
from pathlib import Path

from convcli.errors import KernelError
from convcli.kernels import library
from convcli.kernels.files import KERNEL_SUFFIXES, load_kernel_file
from convcli.kernels.generators import GENERATORS, generate
from convcli.kernels.model import AnyKernel, Kernel
from convcli.kernels.text import looks_gegl, looks_inline, parse_gegl, parse_inline

_MAX_DEPTH = 8
#: The names being resolved right now, to catch kernels that refer to themselves.
_resolving: ContextVar[tuple[str, ...]] = ContextVar("_resolving", default=())


def resolve_kernel(spec: str) -> AnyKernel:
    """The kernel ``spec`` names, or a KernelError that says why there is none.

    Examples
    --------
    >>> resolve_kernel("sharpen").weights.tolist()
    [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]
    >>> resolve_kernel("1 2 1").shape
    (1, 3)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise KernelError("no kernel given: name a kernel, a kernel file or an inline matrix")
    spec = spec.strip()
    from_file = _from_file(spec)
    if from_file is not None:
        return from_file
    if looks_inline(spec):
        return Kernel(name=spec, weights=parse_inline(spec), source="inline")
    if looks_gegl(spec):
        weights, scale, offset = parse_gegl(spec, f"inline kernel {spec[:40]!r}")
        return Kernel(
            name="convolution-matrix",
            weights=weights,
            scale=scale,
            offset=offset,
            offset_relative=True,
            source="inline",
        )
    if ":" not in spec:
        found = _from_library(spec)
        if found is not None:
            return found
        raise KernelError(_unknown_name_message(spec))
    return generate(spec)


def resolve_chain(spec: str) -> list[AnyKernel]:
    """Kernels to apply one after another, written ``"gaussian-5 | sharpen"``.

    A spec naming an existing file is one kernel even if its name contains ``|``.
    """
    if "|" not in spec or _regular_file(spec) is not None:
        return [resolve_kernel(spec)]
    steps = [step.strip() for step in spec.split("|")]
    if not all(steps):
        raise KernelError(f"{spec!r}: an empty step in a chain; write 'blur | sharpen'")
    return [resolve_kernel(step) for step in steps]


def _from_file(spec: str) -> AnyKernel | None:
    """The kernel in the file ``spec`` names (``file#name`` picks one), if it names a file.

    Only an existing regular file wins over the other spellings; a spec that can only be a
    path (it has a kernel file's extension, or starts like a path) and is missing is an error.
    """
    file_part, _, member = spec.partition("#")
    path = _regular_file(file_part)
    if path is not None:
        kernels = load_kernel_file(path, resolve=resolve_kernel)
        return _pick(kernels, member, path)
    if _looks_like_path(file_part):
        raise KernelError(f"kernel file {file_part} does not exist (or is not a regular file)")
    return None


def _looks_like_path(text: str) -> bool:
    """A kernel file's extension, or a path separator in something not inline or generated."""
    if looks_inline(text) or text.partition(":")[0].strip().lower() in GENERATORS:
        return False
    suffix = Path(text).suffix.lower()
    return suffix in KERNEL_SUFFIXES or any(sep in text for sep in ("/", "\\")) or text[:1] == "~"


def _regular_file(text: str) -> Path | None:
    """``text`` as a path to an existing regular file, or None (also for impossible paths)."""
    try:
        path = Path(text).expanduser()
        return path if path.is_file() else None
    except (OSError, RuntimeError, ValueError):  # too long, unknown ~user, NUL byte ...
        return None


def _pick(kernels: list[AnyKernel], member: str, path: Path) -> AnyKernel:
    if member:
        wanted = library.normalise_name(member)
        for kernel in kernels:
            if library.normalise_name(kernel.name) == wanted:
                return kernel
        raise KernelError(f"{path} has no kernel named {member!r}; it has {_listing(kernels)}")
    if len(kernels) > 1:
        raise KernelError(
            f"{path} holds {len(kernels)} kernels ({_listing(kernels)}); pick one with {path}#NAME"
        )
    return kernels[0]


def _from_library(name: str) -> AnyKernel | None:
    key = library.normalise_name(name)
    stack = _resolving.get()
    if key in stack:
        raise KernelError(f"kernel {name!r} refers to itself ({' → '.join((*stack, key))})")
    if len(stack) >= _MAX_DEPTH:
        raise KernelError(f"kernels refer to each other more than {_MAX_DEPTH} deep")
    token = _resolving.set((*stack, key))
    try:
        return library.find(name, resolve_kernel)
    finally:
        _resolving.reset(token)


def _unknown_name_message(name: str) -> str:
    key = library.normalise_name(name)
    if key in GENERATORS:
        return f"{name!r} is a kernel generator: give its parameters, e.g. {name}:sigma=2"
    if _resolving.get():
        # Inside another kernel's definition: reading the library for suggestions could
        # come back to the file being read.
        return f"unknown kernel {name!r}"
    token = _resolving.set(("(suggestions)",))  # files read now must not suggest in turn
    try:
        found = [e.kernel for e in library.entries(resolve_kernel) if e.kernel and not e.shadowed]
    finally:
        _resolving.reset(token)
    close = difflib.get_close_matches(key, [k.name for k in found], n=3, cutoff=0.6)
    tagged = [k.name for k in found if key in k.tags]
    if tagged:
        hint = f"; kernels tagged {key!r}: {', '.join(tagged[:8])}"
    elif close:
        hint = f"; did you mean {', '.join(close)}?"
    else:
        hint = ""
    return (
        f"unknown kernel {name!r}{hint} "
        "(see `convcli kernels list`, or give a file or an inline matrix)"
    )


def _listing(kernels: list[AnyKernel]) -> str:
    return ", ".join(k.name for k in kernels)
