"""Images larger than memory: the same filtering, tile by tile, with dask.array.map_overlap.

The image is read lazily (TIFF through tifffile as zarr, zarr, or .npy memory-mapped), cut
into chunks, and each chunk is filtered together with a halo as wide as the kernel reaches.
At the image's edges, where Dask supplies no halo, the block is extended by the border rule
itself, so every output pixel reads exactly what the in-memory engine reads: the results are
the same at every seam. ``wrap`` takes its halos from the opposite edge (Dask's "periodic"
boundary). The output is computed and written one band of chunk-rows at a time, so memory
stays at a few bands of the image's width, whatever its height.

Needs the Dask extra: ``pip install 'convcli[dask]'``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import Finish
from convcli.engine.borders import source_indices
from convcli.engine.geometry import anchor, dilated_span
from convcli.engine.modes import canonical_border
from convcli.engine.request import EXACT_SAMPLE_LIMIT
from convcli.engine.samples import Clipping, to_samples
from convcli.errors import ImageReadError, ImageWriteError, UsageError
from convcli.filtering.filters import Samples, carried_unit, carry, kernel_values
from convcli.filtering.pipeline import FilterOptions, output_depth
from convcli.kernels import AnyKernel, Kernel

#: Formats written band by band.
TILED_OUTPUTS = (".tif", ".tiff", ".zarr", ".npy")
DASK_HINT = "this needs the Dask extra: pip install 'convcli[dask]'"


def require_dask() -> None:
    """A usage error (exit 2) naming the extra, when Dask is not installed."""
    try:
        import dask.array  # noqa: F401
    except ImportError:
        raise UsageError(DASK_HINT) from None


class LazyImage:
    """A picklable, lazily opened TIFF, zarr or .npy image: each process opens the file itself
    (tifffile's zarr store holds a lock and cannot travel to another process)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._array: Any = None
        self._store: Any = None
        array = self._open()
        self.shape: tuple[int, ...] = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)
        self.ndim = len(self.shape)
        self.close()

    def _open(self) -> Any:
        if self._array is not None:
            return self._array
        import logging

        logging.getLogger("tifffile").setLevel(logging.CRITICAL)  # errors come as exceptions
        suffix = Path(self.path).suffix.lower()
        try:
            if suffix == ".npy":
                self._array = np.load(self.path, mmap_mode="r", allow_pickle=False)
                return self._array
            import zarr

            if suffix == ".zarr":
                self._array = zarr.open_array(self.path, mode="r")
                return self._array
            import tifffile

            self._store = tifffile.imread(self.path, aszarr=True, level=0)
            self._array = zarr.open_array(self._store, mode="r")
            return self._array
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.close()
            raise ImageReadError(f"{self.path}: cannot read it tile by tile ({exc})") from None

    def __getitem__(self, index: Any) -> Any:
        return np.asarray(self._open()[index])

    def close(self) -> None:
        """Close the file this process opened (tifffile keeps it open while reading)."""
        if self._store is not None:
            self._store.close()
        self._array = self._store = None

    def __del__(self) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_array": None, "_store": None}


@dataclass(frozen=True)
class TiledReport:
    shape: tuple[int, ...]
    chunks: int
    bands: int


def filter_tiled(
    source: str,
    target: str,
    chain: Sequence[AnyKernel],
    options: FilterOptions,
    *,
    depth: str | None = None,
    chunk: int = 2048,
    band_rows: int = 1,
    client: Any = None,
) -> TiledReport:
    """Filter ``source`` into ``target`` in chunks of ``chunk``² pixels, band by band.

    ``depth`` is "8", "16" or "float" (default: the input's). Only what is exact tile by tile
    is accepted: plain kernels (chains and repeats too), ``same`` padding, stride 1.
    """
    require_dask()
    import dask
    import dask.array as da

    _check_supported(chain, options)
    image = LazyImage(source)
    if image.ndim not in (2, 3) or image.dtype.kind not in "uif":
        raise ImageReadError(f"{source}: a tiled image is (H, W) or (H, W, C) numbers")
    array = da.from_array(image, chunks=(chunk, chunk, -1)[: image.ndim], asarray=False)  # type: ignore[no-untyped-call]
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    out_dtype = _output_dtype(image.dtype, depth)
    full_range = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
    result = array
    steps = [kernel for _ in range(options.repeat) for kernel in chain]
    carried = False
    for index, kernel in enumerate(steps):
        last = index == len(steps) - 1
        assert isinstance(kernel, Kernel)  # checked above
        result = _step(result, kernel, options, full_range, out_dtype if last else None, carried)
        carried = image.dtype.kind in "ui"  # the next step reads fixed point, as in memory
    if not steps:
        result = result.astype(out_dtype)
    if image.ndim == 2:
        result = result[:, :, 0]
    try:
        bands = _store(result, target, chunk * band_rows, client, dask)
    finally:
        image.close()
    return TiledReport(tuple(result.shape), int(np.prod(result.numblocks)), bands)


