"""``convcli kernels list`` and ``convcli kernels show``: every built-in and user kernel with its
size, description and origin; one kernel's matrix, sums, scale, offset, separability and origin."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pictures import decode
from rich.console import Console

from convcli.cli import kernels_cmd
from convcli.kernels import GENERATORS, Kernel, library_entries

WIDE = {"COLUMNS": "400"}  # wide enough that no description or path wraps (xdist paths are long)


def listed(cli, env=None) -> str:
    result = cli("kernels", "list", env={**WIDE, **(env or {})})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def line_of(stdout: str, name: str, origin: str = "built-in") -> str:
    """The listing line for ``name`` from ``origin``."""
    found = [
        line
        for line in stdout.splitlines()
        if line.split() and line.split()[0] == name and origin in line
    ]
    assert len(found) == 1, (name, found)
    return found[0]


def test_every_built_in_is_listed_with_size_sum_description_and_origin(cli):
    """Each built-in kernel has one line: name, size, sum, description, built-in."""
    stdout = listed(cli)
    builtins = [entry for entry in library_entries() if entry.source == "built-in"]
    assert len(builtins) >= 43
    for entry in builtins:
        line = line_of(stdout, entry.name)
        kernel = entry.kernel
        assert kernel is not None
        assert kernel.size_text in line
        assert kernel.description in line
        _, rest = line.split(None, 1)
        assert rest.startswith(kernel.size_text + " ")
        summed = rest[len(kernel.size_text) :].split()[0]
        if isinstance(kernel, Kernel):
            total = kernel.effective_sum
            whole = abs(total - round(total)) < 1e-12
            assert summed == (str(round(total)) if whole else f"{total:.4g}"), line
        else:
            assert summed == kernel.combine


def test_the_listing_ends_with_the_generators(cli):
    """After the kernels, every generator is listed with its parameters."""
    stdout = listed(cli)
    tail = stdout[stdout.index("Generators") :]
    for name in GENERATORS:
        assert re.search(rf"^\s+{name}:", tail, re.MULTILINE), name


def test_user_kernels_are_listed_with_their_path(cli, user_kernels):
    """A kernel file in CONVCLI_KERNEL_PATH is listed as 'user library' with its path."""
    (user_kernels / "mine.yaml").write_text(
        "name: my-blur\ndescription: my own blur\nweights: [[1, 2, 1]]\nscale: 1/4\n"
    )
    (user_kernels / "edge.txt").write_text("-1 0 1\n")
    stdout = listed(cli)
    mine = line_of(stdout, "my-blur", "user library")
    assert "1×3" in mine and "my own blur" in mine and str(user_kernels / "mine.yaml") in mine
    assert "1×3" in line_of(stdout, "edge", "user library")
    assert stdout.index("my-blur") < stdout.index("box-3")  # user folders come first


def test_a_broken_user_file_is_listed_with_its_error(cli, user_kernels):
    """A user kernel file that cannot be read is listed with the reason; the rest still work."""
    (user_kernels / "broken.txt").write_text("1 2\n3\n")
    stdout = listed(cli)
    assert "line 2" in line_of(stdout, "broken", "user library")
    line_of(stdout, "sharpen")


def test_a_user_kernel_shadows_the_built_in_and_the_listing_says_so(cli, user_kernels):
    """A user 'sharpen' replaces the built-in; the built-in's line is marked even without
    colour (stdout is often a pipe), e.g. with the word 'shadowed' or 'replaced'."""
    (user_kernels / "sharpen.txt").write_text("0 0 0\n0 2 0\n0 0 0\n")
    stdout = listed(cli)
    marker = re.compile(r"\b(shadowed|replaced|hidden|overridden)\b")
    user_line = line_of(stdout, "sharpen", "user library")
    builtin_line = line_of(stdout, "sharpen", "built-in")
    assert not marker.search(user_line.replace(str(user_kernels), ""))
    assert marker.search(builtin_line), builtin_line


def test_a_shadowed_built_in_is_struck_through_in_colour(cli, user_kernels, monkeypatch):
    """On a colour terminal the shadowed built-in's name is dim and struck through."""
    (user_kernels / "sharpen.txt").write_text("0 0 0\n0 2 0\n0 0 0\n")
    monkeypatch.setattr(
        kernels_cmd,
        "out_console",
        Console(force_terminal=True, color_system="truecolor", width=250),
    )
    stdout = cli("kernels", "list").stdout
    assert re.search(r"\x1b\[2;9msharpen\s*\x1b\[0m", stdout)
    assert not re.search(r"\x1b\[2;9msharpen-strong", stdout)


def test_the_user_kernel_is_the_one_apply_uses(cli, user_kernels, tmp_path, gray_png):
    """The shadowing the listing shows is what ``apply sharpen`` does: doubling here."""
    (user_kernels / "sharpen.txt").write_text("0 0 0\n0 2 0\n0 0 0\n")
    out = tmp_path / "out.npy"
    assert cli("apply", "sharpen", gray_png, "-o", out).exit_code == 0
    np.testing.assert_array_equal(np.load(out), decode(gray_png) * 2.0)


