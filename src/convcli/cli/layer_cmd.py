"""``convcli layer``: an image through a convolution layer (or a network of them), PyTorch's
conv2d semantics, and its feature maps as data or as a labelled montage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import err_console, note, out_console, reporting_errors
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from convcli.filtering.networks import StepReport
    from convcli.kernels.network import Network

NETWORK_SUFFIXES = (".yaml", ".yml")
BANK_SUFFIXES = (".npy", ".npz")


def layer(
    weights: Annotated[
        str,
        typer.Argument(
            help="A weight bank (.npy, .npz), a YAML network, or any kernel apply takes "
            "(run on each channel).",
            metavar="WEIGHTS",
            autocompletion=options.complete_kernel,
        ),
    ],
    image: Annotated[
        str,
        typer.Argument(
            help="The image, or a .npy (C, H, W) / (H, W) array taken as it is.", metavar="IMAGE"
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=".npy: the maps (C, H, W) float32; .tif: a float page per map; an image "
            "format: a labelled montage. Default: a table of the maps.",
            show_default=False,
        ),
    ] = None,
    layout: options.BankLayout = "torch",
    stride: Annotated[
        str | None, typer.Option(metavar="S|SH,SW", help="Stride. Default: 1.", show_default=False)
    ] = None,
    padding: Annotated[
        str | None,
        typer.Option(
            metavar="P|PH,PW|same|valid|tf-same",
            help="Padding (PyTorch's; tf-same is TensorFlow's SAME). Default: 0.",
            show_default=False,
        ),
    ] = None,
    padding_mode: Annotated[
        str | None,
        typer.Option(
            metavar="zeros|reflect|replicate|circular",
            help="What the padding holds, PyTorch's names. Default: zeros.",
            show_default=False,
        ),
    ] = None,
    dilation: Annotated[
        str | None,
        typer.Option(metavar="D|DH,DW", help="Dilation. Default: 1.", show_default=False),
    ] = None,
    groups: Annotated[
        str | None,
        typer.Option(
            metavar="N|depthwise",
            help="Groups. Default: 1 for a bank, depthwise for a plain kernel.",
            show_default=False,
        ),
    ] = None,
    bias: Annotated[
        Path | None,
        typer.Option(metavar="FILE.npy", help="One bias per kernel.", show_default=False),
    ] = None,
    input: Annotated[
        Literal["scaled", "raw"],
        typer.Option(help="scaled: samples to 0..1 (torchvision's ToTensor); raw: as stored."),
    ] = "scaled",
    normalize_input: Annotated[
        str | None,
        typer.Option(
            metavar="imagenet|MEAN,STD",
            help="Then (x − mean) / std per channel; MEAN and STD a number or one per channel "
            "separated by /.",
            show_default=False,
        ),
    ] = None,
    activation: Annotated[
        str | None,
        typer.Option(
            metavar="relu|leaky-relu[:SLOPE]|sigmoid|tanh|abs",
            help="After the convolution.",
            show_default=False,
        ),
    ] = None,
    pool: Annotated[
        str | None,
        typer.Option(
            metavar="max|avg:K[,stride=S,padding=P,ceil]",
            help="Pooling last, PyTorch's MaxPool2d/AvgPool2d (avg: add exclude-pad).",
            show_default=False,
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Print each step's shape, receptive field and multiply-adds."
        ),
    ] = False,
    ranges: Annotated[
        Literal["per-map", "shared"],
        typer.Option(
            "--range", help="Montage: each map black..white over its own range, or all maps' range."
        ),
    ] = "per-map",
    maps: Annotated[
        str | None,
        typer.Option(metavar="I,J,...", help="Only these maps (0-based).", show_default=False),
    ] = None,
    tile: Annotated[
        int, typer.Option(min=16, max=1024, help="Montage: each map's longer side, in pixels.")
    ] = 128,
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Run IMAGE through a convolution layer: every kernel spans all input channels and sums
    them, out\\[o] = bias\\[o] + Σ_c weight\\[o, c] ⋆ input\\[c], exactly as PyTorch's conv2d.

    WEIGHTS is a bank (C_out, C_in/groups, kH, kW) in .npy or .npz (weight, bias), a YAML
    network (conv, activation and pool steps), or a plain kernel run depthwise.

    [bold]Examples[/]

    [dim]$[/] convcli layer edges.yaml photo.png -o maps.png --explain

    [dim]$[/] convcli layer stem.npy photo.png --stride 2 --padding 3 --activation relu -o maps.npy

    [dim]$[/] convcli layer sobel-x photo.png --padding same --padding-mode reflect -o edges.tif
    """
    with reporting_errors():
        from convcli.filtering.networks import map_names, run_network

        if output is not None:
            _check_output(output, image, weights)
        network = _network(
            weights, layout, stride, padding, padding_mode, dilation, groups, bias, activation, pool
        )
        x, channel_names = _input(image, input, normalize_input, max_pixels)
        if explain:
            note(f"input {_shape(x.shape)} ({channel_names}, {input})")
        result, reports = run_network(x, network)
        if explain:
            _explain(x.shape, reports)
        names = map_names(network, result.shape[0])
        chosen = _chosen(maps, result.shape[0])
        if chosen is not None:
            result, names = result[chosen], [names[n] for n in chosen]
        if output is None:
            _table(result, names)
            return
        _write(result, names, output, ranges, tile)


