"""``convcli match``: matches on stdout as data, maps and annotations as files, one-line errors."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from convcli.engine.ncc import match_scores
from tests.pictures import decode, mode_of, save


@pytest.fixture
def scene(tmp_path):
    """A noisy photo with the template pasted at x=30, y=12 and a fainter copy at x=4, y=40."""
    rng = np.random.default_rng(0)
    photo = rng.integers(40, 200, (64, 80, 3)).astype(np.uint8)
    template = rng.integers(0, 256, (10, 12, 3)).astype(np.uint8)
    photo[12:22, 30:42] = template
    photo[40:50, 4:16] = np.clip(template.astype(int) // 2 + 60, 0, 255)
    return save(tmp_path / "photo.png", photo), save(tmp_path / "template.png", template)


def test_the_best_match_is_one_line_of_x_y_score(cli, scene):
    photo, template = scene
    result = cli("match", template, photo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "30 12 1.000000\n"
    assert result.stderr == ""


def test_json_lists_every_hit_best_first(cli, scene):
    photo, template = scene
    result = cli("match", template, photo, "--top", 2, "--format", "json")
    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert [(h["x"], h["y"], h["width"], h["height"]) for h in hits] == [
        (30, 12, 12, 10),
        (4, 40, 12, 10),
    ]
    assert hits[0]["score"] == 1.0 and 0.99 < hits[1]["score"] <= 1.0


def test_csv_has_a_header_and_a_threshold_keeps_only_good_hits(cli, scene):
    photo, template = scene
    result = cli("match", template, photo, "--top", 0, "--threshold", 0.5, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["x"], row["y"]) for row in rows] == [("30", "12"), ("4", "40")]
    assert list(rows[0]) == ["x", "y", "width", "height", "score"]


def test_min_distance_one_lists_neighbours_of_the_best_hit(cli, scene):
    photo, template = scene
    result = cli("match", template, photo, "--top", 3, "--min-distance", 1)
    assert result.stdout.splitlines()[0] == "30 12 1.000000"
    assert len(result.stdout.splitlines()) == 3


def test_the_heatmap_npy_holds_the_raw_scores(cli, scene, tmp_path):
    photo, template = scene
    target = tmp_path / "scores.npy"
    assert cli("match", template, photo, "--heatmap", target).exit_code == 0
    scores = np.load(target)
    assert scores.dtype == np.float32 and scores.shape == (64 - 10 + 1, 80 - 12 + 1)
    expected = match_scores(decode(photo), decode(template))
    np.testing.assert_allclose(scores, expected, atol=1e-7)


def test_the_heatmap_image_maps_minus_one_to_black_and_one_to_white(cli, scene, tmp_path):
    photo, template = scene
    target = tmp_path / "scores.png"
    assert cli("match", template, photo, "--heatmap", target).exit_code == 0
    gray = decode(target)
    expected = match_scores(decode(photo), decode(template))
    assert mode_of(target) == "L"
    np.testing.assert_array_equal(gray, np.rint((expected + 1) * 127.5).astype(np.uint8))
    assert gray[12, 30] == 255


def test_annotate_draws_boxes_on_a_copy_of_the_image(cli, scene, tmp_path):
    photo, template = scene
    target = tmp_path / "found.png"
    before = photo.read_bytes()
    assert cli("match", template, photo, "--top", 2, "--annotate", target).exit_code == 0
    drawn = decode(target)
    assert mode_of(target) == "RGB"
    assert drawn.shape == (64, 80, 3)
    assert tuple(drawn[21, 35]) == (255, 48, 48)  # the bottom edge of the first box
    assert photo.read_bytes() == before


def test_a_mask_file_limits_the_pixels_that_count(cli, scene, tmp_path):
    photo, template = scene
    mask = np.zeros((10, 12), np.uint8)
    mask[2:8, 3:9] = 255
    result = cli("match", template, photo, "--mask", save(tmp_path / "mask.png", mask))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "30 12 1.000000\n"


def test_scales_add_a_scale_column(cli, scene):
    photo, template = scene
    result = cli("match", template, photo, "--scales", "0.5,1,1.5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "30 12 1.000000 1.000000\n"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--scales", "2:1:0.1"], "START:STOP:STEP", 2),
        (["--scales", "0,1"], "positive", 2),
        (["--heatmap", "-"], "stdout carries the matches", 2),
        (["--heatmap", "scores.xyz"], "cannot tell the format", 2),
        (["--top", "-1"], "--top", 2),
        (["--threshold", "2"], "--threshold", 2),
    ],
)
def test_bad_options_are_one_line_usage_errors(cli, scene, args, message, code):
    photo, template = scene
    result = cli("match", template, photo, *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_a_template_larger_than_the_image_is_refused(cli, scene):
    photo, template = scene
    result = cli("match", photo, template)
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: the template (80×64) is larger than the image (12×10)"


def test_a_flat_template_is_refused_with_the_reason(cli, scene, tmp_path):
    photo, _ = scene
    flat = save(tmp_path / "flat.png", np.full((5, 5, 3), 9, np.uint8))
    result = cli("match", flat, photo, "--heatmap", tmp_path / "out.npy")
    assert result.exit_code == 2
    assert "template is flat" in result.stderr
    assert not (tmp_path / "out.npy").exists()


def test_an_empty_mask_is_refused(cli, scene, tmp_path):
    photo, template = scene
    empty = save(tmp_path / "empty.png", np.zeros((10, 12), np.uint8))
    result = cli("match", template, photo, "--mask", empty)
    assert result.exit_code == 2
    assert "mask is empty" in result.stderr


def test_a_missing_image_fails_with_exit_1(cli, scene, tmp_path):
    _, template = scene
    result = cli("match", template, tmp_path / "nowhere.png")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and len(result.stderr.splitlines()) == 1


def test_the_image_can_come_from_stdin(cli, scene):
    photo, template = scene
    result = cli("match", template, "-", input=photo.read_bytes())
    assert result.stdout == "30 12 1.000000\n"


def test_help_shows_examples(cli):
    result = cli("match", "--help")
    assert result.exit_code == 0
    assert "convcli match logo.png photo.png" in result.stdout
    assert "TM_CCOEFF_NORMED" in result.stdout
