"""The kernel sliding over an image: one step per output position, in order; the grid holds
what each window reads; the output matrix is the definition's result; the GIF shows exactly
the current window and the outputs computed so far."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from convcli.errors import UsageError
from convcli.filtering.animation import (
    MAX_GRID,
    MAX_POSITIONS,
    animate,
    gif_parts,
    multiply_add,
    result_line,
    sliding_figure,
)
from convcli.filtering.pipeline import FilterOptions
from convcli.images.picture import Picture
from convcli.images.sliding import CURRENT_PAPER, PAPER, WINDOW_BORDER_PAPER, WINDOW_PAPER
from convcli.kernels import resolve_kernel
from tests.naive import naive_filter
from tests.pictures import ramp

SETTINGS = [
    # kernel, options
    ("sharpen", FilterOptions()),
    ("box-3", FilterOptions(stride=2, padding="valid")),
    ("sobel-x", FilterOptions(border="constant", fill=7, dilation=2)),
    ("1 2; 3 4", FilterOptions(convolve=True, border="wrap", padding="full")),
    ("0 1 0 2 0", FilterOptions(border="mirror", stride=3)),
    ("gaussian:sigma=1", FilterOptions(border="nearest", padding="full", stride=2)),
]


def picture(height: int = 9, width: int = 11, channels: int = 3, seed: int = 2) -> Picture:
    return Picture(ramp(height, width, channels, seed=seed), "RGB"[:channels] or "L")


def reference(source: Picture, kernel, options: FilterOptions, channel: int) -> np.ndarray:
    """Σ weights × samples at every output position, by the definition (tests/naive.py)."""
    return naive_filter(
        source.pixels[:, :, channel],
        kernel.weights,
        border=options.border,
        fill=options.fill,
        padding=options.padding,
        stride=options.stride,
        dilation=options.dilation,
        turned=options.convolve,
    )


@pytest.mark.parametrize(("spec", "options"), SETTINGS)
def test_there_is_one_step_per_output_position_row_by_row(spec, options):
    source = picture()
    kernel = resolve_kernel(spec)
    animation = animate(source, kernel, options, 1)
    expected = reference(source, kernel, options, 1)
    assert animation.shape == expected.shape
    assert animation.output_size == (expected.shape[1], expected.shape[0])
    assert [(s.y, s.x) for s in animation.steps] == list(np.ndindex(*expected.shape))


@pytest.mark.parametrize(("spec", "options"), SETTINGS)
def test_the_output_matrix_is_the_definitions_result_and_each_steps_sum(spec, options):
    source = picture()
    kernel = resolve_kernel(spec)
    animation = animate(source, kernel, options, 2)
    expected = reference(source, kernel, options, 2) * kernel.scale + kernel.offset_for(255.0)
    np.testing.assert_allclose(animation.output, expected, rtol=1e-5, atol=1e-4)  # float32
    for step, value in zip(animation.steps, animation.output.ravel(), strict=True):
        assert step.value == pytest.approx(value, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize(("spec", "options"), SETTINGS)
def test_the_grid_holds_what_every_window_reads(spec, options):
    animation = animate(picture(), resolve_kernel(spec), options, 0)
    for step in animation.steps:
        rows = [animation.grid_position(r, step.cols[0])[0] for r in step.rows]
        cols = [animation.grid_position(step.rows[0], c)[1] for c in step.cols]
        window = animation.samples[np.ix_(rows, cols)]
        assert np.array_equal(window, step.samples)
        assert np.array_equal(animation.outside[np.ix_(rows, cols)], step.outside)


def test_the_output_fills_in_one_position_a_step():
    animation = animate(picture(4, 5), resolve_kernel("box-3"), FilterOptions(), 0)
    assert np.isnan(animation.filled(0)).all()
    partial = animation.filled(7)
    assert np.array_equal(np.isnan(partial).ravel(), np.arange(20) >= 7)
    assert np.array_equal(animation.filled(20), animation.output)


def test_a_region_animates_those_output_positions_of_the_whole_image():
    source = picture(40, 50, 1)
    kernel = resolve_kernel("sharpen")
    whole = naive_filter(source.pixels[:, :, 0], kernel.weights)
    animation = animate(source, kernel, FilterOptions(), 0, region=(30, 20, 4, 3))
    assert [(s.x, s.y) for s in animation.steps][:2] == [(30, 20), (31, 20)]
    np.testing.assert_allclose(animation.output, whole[20:23, 30:34], atol=1e-9)
    assert not animation.outside.any()  # the region's windows lie inside the image


@pytest.mark.parametrize(
    ("height", "width", "region", "message"),
    [
        (33, 10, None, "the output is 10×33 positions"),
        (40, 40, (0, 0, 33, 2), "the region is 33×2 positions"),
        (40, 40, (38, 0, 4, 4), "reaches past the output, which is 40×40"),
    ],
)
def test_more_positions_than_an_animation_shows_is_a_usage_error(height, width, region, message):
    with pytest.raises(UsageError, match=message):
        animate(
            picture(height, width, 1), resolve_kernel("box-3"), FilterOptions(), 0, region=region
        )


def test_a_window_grid_too_big_to_draw_is_a_usage_error():
    kernel = resolve_kernel("box-5")
    options = FilterOptions(dilation=9)  # a span of 37 over 32 positions: 68 samples a side
    with pytest.raises(UsageError, match=f"up to {MAX_GRID}×{MAX_GRID}"):
        animate(picture(MAX_POSITIONS, MAX_POSITIONS, 1), kernel, options, 0)


def test_the_multiply_add_leaves_out_zero_weights_and_brackets_negative_ones():
    animation = animate(picture(3, 3, 1), resolve_kernel("sharpen"), FilterOptions(), 0)
    step = animation.steps[4]  # the centre: every tap inside
    pieces = multiply_add(step)
    assert len(pieces) == 5
    assert pieces[0].startswith("(-1)×") and pieces[2].startswith("+ 5×")
    assert result_line(step, 12.5) == f"= {step.total:g} → output at 1,1 = 12.5"
    scaled = animate(picture(3, 3, 1), resolve_kernel("box-3"), FilterOptions(), 0)
    assert "× 0.1111 + 0 → output at 0,0" in result_line(scaled.steps[0], 1.0)


def _decoded_frames(animation) -> list[np.ndarray]:
    gif = Image.open(io.BytesIO(b"".join(gif_parts(animation, 100, 1000))))
    frames = []
    for number in range(gif.n_frames):
        gif.seek(number)
        frames.append(np.asarray(gif.convert("RGB")))
    return frames


def _paper(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    """A cell's paper colour: just inside its top-left corner, away from its right-aligned
    text."""
    left, top, _, _ = box
    return tuple(int(v) for v in frame[top + 2, left + 2])


def _has_text(frame: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    left, top, right, bottom = box
    inside = frame[top + 2 : bottom - 2, left + 2 : right - 2]
    return bool((inside.astype(int).sum(axis=2) < 300).any())


def test_each_gif_frame_shows_the_current_window_and_the_outputs_so_far():
    source = picture(5, 6, 1)
    options = FilterOptions(border="constant", stride=2, dilation=2)
    animation = animate(source, resolve_kernel("sharpen"), options, 0)
    figure = sliding_figure(animation)
    frames = _decoded_frames(animation)
    assert len(frames) == len(animation.steps) + 1
    grid_rows, grid_cols = animation.samples.shape
    out_rows, out_cols = animation.shape
    for number, frame in enumerate(frames):
        step = animation.steps[number - 1] if number else None
        taps = set()
        if step is not None:
            taps = {animation.grid_position(r, c) for r in step.rows for c in step.cols}
        for row in range(grid_rows):
            for col in range(grid_cols):
                paper = _paper(frame, figure.cell_box("source", row, col))
                if (row, col) in taps:
                    outside = animation.outside[row, col]
                    assert paper == (WINDOW_BORDER_PAPER if outside else WINDOW_PAPER)
                else:
                    assert paper not in (WINDOW_PAPER, WINDOW_BORDER_PAPER), (number, row, col)
        for index in range(out_rows * out_cols):
            box = figure.cell_box("output", *divmod(index, out_cols))
            assert _has_text(frame, box) == (index < number), (number, index)
            expected = CURRENT_PAPER if index == number - 1 else PAPER
            assert _paper(frame, box) == expected, (number, index)