def _network(
    spec: str,
    layout: str,
    stride: str | None,
    padding: str | None,
    padding_mode: str | None,
    dilation: str | None,
    groups: str | None,
    bias: Path | None,
    activation: str | None,
    pool: str | None,
) -> Network:
    """The steps to run: a network file's, or one conv from the options; then the options'
    activation and pool."""
    from convcli.kernels import Kernel, resolve_kernel
    from convcli.kernels.network import (
        Conv,
        Network,
        bank_from_kernel,
        parse_activation,
        parse_groups,
        parse_network,
        parse_padding,
        parse_padding_mode,
        parse_pair,
        parse_pool,
        read_bank,
        with_bias,
    )

    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix in NETWORK_SUFFIXES and path.is_file() and _is_network(path):
        given = [name for name, value in (("stride", stride), ("padding", padding),
                 ("padding_mode", padding_mode), ("dilation", dilation), ("groups", groups),
                 ("bias", bias)) if value is not None]  # fmt: skip
        if given:
            raise UsageError(f"the network file sets each layer's settings: not with `{given[0]}`")
        network = parse_network(path.read_text(encoding="utf-8"), spec, path.parent)
        steps = list(network.steps)
        files = network.files
    else:
        if suffix in BANK_SUFFIXES:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {spec}: {exc.strerror or exc}") from None
            bank = read_bank(data, spec, layout)  # type: ignore[arg-type]
            default_groups: int | Literal["depthwise"] = 1
        else:
            kernel = resolve_kernel(spec)
            if not isinstance(kernel, Kernel):
                raise UsageError("a combined kernel is not a layer; give its parts as a bank")
            bank, default_groups = bank_from_kernel(kernel), "depthwise"
        if bias is not None:
            bank = with_bias(bank, _read(bias), str(bias))
        steps = [
            Conv(
                bank=bank,
                stride=parse_pair(stride or "1", "stride"),
                padding=parse_padding(padding or "0"),
                padding_mode=parse_padding_mode(padding_mode or "zeros"),
                dilation=parse_pair(dilation or "1", "dilation"),
                groups=default_groups if groups is None else parse_groups(groups),
            )
        ]
        files = (spec,) if path.is_file() else ()
    if activation is not None:
        steps.append(parse_activation(activation))
    if pool is not None:
        steps.append(parse_pool(pool))
    return Network(tuple(steps), tuple(files))


