"""The resolver's order: a file path, an inline matrix, a library name, a generator.

Tests that put files in the current directory run in a temporary one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from convcli.kernels import CombinedKernel, Kernel, resolve_kernel


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty current directory."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def plain(spec: str) -> Kernel:
    """The plain kernel ``spec`` resolves to."""
    kernel = resolve_kernel(spec)
    assert isinstance(kernel, Kernel)
    return kernel


# --- 1. files -------------------------------------------------------------------------------


def test_existing_file_named_like_a_library_kernel_wins(workdir: Path) -> None:
    """A file called ``sharpen`` in the current directory is used instead of the built-in."""
    (workdir / "sharpen").write_text("1 2 3\n", encoding="utf-8")
    kernel = plain("sharpen")
    np.testing.assert_array_equal(kernel.weights, [[1, 2, 3]])
    assert kernel.source == "file"


def test_file_with_a_suffix_does_not_shadow_the_bare_name(workdir: Path) -> None:
    """``sharpen.txt`` in the current directory does not change what ``sharpen`` means."""
    (workdir / "sharpen.txt").write_text("1 2 3\n", encoding="utf-8")
    assert plain("sharpen").source == "built-in"
    np.testing.assert_array_equal(plain("sharpen.txt").weights, [[1, 2, 3]])


def test_folder_named_like_a_library_kernel_does_not_hide_it(workdir: Path) -> None:
    """A directory called ``emboss`` in the current directory is not a kernel file."""
    # Only an existing *file* takes precedence over a library name.
    (workdir / "emboss").mkdir()
    assert plain("emboss").source == "built-in"


def test_folder_named_like_a_part_does_not_break_builtin_operators(workdir: Path) -> None:
    """A directory called ``sobel-x`` in the current directory does not break ``sobel``."""
    (workdir / "sobel-x").mkdir()
    kernel = resolve_kernel("sobel")
    assert isinstance(kernel, CombinedKernel)
    assert kernel.parts[0].source == "built-in"


def test_relative_absolute_and_home_paths(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Files are found by relative, absolute and ``~`` paths."""
    (workdir / "sub").mkdir()
    (workdir / "sub" / "k.txt").write_text("4 5\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "h.txt").write_text("6\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    np.testing.assert_array_equal(plain("sub/k.txt").weights, [[4, 5]])
    np.testing.assert_array_equal(plain(str(workdir / "sub" / "k.txt")).weights, [[4, 5]])
    np.testing.assert_array_equal(plain("~/h.txt").weights, [[6]])
    np.testing.assert_array_equal(plain("  sub/k.txt  ").weights, [[4, 5]])


@pytest.mark.parametrize(
    "spec", ["missing.txt", "missing.yaml", "missing.mat", "missing.npy", "dir/thing", "a/b.csv"]
)
def test_missing_path_is_an_error_saying_so(
    workdir: Path, spec: str, raises_kernel_error: Callable[..., str]
) -> None:
    """A spec that looks like a path but does not exist says the file does not exist."""
    raises_kernel_error(lambda: resolve_kernel(spec), "does not exist", spec)


def test_missing_list_file_with_hash_name_is_an_error(
    workdir: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """``missing.yaml#name`` says the file does not exist."""
    raises_kernel_error(lambda: resolve_kernel("missing.yaml#a"), "missing.yaml does not exist")


def test_directory_path_is_an_error(workdir: Path, raises_kernel_error: Callable[..., str]) -> None:
    """A path to a directory is refused as not a regular file."""
    (workdir / "kernels.yaml").mkdir()
    raises_kernel_error(lambda: resolve_kernel("kernels.yaml"), "not a regular file")


@pytest.fixture
def list_file(workdir: Path) -> Path:
    """A YAML file holding three kernels."""
    path = workdir / "set.yaml"
    path.write_text(
        "- {name: blur, weights: [[1, 1]], scale: 1/2}\n"
        "- {name: edge, weights: [[-1, 1]]}\n"
        "- {name: both, combine: sum, kernels: ['1 1', '-1 1']}\n",
        encoding="utf-8",
    )
    return path


def test_hash_selects_a_kernel_from_a_list_file(list_file: Path) -> None:
    """``set.yaml#edge`` picks the kernel named edge."""
    np.testing.assert_array_equal(plain("set.yaml#edge").weights, [[-1, 1]])
    np.testing.assert_array_equal(plain(f"{list_file}#EDGE").weights, [[-1, 1]])


def test_hash_selection_of_an_unknown_name_lists_the_names(
    list_file: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """Asking a list file for a name it lacks lists the names it has."""
    raises_kernel_error(
        lambda: resolve_kernel("set.yaml#sharp"), "no kernel named 'sharp'", "blur, edge, both"
    )


def test_multi_kernel_file_without_hash_lists_the_names(
    list_file: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A list file without ``#name`` is an error listing its names and how to pick one."""
    raises_kernel_error(
        lambda: resolve_kernel("set.yaml"), "holds 3 kernels", "blur, edge, both", "#NAME"
    )


def test_file_kernels_remember_where_they_came_from(workdir: Path) -> None:
    """A kernel read from a file has source 'file' and its path."""
    (workdir / "k.txt").write_text("1\n", encoding="utf-8")
    kernel = plain("k.txt")
    assert kernel.source == "file"
    assert kernel.path == "k.txt"
    assert kernel.origin == "file (k.txt)"


# --- 2. inline matrices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "0 -1 0; -1 5 -1; 0 -1 0",
        "[[0,-1,0],[-1,5,-1],[0,-1,0]]",
        "3x3: 0,-1,0,-1,5,-1,0,-1,0",
        "0,-1,0;-1,5,-1;0,-1,0",
    ],
)
def test_inline_matrices_resolve(workdir: Path, spec: str) -> None:
    """Inline matrices in every notation resolve to the same inline kernel."""
    kernel = plain(spec)
    np.testing.assert_array_equal(kernel.weights, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    assert kernel.source == "inline"
    assert kernel.name == spec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("1/4 1/2 1/4", [[0.25, 0.5, 0.25]], id="row"),
        pytest.param("1/2 0; 0 1/2", [[0.5, 0], [0, 0.5]], id="rows"),
        pytest.param("3x1: 1/4,1/2,1/4", [[0.25, 0.5, 0.25]], id="imagemagick"),
    ],
)
def test_inline_matrices_with_fractions_resolve(
    workdir: Path, spec: str, expected: list[list[float]]
) -> None:
    """Fractions, allowed in inline matrices, are not mistaken for a path because of the ``/``."""
    kernel = plain(spec)
    np.testing.assert_array_equal(kernel.weights, expected)
    assert kernel.source == "inline"


def test_inline_comes_before_the_library(user_kernels: Path, workdir: Path) -> None:
    """A spec that reads as a matrix is a matrix, even if a library kernel has that name."""
    (user_kernels / "2.txt").write_text("9 9\n", encoding="utf-8")
    kernel = plain("2")
    np.testing.assert_array_equal(kernel.weights, [[2]])
    assert kernel.source == "inline"


def test_inline_errors_are_reported_not_looked_up(
    workdir: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """A broken inline matrix reports the matrix problem, not an unknown name."""
    raises_kernel_error(lambda: resolve_kernel("1 2; 3"), "inline kernel", "different lengths")


# --- 3. library names -----------------------------------------------------------------------


def test_library_names_resolve(workdir: Path) -> None:
    """A plain name is looked up in the library."""
    kernel = resolve_kernel("sobel")
    assert isinstance(kernel, CombinedKernel)
    assert kernel.source == "built-in"


def test_user_library_comes_before_generators_only_without_colon(user_kernels: Path) -> None:
    """A name with ``:`` is a generator even when a user kernel has a similar name."""
    (user_kernels / "gaussian.txt").write_text("7\n", encoding="utf-8")
    np.testing.assert_array_equal(plain("gaussian").weights, [[7]])
    assert plain("gaussian:sigma=1").source == "generator"


# --- 4. generators --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "gaussian:sigma=2",
        "box:size=5",
        "motion:length=9,angle=45",
        "log:sigma=1.5",
        "dog:sigma1=1,sigma2=1.6",
        "unsharp:sigma=1,amount=0.5",
        "disk:radius=2.5",
    ],
)
def test_generators_resolve(workdir: Path, spec: str) -> None:
    """``NAME:key=value,...`` builds a parametric kernel."""
    kernel = plain(spec)
    assert kernel.source == "generator"
    assert kernel.name == spec


