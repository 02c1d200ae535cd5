"""``convcli apply``: filter an image with a kernel (or a chain of kernels)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import RunState, note, reporting_errors, warn
from convcli.cli.options import Quiet
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from convcli.cli.batching import ClusterOptions
    from convcli.filtering.pipeline import FilterOptions
    from convcli.kernels import AnyKernel
    from convcli.runs.batch import Naming
    from convcli.runs.jobs import JobReport, OutputOptions

ENGINE = "Engine"
VALUES = "Output values"
CHANNELS = "Channels"
FILES = "Input and output"
SCALE = "Large images and clusters"
BATCH = "Many files"


def apply(
    kernel: Annotated[
        str,
        typer.Argument(
            help="A library name (sharpen), a file (edge.txt, blur.yaml, k.mat), a generator "
            "(gaussian:sigma=2), an inline matrix ('0 -1 0; -1 5 -1; 0 -1 0'), or a chain "
            "'gaussian-3 | sharpen'.",
            autocompletion=options.complete_kernel,
            metavar="KERNEL",
            show_default=False,
        ),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Images to filter (PNG, JPEG, TIFF, ... or .npy/.txt/.csv), - for stdin, or "
            "folders (walked recursively, their layout mirrored under -o).",
            metavar="INPUT...",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write: a file (format from the extension), - for stdout, or a folder "
            "for several inputs.",
            rich_help_panel=FILES,
            show_default=False,
        ),
    ] = None,
    suffix: Annotated[
        str | None,
        typer.Option(
            help="Add this to each output's name (photo.png → photo_sharp.png with _sharp); "
            "without -o, outputs sit beside their inputs.",
            rich_help_panel=BATCH,
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Name outputs from a template with {stem}, {ext} and {name}, e.g. "
            "'{stem}-edges.{ext}'.",
            rich_help_panel=BATCH,
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes for several inputs (default: one per core).",
            rich_help_panel=BATCH,
            show_default=False,
        ),
    ] = None,
    files_from: Annotated[
        str | None,
        typer.Option(
            help="Read input paths from this file, or - for stdin, one per line.",
            rich_help_panel=BATCH,
            show_default=False,
        ),
    ] = None,
    null: Annotated[
        bool,
        typer.Option(
            "--null",
            "-0",
            help="--files-from paths end with NUL (find -print0).",
            rich_help_panel=BATCH,
        ),
    ] = False,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing",
            help="Skip outputs that exist and are newer than their input (resume a batch).",
            rich_help_panel=BATCH,
        ),
    ] = False,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast", help="Stop at the first file that fails.", rich_help_panel=BATCH
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Run on a Dask cluster: the scheduler's address (tcp://host:8786). Needs "
            "convcli[dask].",
            rich_help_panel=SCALE,
            show_default=False,
        ),
    ] = None,
    scheduler_file: Annotated[
        str | None,
        typer.Option(
            help="Run on the Dask cluster described by this scheduler file (dask-jobqueue, "
            "dask-mpi).",
            rich_help_panel=SCALE,
            show_default=False,
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Retry a cluster task this many times when a worker fails.",
            rich_help_panel=SCALE,
        ),
    ] = 1,
    files_per_task: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Files per cluster task (default 64: Dask's per-task cost must not dominate).",
            rich_help_panel=SCALE,
            show_default=False,
        ),
    ] = None,
    tiled: Annotated[
        bool,
        typer.Option(
            "--tiled",
            help="Filter tile by tile, for images larger than memory (TIFF, .zarr, .npy). "
            "Needs convcli[dask].",
            rich_help_panel=SCALE,
        ),
    ] = False,
    chunk: Annotated[
        int,
        typer.Option(min=16, help="Tile size in pixels for --tiled.", rich_help_panel=SCALE),
    ] = 2048,
    quiet: Quiet = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print what would be written, and write nothing.",
            rich_help_panel=BATCH,
        ),
    ] = False,
    format: Annotated[
        str | None,
        typer.Option(
            help="Output format: png, tif, jpg, npy, txt ... (default: from -o; PNG for -o -).",
            rich_help_panel=FILES,
            show_default=False,
        ),
    ] = None,
    compression: Annotated[
        int,
        typer.Option(
            min=0,
            max=9,
            help="PNG compression level: 1 is fast (the default), 9 smallest.",
            rich_help_panel=FILES,
        ),
    ] = 1,
    quality: Annotated[
        int,
        typer.Option(min=1, max=100, help="JPEG and WebP quality.", rich_help_panel=FILES),
    ] = 95,
    as_array: Annotated[
        bool,
        typer.Option(
            "--as-array", help="Print the result as a matrix instead.", rich_help_panel=FILES
        ),
    ] = False,
    max_pixels: Annotated[
        int,
        typer.Option(
            min=1, help="Refuse larger images (decompression-bomb guard).", rich_help_panel=FILES
        ),
    ] = DEFAULT_MAX_PIXELS,
    border: Annotated[
        str,
        typer.Option(
            callback=options.border,
            autocompletion=options.complete_border,
            help="Outside the image: reflect (dcba|abcd), mirror (dcb|abcd), nearest "
            "(aaa|abcd), wrap (abcd|abcd) or constant (kkk|abcd, k = --fill). Other tools' "
            "names work too: replicate, symmetric, reflect101, periodic, zero ...",
            rich_help_panel=ENGINE,
        ),
    ] = "reflect",
    fill: Annotated[
        float, typer.Option(help="The value outside for --border constant.", rich_help_panel=ENGINE)
    ] = 0.0,
    padding: Annotated[
        Literal["same", "valid", "full"],
        typer.Option(
            help="Output size: same as the input, valid (kernel fully inside), full (overlap).",
            rich_help_panel=ENGINE,
        ),
    ] = "same",
    stride: Annotated[
        int, typer.Option(min=1, help="Keep every n-th row and column.", rich_help_panel=ENGINE)
    ] = 1,
    dilation: Annotated[
        int, typer.Option(min=1, help="Space the taps n pixels apart.", rich_help_panel=ENGINE)
    ] = 1,
    convolve: Annotated[
        bool,
        typer.Option(
            "--convolve",
            help="True convolution (kernel turned 180°). The default applies the kernel as "
            "written, like OpenCV filter2D and vips conv.",
            rich_help_panel=ENGINE,
        ),
    ] = False,
    repeat: Annotated[
        int,
        typer.Option(min=1, help="Apply the kernel (or chain) n times.", rich_help_panel=ENGINE),
    ] = 1,
    method: Annotated[
        Literal["auto", "direct", "separable", "fft"],
        typer.Option(
            help="How to compute: auto (a cost model picks), direct, separable or fft. All give "
            "the same result up to float rounding.",
            rich_help_panel=ENGINE,
        ),
    ] = "auto",
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Threads for the engine (default: every core where it pays, i.e. FFT; else 1).",
            rich_help_panel=ENGINE,
            show_default=False,
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Say on stderr which plan the engine chose, and why.",
            rich_help_panel=ENGINE,
        ),
    ] = False,
    absolute: Annotated[
        bool,
        typer.Option("--abs", help="Magnitude of signed results (edges).", rich_help_panel=VALUES),
    ] = False,
    normalize: Annotated[
        bool,
        typer.Option(
            "--normalize", help="Stretch min..max to the full range.", rich_help_panel=VALUES
        ),
    ] = False,
    scale: Annotated[
        float | None,
        typer.Option(
            parser=options.scale,
            metavar="NUMBER",
            help="Multiply the result, replacing the kernel's own scale (e.g. 1/16).",
            rich_help_panel=VALUES,
            show_default=False,
        ),
    ] = None,
    offset: Annotated[
        options.Offset | None,
        typer.Option(
            parser=options.offset,
            metavar="VALUE|N%",
            help="Add after scaling, replacing the kernel's own: a value, or a percentage (50%).",
            rich_help_panel=VALUES,
            show_default=False,
        ),
    ] = None,
    depth: Annotated[
        Literal["8", "16", "float"] | None,
        typer.Option(
            help="Output samples: 8 or 16 bits, or float (signed and unclipped, for .npy or a "
            "one-channel .tif). Default: the input's depth; float for .npy/.txt/.csv.",
            rich_help_panel=VALUES,
            show_default=False,
        ),
    ] = None,
    gray: Annotated[
        bool, typer.Option("--gray", help="Convert to luminance first.", rich_help_panel=CHANNELS)
    ] = False,
    channels: Annotated[
        str | None,
        typer.Option(
            help="Channels to filter, e.g. RGB, R, A. Default: all but alpha, which is carried "
            "through unfiltered.",
            rich_help_panel=CHANNELS,
            show_default=False,
        ),
    ] = None,
    premultiply: Annotated[
        bool,
        typer.Option(
            "--premultiply",
            help="Weight colour by alpha, so transparent edges get no dark halo (filters alpha "
            "too).",
            rich_help_panel=CHANNELS,
        ),
    ] = False,
) -> None:
    """Filter an image with a kernel and write the result.

    [bold]Examples[/]

    [dim]$[/] convcli apply sharpen photo.jpg -o sharp.jpg

    [dim]$[/] convcli apply sobel-x scan.png -o edges.npy  [dim]# signed, unclipped values[/]

    [dim]$[/] convcli apply 'gaussian:sigma=2 | sharpen' in.png -o out.png --repeat 2

    [dim]$[/] convcli apply '0 -1 0; -1 5 -1; 0 -1 0' - -o - < in.png > out.png

    [dim]$[/] convcli apply sharpen photos/ -o sharp/ --jobs 2  [dim]# a folder, mirrored[/]

    [dim]$[/] find photos -name '*.png' -print0 | convcli apply blur --files-from - -0 -o out/
    """
    if quiet:
        RunState.quiet = True
    with reporting_errors():
        from convcli.cli.batching import ClusterOptions, is_batch, read_paths
        from convcli.engine.modes import canonical_border
        from convcli.errors import UsageError
        from convcli.filtering.pipeline import FilterOptions, with_overrides
        from convcli.images.imageio import Encoding
        from convcli.images.outputs import check_output_target
        from convcli.kernels import resolve_chain, source_files
        from convcli.runs import jobs as job_settings

        paths = list(inputs or [])
        if files_from is not None:
            paths += read_paths(files_from, null)
        batch = is_batch(paths, output, suffix, name, files_from)
        if not paths:
            raise UsageError(
                "missing INPUT: give image files, folders, - for stdin, or --files-from"
            )
        if not batch:
            _check_destination(paths[0], output, as_array)
        canonical_border(border, fill)  # 'zero' with a non-zero --fill is a contradiction
        chain = with_overrides(
            resolve_chain(kernel), scale, (offset.value, offset.relative) if offset else None
        )
        if output is not None and not batch:
            check_output_target(output, [paths[0], *source_files(chain)])
        if scale is None:
            for message in job_settings.weight_sum_notes(chain):
                note(f"note: {message}")
        work = _Work(
            chain,
            FilterOptions(
                convolve=convolve,
                border=border,
                fill=fill,
                padding=padding,
                stride=stride,
                dilation=dilation,
                repeat=repeat,
                channels=channels,
                premultiply=premultiply,
                gray=gray,
                method=method,
                threads=threads,
            ),
            job_settings.OutputOptions(
                depth=depth,
                absolute=absolute,
                normalize=normalize,
                format=format,
                encoding=Encoding(compression=compression, quality=quality, threads=threads),
            ),
            max_pixels,
            explain,
        )
        cluster = None
        if scheduler is not None or scheduler_file is not None:
            cluster = ClusterOptions(scheduler, scheduler_file, retries, files_per_task)
        if batch:
            from convcli.runs.batch import Naming

            naming = Naming(template=name, suffix=suffix or "", extension=_extension(format))
            raise typer.Exit(
                _filter_many(
                    paths, output, naming, work, jobs, fail_fast, dry_run, skip_existing, cluster
                )
            )
        if output is not None and tiled:
            from convcli.cli.tiling import run_tiled

            run_tiled(paths[0], output, work.chain, work.filters, depth, chunk, cluster)
        elif as_array:
            _print_filtered(paths[0], work)
        else:
            assert output is not None  # _check_destination said so
            _filter_one(paths[0], output, work)


@dataclass(frozen=True)
class _Work:
    """What every mode of ``apply`` does to an image: the chain, how, and into which values."""

    chain: list[AnyKernel]
    filters: FilterOptions
    values: OutputOptions
    max_pixels: int
    explain: bool


def _filter_one(input: str, output: str, work: _Work) -> None:
    """One file (or stdin) to one file (or stdout), written whole or not at all."""
    from convcli.images.outputs import open_input, write_output
    from convcli.runs.jobs import filter_bytes

    encoded, report = filter_bytes(
        open_input(input, sys.stdin.buffer),
        input,
        output,
        work.chain,
        work.filters,
        work.values,
        max_pixels=work.max_pixels,
        explain=work.explain,
    )
    _report(report)
    write_output(encoded, output, sys.stdout.buffer)


def _print_filtered(input: str, work: _Work) -> None:
    """``--as-array``: the filtered samples printed, nothing written."""
    from convcli.cli.show_cmd import print_array
    from convcli.images.outputs import open_input
    from convcli.runs.jobs import filter_image

    picture, report = filter_image(
        open_input(input, sys.stdin.buffer),
        input,
        work.chain,
        work.filters,
        work.values,
        array_output=True,
        max_pixels=work.max_pixels,
        explain=work.explain,
    )
    _report(report)
    print_array(picture, channel=None, region=None)


def _filter_many(
    paths: list[str],
    output: str | None,
    naming: Naming,
    work: _Work,
    jobs: int | None,
    fail_fast: bool,
    dry_run: bool,
    skip_existing: bool,
    cluster: ClusterOptions | None,
) -> int:
    """Many files (folders, ``--files-from``, ``--suffix``): the batch's exit code."""
    from convcli.cli.batching import run_batch
    from convcli.kernels import source_files
    from convcli.runs.batch import Settings

    return run_batch(
        paths,
        output,
        naming,
        Settings(work.chain, work.filters, work.values, work.max_pixels, skip_existing),
        jobs=jobs,
        fail_fast=fail_fast,
        dry_run=dry_run,
        protected=source_files(work.chain),
        cluster=cluster,
    )


def _check_destination(input: str, output: str | None, as_array: bool) -> None:
    """Usage errors that need no image: where to write, and never over the input."""
    from convcli.errors import UsageError
    from convcli.images.outputs import check_output_target

    if as_array:
        if output is not None:
            raise UsageError("--as-array prints the result; leave out -o, or drop --as-array")
        return
    if output is None:
        raise UsageError("say where to write: -o FILE, -o - for stdout, or --as-array")
    check_output_target(output, [input])
    if output == "-" and sys.stdout.isatty():
        raise UsageError(
            "refusing to write image bytes to a terminal; "
            "redirect stdout (> out.png) or give -o FILE"
        )


def _extension(format: str | None) -> str | None:
    if format is None:
        return None
    key = format.strip().lower().lstrip(".")
    return {"jpeg": "jpg", "tiff": "tif"}.get(key, key)


def _report(report: JobReport) -> None:
    for plan in report.plans:
        note(plan)
    for message in report.notes:
        warn(message)
