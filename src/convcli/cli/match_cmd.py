"""``convcli match``: find a template in an image by normalised cross-correlation."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import note, reporting_errors
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from convcli.filtering.matching import Hit, Matches
    from convcli.images.picture import Picture


def match(
    template: Annotated[
        str,
        typer.Argument(
            help="The pattern to look for: an image file (its alpha is a mask).", metavar="TEMPLATE"
        ),
    ],
    image: Annotated[
        str, typer.Argument(help="The image to search, or - for stdin.", metavar="IMAGE")
    ],
    top: Annotated[
        int, typer.Option(min=0, help="Report at most this many matches (0: every one).")
    ] = 1,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=-1.0,
            max=1.0,
            help="Report no match scoring below this (-1..1).",
            show_default=False,
        ),
    ] = None,
    min_distance: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Matches closer than this many pixels along both axes count once. "
            "Default: half the template's smaller side.",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        Literal["text", "json", "csv"],
        typer.Option(help="text: 'x y score' lines; json: a list of objects; csv: with a header."),
    ] = "text",
    heatmap: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Write the score map: .npy (float32 scores, -1..1) or an image "
            "(gray: -1 black, 0 mid-gray, 1 white).",
            show_default=False,
        ),
    ] = None,
    annotate: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Write the image with a box and score on each match.",
            show_default=False,
        ),
    ] = None,
    mask: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Which template pixels count: nonzero (or its alpha, if it has one). "
            "Default: the template's alpha, if any.",
            show_default=False,
        ),
    ] = None,
    scales: Annotated[
        options.Scales | None,
        typer.Option(
            parser=options.scale_list,
            metavar="START:STOP:STEP|S,S,...",
            help="Also try the template resized by these factors (area filter), e.g. 0.5:2:0.1.",
            show_default=False,
        ),
    ] = None,
    gray: Annotated[
        bool, typer.Option("--gray", help="Match on luminance instead of every colour channel.")
    ] = False,
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Find TEMPLATE in IMAGE: where it fits best by normalised cross-correlation.

    The score is OpenCV's TM_CCOEFF_NORMED (scikit-image's match_template): 1 where the image
    is the template up to brightness and contrast, 0 for flat areas. Colour channels count
    together, as OpenCV does; --gray matches on luminance. Each line is the top-left corner
    x y of a match and its score, best first.

    [bold]Examples[/]

    [dim]$[/] convcli match logo.png photo.png

    [dim]$[/] convcli match coin.png tray.png --top 20 --threshold 0.8 --format json

    [dim]$[/] convcli match icon.png screen.png --scales 0.5:2:0.25 --annotate found.png

    [dim]$[/] convcli match eye.png face.png --heatmap scores.npy
    """
    with reporting_errors():
        from convcli.filtering.matching import MatchOptions, match_picture

        factors = scales.factors if scales is not None else (1.0,)
        for target in (heatmap, annotate):
            if target == "-":
                raise UsageError(
                    "stdout carries the matches: write `heatmap` and `annotate` to files"
                )
        inputs = [name for name in (template, image, mask) if name is not None]
        if inputs.count("-") > 1:
            raise UsageError("only one input can be read from stdin")
        _check_targets([heatmap, annotate], inputs)
        source = _read(image, max_pixels)
        pattern = _read(template, max_pixels)
        shape = _read(mask, max_pixels) if mask is not None else None
        settings = MatchOptions(
            gray=gray,
            scales=factors,
            top=top or None,
            threshold=threshold,
            min_distance=min_distance,
        )
        found = match_picture(source, pattern, settings, shape)
        for message in found.notes:
            note(message)
        _print(found.hits, format, several_scales=scales is not None)
        if heatmap is not None:
            _write_heatmap(found, heatmap)
        if annotate is not None:
            _write_annotation(source, found, annotate)


def _read(name: str, max_pixels: int) -> Picture:
    from convcli.images.imageio import read_picture
    from convcli.images.outputs import open_input

    picture = read_picture(open_input(name, sys.stdin.buffer), name, max_pixels=max_pixels)
    for message in picture.notes:
        note(message)
    return picture


def _check_targets(targets: list[str | None], inputs: list[str]) -> None:
    from convcli.images.imageio import output_format
    from convcli.images.outputs import check_output_target

    for target in targets:
        if target is not None:
            try:
                output_format(target)
            except UsageError:
                raise UsageError(
                    f"{target}: cannot tell the format from its extension (try .png or .npy)"
                ) from None
            check_output_target(target, inputs)


def _print(hits: list[Hit], format: str, *, several_scales: bool) -> None:
    """The matches on stdout: the only thing there, so pipelines can read it."""
    rows = [
        {
            "x": hit.x,
            "y": hit.y,
            "width": hit.width,
            "height": hit.height,
            "score": round(hit.score, 6),
            **({"scale": round(hit.scale, 6)} if several_scales else {}),
        }
        for hit in hits
    ]
    if format == "json":
        import json

        _emit([json.dumps(rows)])
        return
    if format == "csv":
        header = ["x", "y", "width", "height", "score", *(["scale"] if several_scales else [])]
        lines = [",".join(header), *(",".join(str(row[key]) for key in header) for row in rows)]
    else:
        keys = ["x", "y", "score", *(["scale"] if several_scales else [])]
        lines = [" ".join(_text(row[key]) for key in keys) for row in rows]
    _emit(lines)


def _emit(lines: list[str]) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _text(value: int | float) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def _write_heatmap(found: Matches, target: str) -> None:
    import numpy as np

    from convcli.images.drawing import score_picture
    from convcli.images.imageio import encode_parts, output_format
    from convcli.images.outputs import write_output
    from convcli.images.picture import Picture

    fmt = output_format(target)
    if fmt == "NPY":
        picture = Picture(found.scores.astype(np.float32)[:, :, np.newaxis], "L")
    else:
        picture = score_picture(found.scores)
    parts, _ = encode_parts(picture, fmt, target)
    write_output(parts, target, sys.stdout.buffer)
    if found.scale != 1.0:
        note(f"the score map is the one at scale {found.scale:g}, where the best match is")


def _write_annotation(source: Picture, found: Matches, target: str) -> None:
    from convcli.images.drawing import Box, annotate
    from convcli.images.imageio import encode_parts, output_format
    from convcli.images.outputs import write_output

    boxes = [Box(hit.x, hit.y, hit.width, hit.height, f"{hit.score:.3f}") for hit in found.hits]
    parts, _ = encode_parts(annotate(source, boxes), output_format(target), target)
    write_output(parts, target, sys.stdout.buffer)
