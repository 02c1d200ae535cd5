"""``kernels check``: errors with their place, warnings about surprising kernels."""

from __future__ import annotations

from convcli.kernels.check import check_kernel_file


def test_a_good_kernel_has_nothing_to_say(tmp_path):
    path = tmp_path / "blur.yaml"
    path.write_text("name: blur\nweights: [[1, 2, 1]]\nscale: 1/4\n")
    assert check_kernel_file(path) == []


def test_a_parse_error_names_the_line(tmp_path):
    path = tmp_path / "edge.txt"
    path.write_text("1 0 -1\n2 0\n1 0 -1\n")
    [finding] = check_kernel_file(path)
    assert finding.severity == "error" and "line 2" in finding.message


def test_a_sum_neither_0_nor_1_without_a_scale_is_a_warning(tmp_path):
    path = tmp_path / "bright.txt"
    path.write_text("1 2 1\n")
    [finding] = check_kernel_file(path)
    assert finding.severity == "warning" and "sum to 4" in finding.message
    assert "brighter" in finding.message


def test_a_zero_sum_kernel_without_offset_is_a_warning(tmp_path):
    path = tmp_path / "edge.yaml"
    path.write_text("name: edge\nweights: [[1, 0, -1]]\n")
    [finding] = check_kernel_file(path)
    assert "sum to 0" in finding.message and "offset" in finding.message
    path.write_text("name: edge\nweights: [[1, 0, -1]]\noffset: 50%\n")
    assert check_kernel_file(path) == []


def test_an_asymmetric_kernel_named_symmetric_is_a_warning(tmp_path):
    path = tmp_path / "my-blur.yaml"
    path.write_text("name: my-blur\nweights: [[1, 2, 3]]\nscale: 1/6\n")
    [finding] = check_kernel_file(path)
    assert "name says symmetric" in finding.message
