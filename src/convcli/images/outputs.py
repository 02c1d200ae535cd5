"""Getting bytes in and out: input files or stdin, atomic output files or stdout.

An output file is written to a temporary file in the same folder and renamed over the target
only when complete, so an error or an interrupt never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from convcli.errors import ImageReadError, ImageWriteError, UsageError

#: One piece of an encoded file: bytes, or a view of samples written as they lie in memory.
Part = bytes | memoryview

STDIO = "-"


def read_input(name: str, stdin: BinaryIO) -> bytes:
    """The bytes of the file ``name``, or of ``stdin`` for ``-``."""
    if name == STDIO:
        if stdin.isatty():
            raise UsageError("no image on stdin: pipe one in, or give a file name instead of -")
        return stdin.read()
    path = Path(name)
    try:
        if path.is_dir():
            raise ImageReadError(f"{name} is a folder, not an image file")
        return path.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"cannot read {name}: {exc.strerror or exc}") from None


def open_input(name: str, stdin: BinaryIO) -> bytes | Path:
    """What to decode: stdin's bytes for ``-``, else the checked path (read while decoding)."""
    if name == STDIO:
        return read_input(name, stdin)
    path = Path(name)
    if path.is_dir():
        raise ImageReadError(f"{name} is a folder, not an image file")
    if not path.exists():
        raise ImageReadError(f"cannot read {name}: No such file or directory")
    return path


def check_output_target(output: str, inputs: list[str]) -> None:
    """Refuse to write over an input, before any work starts."""
    if output == STDIO:
        return
    target = Path(output)
    for name in inputs:
        if name != STDIO and _same_file(Path(name), target):
            raise UsageError(f"refusing to overwrite the input {name}; choose another `output`")
    if target.is_dir():
        raise UsageError(f"{output} is a folder; give a file name to `output`")
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ImageWriteError(
            f"cannot create the folder {target.parent}: {blocker} is a file, not a folder"
        )


def write_output(data: bytes | Sequence[Part], output: str, stdout: BinaryIO) -> None:
    """Write ``data`` to the file ``output`` atomically, or to ``stdout`` for ``-``."""
    if output == STDIO:
        for part in _parts(data):
            stdout.write(part)
        stdout.flush()
        return
    atomic_write(Path(output), data)


def atomic_write(path: Path, data: bytes | Sequence[Part]) -> None:
    """Write ``data`` (bytes, or parts to write in turn) to ``path`` through a temporary file
    and a rename; create its folder."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), None)
        reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
        raise ImageWriteError(f"cannot create the folder {folder}: {reason}") from None
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            for part in _parts(data):
                stream.write(part)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise ImageWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _parts(data: bytes | Sequence[Part]) -> Sequence[Part]:
    return [data] if isinstance(data, bytes) else data


def _new_file_mode(path: Path) -> int:
    """Keep an existing file's permissions; new files get the usual 0o666 minus the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()