def _check_supported(chain: Sequence[AnyKernel], options: FilterOptions) -> None:
    if any(not isinstance(kernel, Kernel) for kernel in chain):
        raise UsageError("tiled filtering takes plain kernels, not combined ones (yet)")
    if options.padding != "same" or options.stride != 1:
        raise UsageError("tiled filtering keeps the image's size: padding 'same', stride 1")
    if options.gray or options.premultiply or options.channels:
        raise UsageError(
            "tiled filtering filters every channel: no `gray`, `premultiply` or `channels`"
        )


def _output_dtype(dtype: np.dtype[Any], depth: str | None) -> np.dtype[Any]:
    if depth == "float" or (depth is None and dtype.kind == "f"):
        return np.dtype(np.float32)
    if depth == "16" or (depth is None and dtype == np.uint16):
        return np.dtype(np.uint16)
    if depth in ("8", None) and dtype.kind in "ui":
        return np.dtype(np.uint8)
    raise UsageError(f"cannot write {dtype} samples at depth {depth}")


def _reach(taps: int, dilation: int, turned: bool) -> tuple[int, int]:
    """How far the kernel reads before and after a pixel along one axis."""
    span = dilated_span(taps, dilation)
    before = anchor(span, turned)
    return before, span - 1 - before


def _step(
    array: Any,
    kernel: Kernel,
    options: FilterOptions,
    full_range: float,
    out_dtype: np.dtype[Any] | None,
    carried: bool,
) -> Any:
    """One kernel over the whole lazy array: a map_overlap with the kernel's reach as halo.

    ``out_dtype`` None means an intermediate step: its values go on to the next kernel as the
    in-memory chain carries them (fixed point for integer input, float32 for float input)."""
    reaches = [_reach(kernel.shape[a], options.dilation, options.convolve) for a in (0, 1)]
    depth = {0: max(reaches[0]), 1: max(reaches[1]), 2: 0}
    border = canonical_border(options.border, options.fill)
    boundary = "periodic" if border == "wrap" else "none"
    array = array.rechunk({axis: _at_least(array.chunks[axis], depth[axis]) for axis in (0, 1)})
    chunks = array.chunks
    shape = array.shape
    exact = array.dtype.kind in "biu"
    dtype = out_dtype or np.dtype(np.int32 if exact else np.float32)
    unit = carried_unit(full_range) if carried else 1.0
    fill = options.fill / unit  # in the samples' own units

    def block(values: npt.NDArray[Any], block_info: dict[Any, Any] | None = None) -> Any:
        assert block_info is not None
        location = block_info[0]["chunk-location"]
        extended = values
        for axis in (0, 1):
            index = location[axis]
            start = sum(chunks[axis][:index])
            stop = start + chunks[axis][index]
            had_before = depth[axis] if (index > 0 or boundary == "periodic") else 0
            extended = _extend(
                extended,
                axis,
                start,
                stop,
                had_before,
                reaches[axis],
                shape[axis],
                border,
                fill,
            )
        return _filter_block(extended, kernel, options, full_range, out_dtype, carried)

    return array.map_overlap(
        block,
        depth=depth,
        boundary=boundary,
        trim=False,
        dtype=dtype,
        chunks=chunks,
        allow_rechunk=False,
    )