def test_kernels_in_xdg_config_home_are_listed(cli, tmp_path, monkeypatch):
    """~/.config/convcli/kernels/ (or $XDG_CONFIG_HOME/convcli/kernels/) is a user library."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "convcli" / "kernels"
    folder.mkdir(parents=True)
    (folder / "corner.txt").write_text("1 0\n0 0\n")
    line = line_of(listed(cli), "corner", "user library")
    assert "2×2" in line


# -- kernels show -----------------------------------------------------------------------------


def details(cli, spec: str) -> list[str]:
    result = cli("kernels", "show", spec)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_show_prints_the_matrix_sums_scale_offset_separability_and_origin(cli):
    """sobel-x in full, exactly as the README shows it."""
    assert details(cli, "sobel-x") == [
        "sobel-x  built-in",
        "Sobel x-derivative: positive where brightness increases left → right.",
        "  -1  0  1",
        "  -2  0  2",
        "  -1  0  1",
        "size 3×3, anchor row 1 col 1",
        "sum of weights 0; scale 1, offset 0; effective sum 0",
        "separable (rank 1)",
    ]


@pytest.mark.parametrize(
    "spec, expected",
    [
        (
            "sharpen",
            ["sum of weights 1; scale 1, offset 0; effective sum 1", "not separable (rank 2)"],
        ),
        (
            "box-3",
            ["sum of weights 9; scale 0.1111, offset 0; effective sum 1", "separable (rank 1)"],
        ),
        ("emboss-grey", ["offset 50%"]),
        (
            "1 2; 3 4",
            ["1 2; 3 4  inline", "size 2×2, anchor row 1 col 1", "not separable (rank 2)"],
        ),
        ("1 2 1", ["size 1×3, anchor row 0 col 1", "separable (rank 1)"]),
        ("gaussian:sigma=1", ["generator", "effective sum 1"]),
        ("sobel", ["combine: magnitude of 2 kernels", "sobel-x  built-in", "sobel-y  built-in"]),
    ],
)
def test_show_describes_any_kernel_spec(cli, spec, expected):
    """Library names, inline matrices, generators and combined kernels are all described."""
    text = "\n".join(details(cli, spec))
    for fragment in expected:
        assert fragment in text


def test_show_names_the_file_a_kernel_came_from(cli, tmp_path):
    """A kernel file's origin is 'file' and its path."""
    path = tmp_path / "edge.txt"
    path.write_text("# an edge\n1 0 -1\n")
    first = details(cli, str(path))[0]
    assert first.startswith("edge") and "file" in first and str(path) in first


def test_show_of_a_chain_shows_each_kernel(cli):
    """'box-3 | sharpen' prints both kernels, separated by a blank line."""
    lines = details(cli, "box-3 | sharpen")
    assert lines[0] == "box-3  built-in"
    assert "" in lines and "sharpen  built-in" in lines


def test_show_of_a_user_kernel_says_user_library(cli, user_kernels):
    """A user kernel's origin names the user library and the file."""
    (user_kernels / "sharpen.txt").write_text("0 0 0\n0 2 0\n0 0 0\n")
    heading = " ".join(details(cli, "sharpen")[:2])
    assert heading.startswith("sharpen  user library")
    assert str(user_kernels / "sharpen.txt") in heading


# -- export and check -------------------------------------------------------------------------


def test_export_writes_the_format_on_stdout(cli):
    result = cli("kernels", "export", "sobel-x", "--to", "imagemagick")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3x3+1+1: -1,0,1 -2,0,2 -1,0,1\n"


def test_export_to_a_file_reads_back(cli, tmp_path):
    target = tmp_path / "blur.mat"
    assert cli("kernels", "export", "gaussian-3", "--to", "vips", "-o", target).exit_code == 0
    shown = cli("kernels", "show", target)
    assert shown.exit_code == 0, shown.stderr
    assert target.read_text().startswith("3 3 16 0\n")


def test_export_warns_when_a_format_drops_the_offset(cli):
    result = cli("kernels", "export", "emboss-grey", "--to", "text")
    assert result.exit_code == 0
    assert "offset" in result.stderr and "left out" in result.stderr


def test_export_refuses_chains_and_unknown_formats(cli):
    assert cli("kernels", "export", "box-3 | sharpen", "--to", "text").exit_code == 2
    assert cli("kernels", "export", "sharpen", "--to", "psd").exit_code == 2


def test_check_reports_ok_warnings_and_errors(cli, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("0 1 0\n1 -4 1\n0 1 0\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n3\n")
    fine = tmp_path / "fine.yaml"
    fine.write_text("name: fine\nweights: [[1, 2, 1]]\nscale: 1/4\n")
    result = cli("kernels", "check", fine, good, bad)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{fine}: ok"
    assert lines[1].startswith(f"{good}: warning:") and "sum to 0" in lines[1]
    assert lines[2].startswith(str(bad)) and "line 2" in lines[2]
    assert cli("kernels", "check", fine, good).exit_code == 0