def _is_network(path: Path) -> bool:
    """A YAML file with a ``layers:`` list, not a kernel file."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return False  # the kernel reader will say what is wrong
    return isinstance(document, dict) and "layers" in document


def _input(
    name: str, mode: str, normalize: str | None, max_pixels: int
) -> tuple[npt.NDArray[np.float32], str]:
    from convcli.filtering.networks import IMAGENET, layer_input, normalized
    from convcli.images.imageio import read_picture
    from convcli.images.outputs import open_input, read_input
    from convcli.images.stacks import as_stack, load_array

    statistics = None if normalize is None else _normalization(normalize, IMAGENET)
    if name.lower().endswith(".npy"):
        stack = as_stack(load_array(read_input(name, sys.stdin.buffer), name, max_pixels), name)
        if statistics is not None:
            stack = normalized(stack, *statistics)
        return stack, f"{stack.shape[0]} channels"
    picture = read_picture(open_input(name, sys.stdin.buffer), name, max_pixels=max_pixels)
    if "A" in picture.layout:
        note("alpha is left out: a layer sees the colour channels")
    return layer_input(picture, mode, statistics)  # type: ignore[arg-type]


def _normalization(
    text: str, imagenet: tuple[tuple[float, ...], tuple[float, ...]]
) -> tuple[list[float], list[float]]:
    """``imagenet``, or ``MEAN,STD`` with each a number or numbers separated by ``/``."""
    if text.strip().lower() == "imagenet":
        return list(imagenet[0]), list(imagenet[1])
    parts = text.split(",")
    try:
        mean, std = ([float(v) for v in part.split("/")] for part in parts)
    except ValueError:
        raise UsageError(
            f"`normalize_input` {text!r}: imagenet, or MEAN,STD such as 0.5,0.5 or "
            "0.485/0.456/0.406,0.229/0.224/0.225"
        ) from None
    return mean, std


def _chosen(maps: str | None, count: int) -> list[int] | None:
    if maps is None:
        return None
    try:
        chosen = [int(part) for part in maps.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"`maps` {maps!r}: map numbers separated by commas") from None
    wrong = [n for n in chosen if not 0 <= n < count]
    if not chosen or wrong:
        raise UsageError(f"`maps` {maps!r}: the layer makes maps 0–{count - 1}")
    return chosen


def _check_output(output: str, image: str, weights: str) -> None:
    from convcli.images.imageio import output_format
    from convcli.images.outputs import check_output_target

    output_format(output)
    check_output_target(output, [image, weights])


def _write(
    result: npt.NDArray[np.float32], names: list[str], output: str, ranges: str, tile: int
) -> None:
    from convcli.filtering.networks import montage
    from convcli.images.imageio import encode_parts, output_format
    from convcli.images.outputs import write_output
    from convcli.images.stacks import encode_stack

    fmt = output_format(output)
    if fmt in ("NPY", "TIFF"):
        write_output(encode_stack(result, fmt), output, sys.stdout.buffer)
        note(f"{result.shape[0]} maps of {result.shape[2]}×{result.shape[1]} in {output}")
        return
    if fmt in ("TXT", "CSV"):
        raise UsageError(f"{output}: a stack of maps is written as .npy, .tif or an image montage")
    sheet = montage(result, names, ranges=ranges, tile=tile)  # type: ignore[arg-type]
    parts, _ = encode_parts(sheet, fmt, output)
    write_output(parts, output, sys.stdout.buffer)
    note(
        f"a montage of all {result.shape[0]} maps ({result.shape[2]}×{result.shape[1]}) in {output}"
    )


def _table(result: npt.NDArray[np.float32], names: list[str]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("map", "name", "min", "max", "mean"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for number, (plane, name) in enumerate(zip(result, names, strict=True)):
        table.add_row(
            str(number),
            name,
            *(f"{float(f()):.4g}" for f in (plane.min, plane.max, plane.mean)),
        )
    out_console.print(f"{result.shape[0]} maps of {result.shape[2]}×{result.shape[1]}")
    out_console.print(table)


def _explain(shape: tuple[int, ...], reports: list[StepReport]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("step", "C×H×W", "receptive field", "multiply-adds"):
        table.add_column(column, justify="left" if column == "step" else "right")
    table.add_row("input", _shape(shape), "1×1", "")
    for report in reports:
        field = f"{report.field[0]}×{report.field[1]}"
        table.add_row(
            report.label,
            _shape(report.shape),
            field,
            f"{report.multiply_adds:,}" if report.multiply_adds else "",
        )
    total = sum(report.multiply_adds for report in reports)
    table.add_row("total", "", "", f"{total:,}")
    err_console.print(table)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