def _at_least(sizes: tuple[int, ...], depth: int) -> tuple[int, ...]:
    """Chunk sizes along an axis with none below ``depth`` (a halo must fit in its neighbour)."""
    if min(sizes) >= depth or len(sizes) == 1:
        return sizes
    total, size = sum(sizes), max(depth, max(sizes))
    merged = [size] * (total // size)
    remainder = total - size * len(merged)
    if remainder:
        if remainder < depth and merged:
            merged[-1] += remainder
        else:
            merged.append(remainder)
    return tuple(merged)


def _extend(
    values: npt.NDArray[Any],
    axis: int,
    start: int,
    stop: int,
    had_before: int,
    reach: tuple[int, int],
    size: int,
    border: str,
    fill: float,
) -> npt.NDArray[Any]:
    """Cut or extend a block so that along ``axis`` it covers exactly what its core's pixels
    read: ``reach`` before and after. Where the block lacks a halo (the image's edge), the
    border rule supplies the samples, from the block itself."""
    first, last = start - reach[0], stop - 1 + reach[1]
    block_first = start - had_before  # image index of the block's first sample
    if border == "wrap":  # Dask's periodic halos already hold the right samples
        offset = first - block_first
        index = [slice(None)] * values.ndim
        index[axis] = slice(offset, offset + last - first + 1)
        return values[tuple(index)]
    wanted = source_indices(size, first, last, border)  # type: ignore[arg-type]
    local = np.where(wanted >= 0, wanted - block_first, -1)
    inside = wanted >= 0
    if inside.any() and (local[inside].min() < 0 or local[inside].max() >= values.shape[axis]):
        raise AssertionError("a tile is smaller than the kernel's reach")  # rechunked by Dask
    taken = np.take(values, np.clip(local, 0, None), axis=axis)
    if border == "constant" and not inside.all():
        outside: list[Any] = [slice(None)] * values.ndim
        outside[axis] = np.flatnonzero(~inside)
        taken[tuple(outside)] = fill
    return taken


def _filter_block(
    extended: npt.NDArray[Any],
    kernel: Kernel,
    options: FilterOptions,
    full_range: float,
    out_dtype: np.dtype[Any] | None,
    carried: bool,
) -> npt.NDArray[Any]:
    """The block's core, computed by the very functions the in-memory path calls (with valid
    padding on the extended block), so every seam holds the in-memory pixels."""
    engine = replace(options.engine, padding="valid", stride=1, threads=1)
    if carried:
        samples = Samples(extended, carried_unit(full_range), EXACT_SAMPLE_LIMIT)
    else:
        samples = Samples(extended)
    values = kernel_values(samples, kernel, engine, options.convolve, full_range)
    if out_dtype is None:
        return carry(values, full_range).values if samples.exact else values
    if out_dtype.kind == "f":
        return values.astype(np.float32, copy=False)
    pixels = np.empty(values.shape, dtype=out_dtype)
    to_samples(values, Finish(depth=output_depth(out_dtype, full_range)), pixels, Clipping())
    return pixels


def _store(result: Any, target: str, band: int, client: Any, dask: Any) -> int:
    """Write ``result`` band by band into ``target`` (.zarr, .npy or .tif), atomically."""
    suffix = Path(target).suffix.lower()
    if suffix not in TILED_OUTPUTS:
        raise UsageError(f"{target}: tiled outputs are {', '.join(TILED_OUTPUTS)}")
    folder = Path(target).parent
    folder.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{Path(target).name}.", suffix=".part", dir=folder))
    partial = temporary / Path(target).name
    bands = 0
    try:
        bands = _write(result, partial, suffix, band, client, dask)
        if Path(target).is_dir():
            shutil.rmtree(target)
        os.replace(partial, target)
    except OSError as exc:
        raise ImageWriteError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return bands


def _write(result: Any, path: Path, suffix: str, band: int, client: Any, dask: Any) -> int:
    rows = result.shape[0]
    count = 0

    def bands() -> Iterator[tuple[slice, Any]]:
        nonlocal count
        for top in range(0, rows, band):
            count += 1
            part = result[top : top + band]
            values = (
                client.compute(part).result()
                if client is not None
                else part.compute(scheduler="threads")
            )
            yield slice(top, top + len(values)), values

    if suffix == ".npy":
        mapped = np.lib.format.open_memmap(path, mode="w+", dtype=result.dtype, shape=result.shape)
        for rows_slice, values in bands():
            mapped[rows_slice] = values
        mapped.flush()
        del mapped
    elif suffix == ".zarr":
        import zarr

        target = zarr.open_array(
            str(path),
            mode="w",
            shape=result.shape,
            dtype=result.dtype,
            chunks=tuple(c[0] for c in result.chunks),
        )
        for rows_slice, values in bands():
            target[rows_slice] = values
    else:
        import tifffile

        def tiles() -> Iterator[npt.NDArray[Any]]:
            for _, values in bands():
                yield values

        with tifffile.TiffWriter(path, bigtiff=True) as writer:
            writer.write(
                tiles(),
                shape=result.shape,
                dtype=result.dtype,
                rowsperstrip=band,
                photometric="minisblack"
                if result.ndim == 2 or result.shape[2] in (1, 2)
                else "rgb",
            )
    return count
