"""The library's YAML files kept parsed between runs, so that naming a library kernel does not
import PyYAML (16-25 ms) and parse its file on every run.

The kept kernels are a JSON file in the user's cache folder: per library file, its text and
the kernels it gave. They are used only for the very same text read by the very same code
(convcli's and NumPy's versions, the kernels package's files); a file whose kernels name
other kernels (``kernels: [sobel-x, sobel-y]``) is always parsed, since those may change or
be shadowed while it does not. A cache that cannot be read or written only costs the parse.
"""

from __future__ import annotations

import functools
import json
import zlib
from dataclasses import fields
from pathlib import Path
from typing import Any

from convcli import __version__
from convcli.errors import KernelError
from convcli.kernels.files import read_kernel_text, yaml_file_kernels
from convcli.kernels.model import AnyKernel, CombinedKernel, Kernel, Source
from convcli.kernels.yamlfile import Resolve
from convcli.places import cache_folder, read_cached, write_cached


def library_yaml(path: Path, source: Source, resolve: Resolve) -> list[AnyKernel]:
    """The kernels of the library's YAML file ``path``: as kept from an earlier run for the
    same text, else parsed (and kept, if they name no other kernel)."""
    text = read_kernel_text(path)
    key = f"{source}:{path}"
    store = _store()
    entries = _kept(store)
    entry = entries.get(key)
    if isinstance(entry, dict) and entry.get("text") == text:
        try:
            return [_decode(item) for item in entry["kernels"]]
        except (KeyError, TypeError, ValueError, KernelError):
            pass  # a damaged entry: parse again
    named_others = False

    def watched(spec: str) -> AnyKernel:
        nonlocal named_others
        named_others = True
        return resolve(spec)

    kernels = yaml_file_kernels(path, text, source, watched)
    if not named_others:
        entries[key] = {"text": text, "kernels": [_encode(kernel) for kernel in kernels]}
        write_cached(store, json.dumps(entries))
    return kernels


@functools.cache
def _kept(store: Path) -> dict[str, Any]:
    """This process's view of the kept kernels, read once."""
    try:
        kept = json.loads(read_cached(store) or "{}")
    except ValueError:
        return {}
    return kept if isinstance(kept, dict) else {}


def _store() -> Path:
    return cache_folder() / f"kernels-{_code_key()}.json"


@functools.cache
def _code_key() -> str:
    """What the parse depends on besides the text: convcli's and NumPy's versions (generated
    kernels are computed with NumPy) and this package's files."""
    import numpy as np

    here = Path(__file__).parent
    stamps = [__version__, np.__version__]
    for module in sorted(here.glob("*.py")):
        stat = module.stat()
        stamps.append(f"{module.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return f"{zlib.crc32('|'.join(stamps).encode()):08x}"


def _encode(kernel: AnyKernel) -> dict[str, Any]:
    data = {field.name: getattr(kernel, field.name) for field in fields(kernel)}
    data["tags"] = list(kernel.tags)
    if isinstance(kernel, CombinedKernel):
        data["parts"] = [_encode(part) for part in kernel.parts]
    else:
        data["weights"] = kernel.weights.tolist()
    return data


def _decode(data: dict[str, Any]) -> AnyKernel:
    values = dict(data, tags=tuple(data["tags"]))
    if "parts" in values:
        values["parts"] = tuple(_decode(part) for part in values["parts"])
        return CombinedKernel(**values)
    return Kernel(**values)