@pytest.mark.parametrize(
    "spec", ["gaussian:sigma=1/2", "unsharp:sigma=1,amount=1/2", "gaussian:sigma=3/2,size=5"]
)
def test_generator_fractions_resolve(workdir: Path, spec: str) -> None:
    """Generator parameters may be fractions; the ``/`` does not make the spec a path."""
    assert plain(spec).source == "generator"


def test_unknown_generator_is_an_error(
    workdir: Path, raises_kernel_error: Callable[..., str]
) -> None:
    """An unknown ``NAME:`` lists the generators."""
    raises_kernel_error(lambda: resolve_kernel("blur:radius=2"), "unknown kernel generator")


# --- bad specs ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["", "   ", "\t\n"])
def test_empty_spec_is_an_error(spec: str, raises_kernel_error: Callable[..., str]) -> None:
    """An empty spec says no kernel was given."""
    raises_kernel_error(lambda: resolve_kernel(spec), "no kernel given")


@pytest.mark.parametrize("spec", [None, 3, b"sobel"])
def test_non_text_spec_is_an_error(spec: object, raises_kernel_error: Callable[..., str]) -> None:
    """A spec that is not text is a KernelError, not a TypeError."""
    raises_kernel_error(lambda: resolve_kernel(spec))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("x" * 300, id="long-name"),
        pytest.param("a/" + "y" * 300 + ".txt", id="long-path"),
        pytest.param("~nosuchuser-convcli", id="unknown-user"),
        pytest.param("~nosuchuser-convcli/k.txt", id="unknown-user-path"),
        pytest.param("nul\x00byte", id="nul-byte"),
    ],
)
def test_odd_specs_are_kernel_errors(
    workdir: Path, spec: str, raises_kernel_error: Callable[..., str]
) -> None:
    """Specs the file system cannot look up still give a KernelError, never OSError."""
    raises_kernel_error(lambda: resolve_kernel(spec))
