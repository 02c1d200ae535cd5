"""One filtering job from bytes to bytes: decode, filter, convert to output samples, encode.

The CLI and the batch workers both run this; it knows nothing of terminals or paths on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convcli.filtering.pipeline import (
    FilterOptions,
    explain_chain,
    filter_picture,
    filter_picture_rounded,
)
from convcli.filtering.quantize import DTYPES, Clipped, Depth, default_depth, quantize
from convcli.images.imageio import Encoding, encode_parts, output_format, read_picture
from convcli.images.limits import DEFAULT_MAX_PIXELS
from convcli.images.outputs import Part
from convcli.images.picture import Picture
from convcli.kernels import AnyKernel, Kernel

#: Formats whose samples are the raw float results by default.
ARRAY_OUTPUTS = frozenset({"NPY", "TXT", "CSV"})


@dataclass(frozen=True)
class OutputOptions:
    """How results become output samples and bytes."""

    depth: Depth | None = None  #: None keeps the input's depth (float for array outputs)
    absolute: bool = False
    normalize: bool = False
    format: str | None = None  #: overrides the output name's extension
    encoding: Encoding = field(default_factory=Encoding)


@dataclass
class JobReport:
    """What a user should hear about one job."""

    notes: list[str] = field(default_factory=list)
    clipped: Clipped | None = None
    #: The engine's plan for each kernel, when asked for (``--explain``).
    plans: list[str] = field(default_factory=list)


def filter_image(
    data: bytes | Path,
    input_name: str,
    chain: list[AnyKernel],
    options: FilterOptions,
    output: OutputOptions,
    *,
    array_output: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    explain: bool = False,
) -> tuple[Picture, JobReport]:
    """Decode ``data`` and filter it into output samples."""
    picture = read_picture(data, input_name, max_pixels=max_pixels)
    _check_overflow(picture, chain, options)
    report = JobReport(notes=list(picture.notes))
    if explain:
        report.plans = explain_chain(picture, chain, options)
    depth = output.depth or default_depth(picture, array_output)
    fast = None
    if depth != "float" and not output.absolute and not output.normalize:
        fast = filter_picture_rounded(picture, chain, options, np.dtype(DTYPES[depth]))
    if fast is not None:
        pixels, (low, high, total) = fast
        result, clipped = picture.with_pixels(pixels), Clipped(low, high, total)
    else:
        filtered = filter_picture(picture, chain, options)
        result, clipped = quantize(
            filtered, depth, absolute=output.absolute, normalize=output.normalize
        )
    report.clipped = clipped
    clip_message = clipping_note(clipped, result.full_range)
    if clip_message:
        report.notes.append(clip_message)
    return result, report


def filter_bytes(
    data: bytes | Path,
    input_name: str,
    output_name: str,
    chain: list[AnyKernel],
    options: FilterOptions,
    output: OutputOptions,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    explain: bool = False,
) -> tuple[list[Part], JobReport]:
    """The encoded output for ``data`` (bytes, or a file read as it is decoded), in parts to
    write one after the other: the whole job, for one file or stdin."""
    fmt = output_format(output_name, output.format)
    result, report = filter_image(
        data,
        input_name,
        chain,
        options,
        output,
        array_output=fmt in ARRAY_OUTPUTS,
        max_pixels=max_pixels,
        explain=explain,
    )
    del data  # nothing of the input is needed while encoding
    encoded, notes = encode_parts(result, fmt, output_name, output.encoding)
    report.notes.extend(notes)
    return encoded, report


def _gain(kernel: AnyKernel) -> float:
    """How much a kernel can multiply a value, at most (largest weight × taps × scale)."""
    if isinstance(kernel, Kernel):
        raw = float(np.max(np.abs(kernel.weights))) * kernel.weights.size
    else:
        raw = sum(_gain(part) for part in kernel.parts)
    return raw * abs(kernel.scale)


def _check_overflow(picture: Picture, chain: list[AnyKernel], options: FilterOptions) -> None:
    """Refuse a chain whose results could overflow float32 on this picture."""
    from convcli.errors import UsageError

    top = float(np.max(np.abs(picture.pixels))) if picture.is_float else picture.full_range
    bound = max(top, abs(options.fill), 1.0)
    for _ in range(options.repeat):
        for kernel in chain:
            bound = _gain(kernel) * bound + abs(kernel.offset_for(picture.full_range))
    if not bound < 1e37:
        raise UsageError(
            "the kernels' weights, `scale`, `offset`, `fill` or `repeat` make results too large "
            "for 32-bit floats"
        )


def weight_sum_notes(chain: list[AnyKernel]) -> list[str]:
    """A note for each kernel whose weights sum to neither 0 nor 1 (brightness will change)."""
    notes = []
    for kernel in dict.fromkeys(chain):  # each kernel once, in order
        if not isinstance(kernel, Kernel):
            continue
        total = kernel.effective_sum
        if abs(total) > 1e-9 and abs(total - 1) > 1e-9:
            notes.append(
                f"kernel {kernel.name!r} sums to {total:.6g}, not 0 or 1, so it scales brightness "
                f"by {total:.6g}; use `scale` 1/{kernel.weight_sum:.6g} or 'normalize: true' "
                "to keep it"
            )
    return notes


def clipping_note(clipped: Clipped, output_max: float) -> str | None:
    """One line saying how many filtered values were clipped, or None if none were."""
    if not clipped.count:
        return None
    share = 100 * clipped.count / max(clipped.total, 1)
    percent = f"{share:.0f}" if share >= 10 else f"{share:.2g}"
    return (
        f"{clipped.count:,} of {clipped.total:,} values ({percent}%) fell outside "
        f"0..{output_max:g} "
        f"and were clipped ({clipped.low:,} below, {clipped.high:,} above); "
        "`abs`, `normalize`, `offset` 50% or a .npy output keep them"
    )
