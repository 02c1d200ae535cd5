"""fsspec URLs (``s3://``, ``gs://``, ``file://``, ``memory://`` ...) as batch inputs and outputs.

On a cluster whose workers share no file system, workers read and write the objects themselves:
only URLs travel. The backend for a scheme comes from its own package (s3fs, gcsfs ...); fsspec
itself comes with the Dask extra. Object stores write whole objects at once, so an output is
never seen half-written there either.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from typing import Any

from convcli.errors import ImageReadError, ImageWriteError, UsageError
from convcli.images.outputs import Part


def is_url(value: object) -> bool:
    """Whether ``value`` names a location through fsspec (it has a ``scheme://``)."""
    return isinstance(value, str) and "://" in value


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec file system for ``url`` and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"{url}: URLs need fsspec: pip install 'convcli[dask]'") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"{url}: {' '.join(str(exc).split())}") from None
    return fs, path


def join(base: str, *parts: str) -> str:
    return posixpath.join(base.rstrip("/"), *parts)


def walk(url: str, extensions: frozenset[str]) -> Iterator[tuple[str, str]]:
    """Image objects under the folder ``url``: (URL, path relative to ``url``), in order."""
    fs, root = filesystem(url)
    protocol = url.split("://", 1)[0]
    for path in sorted(fs.find(root)):
        if posixpath.splitext(path)[1].lower() in extensions:
            relative = posixpath.relpath(path, root)
            yield (
                f"{protocol}://{path.lstrip('/')}" if protocol != "file" else f"file://{path}",
                (relative),
            )


def is_folder(url: str) -> bool:
    fs, path = filesystem(url)
    return bool(fs.isdir(path))


def exists(url: str) -> bool:
    fs, path = filesystem(url)
    return bool(fs.exists(path))


def read(url: str) -> bytes:
    fs, path = filesystem(url)
    try:
        with fs.open(path, "rb") as stream:
            return bytes(stream.read())
    except (OSError, ValueError) as exc:
        raise ImageReadError(f"cannot read {url}: {exc}") from None


def write(url: str, parts: bytes | Sequence[Part]) -> None:
    fs, path = filesystem(url)
    try:
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        with fs.open(path, "wb") as stream:
            for part in [parts] if isinstance(parts, bytes) else parts:
                stream.write(part)
    except (OSError, ValueError) as exc:
        raise ImageWriteError(f"cannot write {url}: {exc}") from None


def newer(target: str, source: str) -> bool:
    """Whether ``target`` exists and is at least as recent as ``source`` (when both say)."""
    try:
        target_fs, target_path = filesystem(target)
        source_fs, source_path = filesystem(source)
        target_time = target_fs.modified(target_path)
        source_time = source_fs.modified(source_path)
    except (OSError, NotImplementedError, ValueError):
        return False
    return bool(target_time >= source_time)
