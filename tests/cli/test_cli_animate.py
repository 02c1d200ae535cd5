"""``convcli animate``: a frame per output position after a title frame, and a last frame whose
output matrix is what ``convcli apply --as-array`` prints."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.pictures import error_line, parse_matrix, ramp, save, snapshot

CASES = [
    # kernel, options, output width × height
    ("sharpen", [], (9, 7)),
    ("box-3", ["--stride", "2", "--padding", "valid"], (4, 3)),
    ("sobel-x", ["--border", "constant", "--fill", "40", "--dilation", "2"], (9, 7)),
    ("1 2; 3 4", ["--convolve", "--border", "wrap", "--padding", "full"], (10, 8)),
    ("emboss", ["--border", "mirror", "--channel", "B", "--offset", "50%"], (9, 7)),
    ("gaussian:sigma=0.8", ["--border", "nearest", "--stride", "3"], (3, 3)),
    ("sharpen", ["--region", "2,1,3,4"], (3, 4)),
]


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return save(tmp_path_factory.mktemp("animate") / "photo.png", ramp(7, 9, 3, seed=5))


@pytest.mark.parametrize(("kernel", "options", "size"), CASES)
def test_there_is_a_title_frame_then_a_frame_per_output_position(
    cli, photo, tmp_path, kernel, options, size
):
    target = tmp_path / "steps.gif"
    result = cli("animate", kernel, photo, "-o", target, "--delay", "50", *options)
    assert result.exit_code == 0, result.stderr
    with Image.open(target) as gif:
        assert gif.n_frames == size[0] * size[1] + 1
    assert f"{size[0] * size[1] + 1} frames ({size[0] * size[1]} output positions)" in (
        result.stderr
    )
    assert result.stdout == ""


def _log_matrix(text: str) -> str:
    """The output matrix of the frame printed when stdout is not a terminal."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("output ("))
    end = lines.index("", start)
    return "\n".join(lines[start + 1 : end])


@pytest.mark.parametrize(("kernel", "options", "size"), CASES)
def test_the_last_frames_output_matrix_is_what_apply_as_array_prints(
    cli, photo, tmp_path, kernel, options, size
):
    played = cli("animate", kernel, photo, "--play", *options)
    assert played.exit_code == 0, played.stderr
    region = [o for o in options if "," in o]
    apply_options = [o for o in options if o not in ("--region", *region)]
    if "--channel" in options:  # apply --as-array prints the first channel; show picks one
        at = apply_options.index("--channel")
        channel = apply_options[at : at + 2]
        del apply_options[at : at + 2]
        raw = tmp_path / "raw.npy"
        assert cli("apply", kernel, photo, "-o", raw, *apply_options).exit_code == 0
        shown = cli("show", raw, "--as-array", *channel)
    else:
        shown = cli("apply", kernel, photo, "--as-array", *apply_options)
    assert shown.exit_code == 0, shown.stderr
    columns, rows, expected = parse_matrix(shown.stdout)
    got_columns, got_rows, got = parse_matrix(_log_matrix(played.stdout))
    if region:
        x, y, width, height = (int(v) for v in region[0].split(","))
        expected = expected[y : y + height, x : x + width]
        columns, rows = columns[x : x + width], rows[y : y + height]
    assert (got_columns, got_rows) == (columns, rows)
    assert got.shape == (size[1], size[0])
    assert (got == expected).all()


def test_the_log_writes_the_last_steps_multiply_add(cli, photo):
    played = cli("animate", "0 1; 2 0", photo, "--play", "--region", "0,0,1,1")
    assert played.exit_code == 0, played.stderr
    assert "1×" in played.stdout and "+ 2×" in played.stdout
    assert "→ output at 0,0 = " in played.stdout


def test_the_gif_can_go_to_stdout(cli, photo):
    result = cli("animate", "box-3", photo, "-o", "-", "--region", "0,0,2,2")
    assert result.exit_code == 0, result.stderr
    with Image.open(io.BytesIO(result.stdout_bytes)) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5


@pytest.mark.parametrize(
    ("arguments", "code", "fragments"),
    [
        (["-o", "steps.png"], 2, ["steps.png", "*.gif"]),
        (["-o", "-", "--play"], 2, ["stdout"]),
        (["--region", "8,0,4,4"], 2, ["--region", "past the output, which is 9×7"]),
        (["--delay", "5"], 2, ["--delay"]),
        (["--channel", "Q"], 2, ["Q"]),
    ],
)
def test_bad_requests_are_one_line_usage_errors_and_write_nothing(
    cli, photo, tmp_path, arguments, code, fragments
):
    before = snapshot(tmp_path)
    arguments = [str(tmp_path / a) if a.endswith(".png") else a for a in arguments]
    result = cli("animate", "sharpen", photo, *arguments)
    assert result.exit_code == code, result.stderr
    error_line(result.stderr, *fragments)
    assert snapshot(tmp_path) == before


def test_a_chain_is_refused_and_a_large_image_needs_a_region(cli, tmp_path):
    big = save(tmp_path / "big.png", ramp(40, 40))
    result = cli("animate", "box-3|sharpen", big, "-o", tmp_path / "a.gif")
    assert result.exit_code == 2
    error_line(result.stderr, "one plain kernel")
    result = cli("animate", "box-3", big, "-o", tmp_path / "a.gif")
    assert result.exit_code == 2
    error_line(result.stderr, "40×40 positions", "--region")
    assert not (tmp_path / "a.gif").exists()


def test_the_input_is_never_the_output(cli, tmp_path):
    gif = tmp_path / "in.gif"
    Image.fromarray(ramp(5, 5)).save(gif)
    before = gif.read_bytes()
    result = cli("animate", "box-3", gif, "-o", gif)
    assert result.exit_code == 2
    assert gif.read_bytes() == before
