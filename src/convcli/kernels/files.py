"""Reading kernel files: the format follows the extension (YAML, plain text, vips .mat, GEGL's
convolution-matrix .gegl, .npy)."""

from __future__ import annotations

import os
import tokenize
from pathlib import Path

import numpy as np

from convcli.errors import KernelError
from convcli.kernels.model import MAX_KERNEL_SIDE, AnyKernel, Kernel, Source, check_weights
from convcli.kernels.text import parse_gegl, parse_grid, parse_vips_matrix
from convcli.kernels.yamlfile import Resolve, parse_yaml_kernels
from convcli.places import config_folder

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
TEXT_SUFFIXES = frozenset({".txt", ".kernel", ".csv"})
KERNEL_SUFFIXES = YAML_SUFFIXES | TEXT_SUFFIXES | {".mat", ".npy", ".gegl"}

#: Kernel files are small; anything larger is refused before it is read.
MAX_KERNEL_FILE_BYTES = 4 * 1024 * 1024


def load_kernel_file(path: Path, *, source: Source = "file", resolve: Resolve) -> list[AnyKernel]:
    """Every kernel in the file at ``path``; a text, .mat or .npy file holds exactly one."""
    where = str(path)
    suffix = path.suffix.lower()
    name = path.stem.lower()
    if suffix == ".npy":
        _check_size(path)
        return [_load_npy(path, name, source)]
    text = read_kernel_text(path)
    common = {"name": name, "source": source, "path": where}
    if suffix in YAML_SUFFIXES:
        return yaml_file_kernels(path, text, source, resolve)
    if suffix == ".gegl":
        weights, scale, offset = parse_gegl(text, where)
        return [
            Kernel(weights=weights, scale=scale, offset=offset, offset_relative=True, **common)  # type: ignore[arg-type]
        ]
    if suffix == ".mat":
        weights, divisor, offset = parse_vips_matrix(text, where)
        return [Kernel(weights=weights, scale=1.0 / divisor, offset=offset, **common)]  # type: ignore[arg-type]
    return [Kernel(weights=parse_grid(text, where), **common)]  # type: ignore[arg-type]


def yaml_file_kernels(path: Path, text: str, source: Source, resolve: Resolve) -> list[AnyKernel]:
    """The kernels in ``text``, read from the YAML file at ``path``: a one-kernel file's kernel
    is named after the file, and every message names its path."""
    where = str(path)
    return parse_yaml_kernels(
        text,
        where=where,
        default_name=path.stem.lower(),
        source=source,
        path=where,
        resolve=resolve,
    )


def read_kernel_text(path: Path) -> str:
    """The text of the kernel file at ``path``, or a KernelError: too large, unreadable, or
    not UTF-8."""
    _check_size(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KernelError(f"cannot read kernel file {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KernelError(f"{path}: not a text file (it is not UTF-8)") from None


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise KernelError(f"cannot read kernel file {path}: {exc.strerror or exc}") from None
    if size > MAX_KERNEL_FILE_BYTES:
        raise KernelError(
            f"{path}: {size:,} bytes is too large for a kernel file "
            f"(the limit is {MAX_KERNEL_FILE_BYTES // 1024 // 1024} MiB)"
        )


def _load_npy(path: Path, name: str, source: Source) -> Kernel:
    try:
        with path.open("rb") as stream:  # check the promised shape before numpy allocates it
            major, _ = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, _, _ = read_header(stream)
        if len(shape) > 2 or any(side > MAX_KERNEL_SIDE for side in shape):
            raise KernelError(
                f"{path}: a {'×'.join(map(str, shape))} array is not a kernel convcli accepts "
                f"(at most 2-D and {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE})"
            )
        array = np.load(path, allow_pickle=False)
    except KernelError:
        raise
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KernelError(f"{path}: not a readable .npy array ({reason})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise KernelError(f"{path}: a .npy kernel must hold numbers")
    try:
        weights = check_weights(array, name)
    except KernelError as exc:
        raise KernelError(f"{path}: {exc}") from None
    return Kernel(weights=weights, name=name, source=source, path=str(path))


def is_kernel_file(path: Path) -> bool:
    """Whether the library should read ``path`` (hidden files and other suffixes are skipped)."""
    return path.suffix.lower() in KERNEL_SUFFIXES and not path.name.startswith(".")


def kernel_path_from_env() -> list[Path]:
    """The user's kernel folders: ``CONVCLI_KERNEL_PATH`` entries, then the config folder."""
    folders = [
        Path(p).expanduser()
        for p in os.environ.get("CONVCLI_KERNEL_PATH", "").split(os.pathsep)
        if p
    ]
    folders.append(config_folder() / "kernels")
    return folders
